"""Exports from the command line: generated data, the XLSX reopened with openpyxl, the CSV read with the
csv module, personal data only with the flag, the open-data CSV adding up to every signal."""

from __future__ import annotations

import csv

import openpyxl
from sqlalchemy import func, select

from handlers.cases.exports import OPEN_DATA_HEADER
from handlers.exporting import HEADER, PERSONAL
from storage.db import Database
from storage.models import Signal, User
from tests.integration.test_cli import cli


def read_csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


async def _counts(db_url: str) -> tuple[int, list[str], list[int]]:
    db = Database(db_url)
    try:
        async with db.sessions() as s:
            total = await s.scalar(select(func.count()).select_from(Signal))
            names = [u.display_name for u in await s.scalars(select(User)) if u.display_name]
            ids = [u.external_id for u in await s.scalars(select(User))]
    finally:
        await db.dispose()
    return int(total or 0), names, ids


async def test_export_files_and_personal_data(db_url, tmp_path):
    def ok(*args):
        res = cli(db_url, *args, tmp_path=tmp_path)
        assert res.returncode == 0, (args, res.stdout, res.stderr)
        return res.stdout

    ok("db", "seed")
    assert "generated 300 signals" in ok("demo-data", "300")
    total, names, ids = await _counts(db_url)
    assert total == 300 and names and ids

    ok("export", "signals", "--from", "2000-01-01", "--to", "2100-01-01", "--format", "xlsx", "-o", "all.xlsx")
    book = openpyxl.load_workbook(tmp_path / "all.xlsx", read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == HEADER and len(rows) == 1 + total
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []

    ok("export", "signals", "--from", "2000-01-01", "--to", "2100-01-01", "-o", "all.csv")
    table = read_csv(tmp_path / "all.csv")
    assert tuple(table[0]) == HEADER and len(table) == 1 + total
    cells = {cell for line in table for cell in line}
    assert not any(name in cell for name in names for cell in cells)  # no names
    assert not {str(i) for i in ids} & cells  # no channel ids
    assert {"telegram", "vk"} & {line[HEADER.index("channel")] for line in table[1:]}

    ok("export", "signals", "--from", "2000-01-01", "--to", "2100-01-01", "--with-personal-data", "-o", "pd.csv")
    personal = read_csv(tmp_path / "pd.csv")
    assert tuple(personal[0]) == HEADER + PERSONAL
    assert {line[-3] for line in personal[1:]} & set(names)

    ok("export", "opendata", "-o", "open.csv")
    table = read_csv(tmp_path / "open.csv")
    agg = [dict(zip(table[0], line, strict=True)) for line in table[1:]]
    assert tuple(table[0]) == OPEN_DATA_HEADER
    assert sum(int(r["filed"]) for r in agg) == total
    assert not {c for r in agg for c in r.values()} & set(names)

    assert "months rebuilt" in ok("stats", "rebuild")
    bad = cli(db_url, "export", "signals", "--from", "2026-02-01", "--to", "2026-01-01", tmp_path=tmp_path)
    assert bad.returncode == 2


def test_help_of_the_statistics_commands():
    import subprocess
    import sys

    for args in (["export"], ["export", "signals"], ["export", "opendata"], ["stats"], ["stats", "refresh"], ["stats", "rebuild"],
                 ["demo-data"]):
        res = subprocess.run([sys.executable, "-m", "bot", *args, "--help"], capture_output=True, text=True)
        assert res.returncode == 0 and "usage: active-region" in res.stdout, (args, res.stderr)
