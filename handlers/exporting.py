"""Export files: the signal row's columns (FixMyStreet's plus ours) and CSV / XLSX writers that write to a
temporary file and rename it when complete, so a reader never sees a half-written export."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# FixMyStreet's columns (id, detail, category, created, acknowledged, closed, status, lat, lon, ward → our
# municipality, URL, device/site → channel) and ours; personal data only when asked for explicitly
HEADER = ("id", "number", "detail", "category", "created", "acknowledged", "due", "answered", "closed",
          "status", "lat", "lon", "address", "municipality", "organization", "channel", "overdue",
          "answer_kind", "flagged_reasons", "ratings_positive", "ratings", "reopen_count", "supporters", "url")
PERSONAL = ("author_name", "author_channel", "author_id")
PUBLIC_STATUSES = ("in_progress", "answer_review", "answered", "closed")  # moderated: shown on the portal
OPEN = ("in_progress", "answer_review")
FORMATS = ("csv", "xlsx")


def header(personal: bool) -> tuple[str, ...]:
    return HEADER + PERSONAL if personal else HEADER


def _moment(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds") if value is not None else ""


def row(r: Sequence[Any], *, tz: ZoneInfo, today: date, url: str, personal: bool) -> list[Any]:
    """One export row from an Exports.signals row. A signal's text and place are public only once moderated."""
    (sid, number, detail, category, created, accepted, due, answered, closed, status, lat, lon, address,
     municipality, organization, channel, kind, flags, liked, rated, reopen_count, supporters) = r[:22]
    shown = personal or status in PUBLIC_STATUSES
    answered_day = answered.astimezone(tz).date() if answered is not None else None
    overdue = due is not None and ((answered_day is not None and answered_day > due)
                                   or (status in OPEN and due < today))
    out = [sid, number, detail if shown else "", category, _moment(created, tz), _moment(accepted, tz),
           due.isoformat() if due else "", _moment(answered, tz), _moment(closed, tz), status,
           lat if shown and lat is not None else "", lon if shown and lon is not None else "",
           (address or "") if shown else "", municipality, organization or "", channel, int(overdue), kind or "",
           ";".join(flags or ()), liked or 0, rated or 0, reopen_count or 0, supporters or 0,
           url.format(number=number) if status in PUBLIC_STATUSES else ""]
    if personal:
        name, author_channel, external_id = r[22:25]
        out += [name or "", author_channel or "", external_id or ""]
    return out


class Writer:
    """Rows into `path` through a temporary file beside it; close() renames it into place, abort() removes it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.part")

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._finish()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self._finish()
        finally:
            self.tmp.unlink(missing_ok=True)


class CsvWriter(Writer):
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Cyrillic right."""

    def __init__(self, path: Path, head: Sequence[str]) -> None:
        super().__init__(path)
        self.file = open(self.tmp, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed in _finish
        self.csv = csv.writer(self.file)
        self.csv.writerow(head)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        self.csv.writerows([[_inert(v) for v in values] for values in rows])

    def _finish(self) -> None:
        self.file.close()


def _inert(value: Any) -> Any:
    """A resident's text that a spreadsheet would run as a formula (=, +, -, @) is quoted."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


class XlsxWriter(Writer):
    """xlsxwriter in constant_memory mode: each row is flushed to disk once written, memory stays flat."""

    def __init__(self, path: Path, head: Sequence[str]) -> None:
        super().__init__(path)
        import xlsxwriter  # loaded on the first export, not at start-up

        self.book = xlsxwriter.Workbook(str(self.tmp), {"constant_memory": True, "strings_to_urls": False,
                                                        "strings_to_numbers": False, "strings_to_formulas": False})
        self.sheet = self.book.add_worksheet("signals")
        bold = self.book.add_format({"bold": True})
        self.sheet.write_row(0, 0, head, bold)
        self.sheet.freeze_panes(1, 0)
        self.next = 1
        self.closed = False

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        for values in rows:
            self.sheet.write_row(self.next, 0, values)
            self.next += 1

    def _finish(self) -> None:
        if not self.closed:
            self.closed = True
            self.book.close()


def open_writer(fmt: str, path: Path, head: Sequence[str]) -> Writer:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    return CsvWriter(path, head) if fmt == "csv" else XlsxWriter(path, head)
