"""The message catalogs: complete, same placeholders in every language, labels within 40 characters, every id
used; the check catches each of these faults; the reviewer's report finds stale translations; formatting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.cli import main
from handlers import catalog_check, i18n
from handlers.errors import AlreadyHandled, DomainError, message
from handlers.i18n import MissingMessage, platform_language, t
from handlers.moments import day, day_month, number, plural

RU = {"btn-ok": "Хорошо", "greeting": "Здравствуйте, {name}!", "staff-only": "Только для сотрудников"}
KV = {"btn-ok": "Бур", "greeting": "Видза оланныд, {name}!"}


@pytest.fixture
def fake_catalogs(monkeypatch):
    """Small catalogs in place of the real ones (each test changes them to break one rule)."""
    books = {"ru": dict(RU), "kv": dict(KV)}
    monkeypatch.setattr(catalog_check, "catalog", lambda lang: books[lang])
    monkeypatch.setattr(catalog_check, "unused", lambda messages: [])
    return books


def test_the_real_catalogs_pass_the_check(capsys):
    assert catalog_check.problems() == []
    assert main(["texts", "check"]) == 0
    assert "catalogs OK" in capsys.readouterr().out


def test_every_resident_text_is_in_komi_and_staff_texts_may_stay_russian():
    ru, kv = i18n.catalog("ru"), i18n.catalog("kv")
    resident = [i for i in ru if catalog_check.resident_facing(i)]
    assert len(resident) > 150 and all(i in kv for i in resident)
    staff_only = [i for i in ru if not catalog_check.resident_facing(i)]
    assert staff_only and t("kv", staff_only[0]) == t("ru", staff_only[0])  # documented Russian fallback


def test_clean_small_catalogs_pass(fake_catalogs):
    assert catalog_check.problems() == []


def test_missing_resident_id_fails_but_a_missing_staff_id_does_not(fake_catalogs):
    del fake_catalogs["kv"]["greeting"]
    assert catalog_check.problems() == ["kv: greeting: missing"]


def test_placeholder_differing_between_languages_fails(fake_catalogs):
    fake_catalogs["kv"]["greeting"] = "Видза оланныд, {nam}!"
    [problem] = catalog_check.problems()
    assert "kv: greeting: placeholders ['nam'] differ" in problem


def test_broken_template_fails(fake_catalogs):
    fake_catalogs["kv"]["greeting"] = "Видза оланныд, {name!"
    assert "broken template" in catalog_check.problems()[0]


def test_label_over_40_characters_fails_in_any_language(fake_catalogs):
    fake_catalogs["kv"]["btn-ok"] = "Бур" * 14  # 42 characters
    [problem] = catalog_check.problems()
    assert problem.startswith("kv: btn-ok: button label of 42 characters")


def test_a_placeholder_in_a_label_counts_as_a_signal_number():
    assert catalog_check.label_length("👍 Я тоже — №{number}") == len("👍 Я тоже — №") + len(catalog_check.SAMPLE)


def test_id_only_in_a_translation_fails(fake_catalogs):
    fake_catalogs["kv"]["gretting"] = "Видза!"
    assert catalog_check.problems() == ["kv: gretting: not in the ru catalog (a typo or a stale entry)"]


def test_unused_ids_are_found():
    assert catalog_check.unused({"welcome": "…", "no-such-text-anywhere": "…", "status.new": "…"}) == [
        "no-such-text-anywhere"]


def test_review_reports_stale_and_untranslated(tmp_path, monkeypatch):
    (tmp_path / "kv.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#. ru: Старый текст\nmsgid "welcome"\nmsgstr "Видза оланныд!"\n\n'
        f'#. ru: {i18n.catalog("ru")["help"][:20]}\nmsgid "help"\nmsgstr ""\n', encoding="utf-8")
    monkeypatch.setattr(catalog_check, "LOCALES", tmp_path)
    report = catalog_check.review("kv")
    assert report["stale (the Russian changed since)"] == ["welcome"]
    assert "help" in report["untranslated"] and "btn-back" in report["untranslated"]
    assert "staff-new-signal" in report["untranslated staff (Russian is shown)"]


def test_the_real_komi_catalog_has_nothing_stale():
    report = catalog_check.review("kv")
    assert report["untranslated"] == [] and report["stale (the Russian changed since)"] == []


def test_rendering_falls_back_and_refuses_unknown_ids():
    assert t("kv", "btn-cancel") == "✖ Дугӧдны"
    assert t("en", "btn-cancel") == t("ru", "btn-cancel")  # an unsupported language reads Russian
    with pytest.raises(MissingMessage):
        t("ru", "no-such-id")


@pytest.mark.parametrize("code, lang", [("kv", "kv"), ("kv-RU", "kv"), ("KV", "kv"), ("ru", "ru"), ("en", "ru"),
                                        (None, "ru")])
def test_platform_language(code, lang):
    assert platform_language(code) == lang


def test_errors_carry_a_code_and_are_rendered_in_the_readers_language():
    err = AlreadyHandled("Мария <b>")
    assert (err.code, err.params) == ("error-already-handled-by", {"by": "Мария &lt;b&gt;"})
    assert message("ru", err) == "Это уже сделал(а) Мария &lt;b&gt; — повторно ничего не выполняю."
    assert message("kv", err).startswith("Тайӧс нин вӧчис Мария")
    assert message("kv", DomainError("a code the CLI uses")) == t("kv", "error-failed")
    assert str(DomainError("daily-limit", limit=5)).startswith("Сегодня вы уже отправили 5")


def test_formatting_helper():
    assert day(date(2026, 3, 7)) == "07.03.2026" and day(None) == "—" and day_month(date(2026, 3, 7)) == "07.03"
    assert number(12345) == "12\u202f345" and number(999) == "999"
    when = datetime(2026, 3, 7, 9, 5, tzinfo=UTC)

    class Services:
        class config:
            from zoneinfo import ZoneInfo
            tz = ZoneInfo("Europe/Moscow")

    from handlers.moments import moment
    assert moment(when, Services, "kv") == "07.03.2026 12:05"


def test_plural_forms(monkeypatch):
    books = {"ru": {"signals": "обращение|обращения|обращений"}, "kv": {"signals": "шыӧдчӧм"}}
    monkeypatch.setattr(i18n, "catalog", lambda lang: books.get(lang, {}))
    assert [plural("ru", n, "signals") for n in (1, 2, 5, 11, 21, 22, 25)] == [
        "обращение", "обращения", "обращений", "обращений", "обращение", "обращения", "обращений"]
    assert plural("kv", 5, "signals") == "шыӧдчӧм"
