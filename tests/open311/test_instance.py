"""The running instance serves Open311 next to /healthz and the web chat (OPEN311_ENABLED), or not at all;
handlers' Open311 code stays channel-neutral and free of SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import aiohttp

from tests.web.harness import web_instance

ROOT = Path(__file__).resolve().parents[2]


async def test_instance_serves_open311_when_enabled(services, db_url, tmp_path):
    async with web_instance(services, db_url, tmp_path) as instance, aiohttp.ClientSession() as http:
        async with http.get(instance.base_url + "/open311/v2/services.json") as resp:
            assert resp.status == 200 and (await resp.json())[0]["service_code"] == "housing"
        async with http.get(instance.base_url + "/healthz") as resp:
            assert resp.status == 200
    async with web_instance(services, db_url, tmp_path, open311_enabled=False) as instance, \
            aiohttp.ClientSession() as http:
        async with http.get(instance.base_url + "/open311/v2/services.json") as resp:
            assert resp.status == 404 and resp.content_type != "application/json"


def test_open311_handlers_import_no_edge_and_hold_no_sql():
    for name in ("open311.py", "open311_views.py", "apikeys.py"):
        source = (ROOT / "handlers" / name).read_text(encoding="utf-8")
        tree = ast.parse(source)
        assert ast.get_docstring(tree), name
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not any(m and m.split(".")[0] in ("bot", "aiogram", "vk_api", "aiohttp", "sqlalchemy")
                       for m in modules), (name, modules)
        assert "select(" not in source, name
