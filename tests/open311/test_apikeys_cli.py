"""`active-region apikeys add|list|revoke` against both databases: the key printed once, stored hashed."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from storage.db import Database
from storage.models import ApiKey
from tests.integration.test_cli import cli


async def test_apikeys_cli(db_url, tmp_path):
    def run(*args, code=0):
        res = cli(db_url, "apikeys", *args, tmp_path=tmp_path)
        assert res.returncode == code, (args, res.stdout, res.stderr)
        return res

    added = run("add", "portal website", "--rate", "30").stdout
    secret = added.strip().splitlines()[-1]
    assert secret.startswith("ar_") and len(secret) > 40 and "30 requests/minute" in added
    listing = run("list").stdout
    assert "portal website" in listing and "30/min" in listing and "active" in listing and secret not in listing
    assert "a key named" in run("add", "portal website", code=2).stderr
    db = Database(db_url)
    try:
        async with db.sessions() as s:
            row = await s.scalar(select(ApiKey))
        assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in (row.prefix + "x")
    finally:
        await db.dispose()
    assert "revoked: portal website" in run("revoke", "portal website").stdout
    assert "revoked" in run("list").stdout
    assert "no key named" in run("revoke", "nobody", code=2).stderr
