"""Configuration errors name the variable, never echo a secret, and exit with code 2."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("TELEGRAM_BOT_TOKEN", "VK_GROUP_TOKEN", "VK_GROUP_ID", "DATABASE_URL", "TIMEZONE",
                 "ANSWER_DEADLINE_WORKDAYS", "WEB_ENABLED", "HTTP_LISTEN", "WEB_ALLOWED_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")


def test_defaults():
    s = load_settings()
    assert s.timezone == "Europe/Moscow" and s.answer_deadline_workdays == 10
    assert s.vk_api_url == "https://api.vk.ru" and s.telegram_api_url == "https://api.telegram.org"
    assert s.channels == ["web"] and s.http_address == "127.0.0.1:8080"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("ANSWER_DEADLINE_WORKDAYS", "ten", "ANSWER_DEADLINE_WORKDAYS"),
    ("ANSWER_DEADLINE_WORKDAYS", "0", "ANSWER_DEADLINE_WORKDAYS"),
    ("TIMEZONE", "Mars/Olympus", "TIMEZONE: expected an IANA time zone"),
    ("DATABASE_URL", "mysql://x", "DATABASE_URL: expected sqlite+aiosqlite"),
    ("VK_API_URL", "ftp://vk", "VK_API_URL: expected an http(s)"),
    ("VK_GROUP_ID", "abc", "VK_GROUP_ID"),
])
def test_bad_values_name_the_variable(monkeypatch, capsys, name, value, expected):
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:SECRET-TOKEN-VALUE")
    with pytest.raises(ConfigError, match=expected.split(":")[0]):
        load_settings()
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert expected in err and "SECRET-TOKEN-VALUE" not in err and err.count("\n") == 1


def test_token_is_secret(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:SECRET-TOKEN-VALUE")
    s = load_settings()
    assert "SECRET-TOKEN-VALUE" not in repr(s) and "SECRET-TOKEN-VALUE" not in str(s.model_dump())


def test_run_with_no_channel_at_all_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("WEB_ENABLED", "0")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in err and "VK_GROUP_TOKEN" in err and "WEB_ENABLED" in err


@pytest.mark.parametrize("listen", ["0.0.0.0:8080", "10.1.2.3:8080"])
def test_demo_is_refused_off_loopback(monkeypatch, capsys, listen):
    monkeypatch.setenv("HTTP_LISTEN", listen)
    assert main(["run", "--demo"]) == 2
    err = capsys.readouterr().err
    assert "--demo" in err and "loopback" in err and err.count("\n") == 1


@pytest.mark.parametrize(("name", "value"), [
    ("WEB_ALLOWED_ORIGINS", "portal.example.ru"), ("WEB_ALLOWED_ORIGINS", "https://portal.example.ru/page"),
    ("WEB_COOKIE_SAMESITE", "sometimes"), ("WEB_PUBLIC_URL", "chat.example.ru"), ("WEB_RATE_PER_IP", "0"),
])
def test_bad_web_settings_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_allowed_origins_are_parsed(monkeypatch):
    monkeypatch.setenv("WEB_ALLOWED_ORIGINS", "https://portal.example.ru, https://www.example.ru/")
    assert load_settings().web_origins == ("https://portal.example.ru", "https://www.example.ru")


def test_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("ANSWER_DEADLINE_WORKDAYS=7\n")
    assert load_settings().answer_deadline_workdays == 7
