"""Every CLI command, against a fresh SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

import subprocess
import sys

import pytest


def cli(url: str, *args: str, tmp_path=None) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "MEDIA_DIR": str(tmp_path or "/tmp") + "/media",
           "HOME": str(tmp_path or "/tmp")}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_help_everywhere():
    for args in ([], ["run"], ["db"], ["db", "seed"], ["roles"], ["roles", "grant"], ["orgs"], ["routes", "set"],
                 ["signals", "list"], ["signals", "show"], ["jobs"], ["jobs", "run"]):
        res = subprocess.run([sys.executable, "-m", "bot", *args, "--help"], capture_output=True, text=True)
        assert res.returncode == 0 and "usage: active-region" in res.stdout, (args, res.stderr)


async def test_commands_end_to_end(db_url, tmp_path):
    def ok(*args):
        res = cli(db_url, *args, tmp_path=tmp_path)
        assert res.returncode == 0, (args, res.stdout, res.stderr)
        return res.stdout

    org = "Администрация МО ГО «Сыктывкар»"
    assert "created" in ok("db", "seed")
    assert "0 created, 0 updated" in ok("db", "seed")
    assert "agree" in ok("db", "check")
    assert "added" in ok("orgs", "add", org)
    assert org in ok("orgs", "list")
    assert "10 municipality × category" in ok("routes", "set", "Сыктывкар", "*", org)
    assert "Сыктывкар\tДороги\t" + org in ok("routes", "list")
    ok("roles", "grant", "moderator", "telegram:123456789")
    ok("roles", "grant", "executor", "vk:987654", "--org", org)
    listing = ok("roles", "list")
    assert "telegram:123456789\tmoderator" in listing and f"vk:987654\texecutor  ({org})" in listing
    ok("roles", "revoke", "moderator", "telegram:123456789")
    assert "telegram:123456789" not in ok("roles", "list")
    assert "no signals" in ok("signals", "list")
    bad = cli(db_url, "roles", "grant", "executor", "vk:1", tmp_path=tmp_path)
    assert bad.returncode == 2 and "organization" in bad.stderr
    bad = cli(db_url, "roles", "grant", "moderator", "whatsapp:1", tmp_path=tmp_path)
    assert bad.returncode == 2 and "telegram:<id>" in bad.stderr
    bad = cli(db_url, "signals", "show", "2026-000001", tmp_path=tmp_path)
    assert bad.returncode == 2 and "no signal" in bad.stderr


async def test_revoking_an_unknown_organization_fails_and_changes_nothing(db_url, tmp_path):
    org = "Администрация МО ГО «Ухта»"
    for args in (("orgs", "add", org), ("roles", "grant", "executor", "vk:5", "--org", org)):
        assert cli(db_url, *args, tmp_path=tmp_path).returncode == 0
    before = cli(db_url, "roles", "list", tmp_path=tmp_path).stdout
    bad = cli(db_url, "roles", "revoke", "executor", "vk:5", "--org", "No Such Org", tmp_path=tmp_path)
    assert bad.returncode == 2 and "no organization named 'No Such Org'" in bad.stderr and bad.stdout == ""
    assert cli(db_url, "roles", "list", tmp_path=tmp_path).stdout == before == f"vk:5\texecutor  ({org})\n"
    from sqlalchemy import select

    from storage.db import Database
    from storage.models import AuditEvent

    db = Database(db_url)
    try:
        async with db.sessions() as s:
            actions = list(await s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    finally:
        await db.dispose()
    assert actions == ["role_granted"]


async def test_jobs_list_and_run_one_now(db_url, tmp_path):
    listing = cli(db_url, "jobs", "list", tmp_path=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert [line.split("\t")[0] for line in listing.stdout.splitlines()] == [
        "outbox_sweep", "remind_due", "overdue_list", "digest", "auto_close", "followup"]
    ran = cli(db_url, "jobs", "run", "auto_close", tmp_path=tmp_path)
    assert ran.returncode == 0 and ran.stdout.strip() == "auto_close: 0", (ran.stdout, ran.stderr)
    ran = cli(db_url, "jobs", "run", "followup", tmp_path=tmp_path)
    assert ran.returncode == 0 and ran.stdout.strip() == "followup: asked 0, closed as not confirmed 0", (ran.stdout, ran.stderr)
    bad = cli(db_url, "jobs", "run", "nope", tmp_path=tmp_path)
    assert bad.returncode == 2 and "no job named 'nope'" in bad.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_signals_show_prints_history(services, tmp_path, db_url):
    from handlers.conversation import Conversation
    from handlers.types import Command, Peer, Press, Text

    conv = Conversation(services)
    peer = Peer("telegram", 77, "Ольга")
    for inp in (Command("start"), Press("consent"), Command("new"), Press("m:1"), Press("c:1"),
                Text("Нет освещения во дворе дома 3"), Press("skip"), Text("ул. Мира, 3"), Press("send")):
        await conv.handle(peer, inp)
    listing = cli(db_url, "signals", "list", tmp_path=tmp_path).stdout
    number = listing.split("\t")[0]
    shown = cli(db_url, "signals", "show", number, tmp_path=tmp_path)
    assert shown.returncode == 0 and "filed" in shown.stdout and "Нет освещения" in shown.stdout


async def test_db_copy_sqlite_to_postgresql(tmp_path, request):
    from tests.conftest import _pg_db, _pg_exec

    admin = request.getfixturevalue("pg_admin_url")
    source = f"sqlite+aiosqlite:///{tmp_path}/source.sqlite3"
    assert cli(source, "db", "seed", tmp_path=tmp_path).returncode == 0
    assert cli(source, "orgs", "add", "ООО «Тепло»", tmp_path=tmp_path).returncode == 0
    await _pg_exec(admin, 'DROP DATABASE IF EXISTS "copy_target"', 'CREATE DATABASE "copy_target"')
    target = _pg_db(admin, "copy_target")
    res = cli(source, "db", "copy", target, tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "municipalities\t20" in res.stdout and "organizations\t1" in res.stdout
    # ids continue after the copied ones
    assert cli(target, "orgs", "add", "ООО «Свет»", tmp_path=tmp_path).returncode == 0
    assert "ООО «Свет»" in cli(target, "orgs", "list", tmp_path=tmp_path).stdout
    again = cli(source, "db", "copy", target, tmp_path=tmp_path)
    assert again.returncode == 2 and "not empty" in again.stderr


async def test_outbox_list_and_retry(services, db_url, tmp_path):
    from sqlalchemy import select

    from storage.models import OutboxMessage

    async with services.uow() as uow:
        await uow.outbox.add("test:1", channel="telegram", peer_id=1, user_id=None,
                             payload=[{"text": "x", "buttons": [], "photos": [], "ask_location": False}])
        row = await uow.session.scalar(select(OutboxMessage))
        row.state, row.attempts, row.last_error = "failed", 8, "telegram 500"
        await uow.commit()
    listed = cli(db_url, "outbox", "list", "--failed", tmp_path=tmp_path)
    assert listed.returncode == 0 and "test:1" in listed.stdout and "telegram 500" in listed.stdout
    retried = cli(db_url, "outbox", "retry", tmp_path=tmp_path)
    assert retried.returncode == 0 and "queued again: 1" in retried.stdout
    assert "no failed" in cli(db_url, "outbox", "list", tmp_path=tmp_path).stdout


async def test_inbox_failed_and_retry(services, db_url, tmp_path):
    from storage import inbox

    async with services.uow() as uow:
        await inbox.put_many(uow.session, uow.dialect, "vk", [("event:abc", 77, {"type": "message_new"})])
        [row] = await inbox.pending_for_peer(uow.session, "vk", 77)
        await inbox.mark_failed(uow.session, [row.id], "builtins.KeyError")
        await uow.commit()
    listed = cli(db_url, "inbox", "failed", tmp_path=tmp_path)
    assert listed.returncode == 0 and "vk:77" in listed.stdout and "builtins.KeyError" in listed.stdout
    retried = cli(db_url, "inbox", "retry", str(row.id), tmp_path=tmp_path)
    assert retried.returncode == 0 and "queued again: 1" in retried.stdout
    assert "no failed updates" in cli(db_url, "inbox", "failed", tmp_path=tmp_path).stdout
