"""A statistics report as the staff summary text, the residents' public figures and the charts' PNGs."""

from __future__ import annotations

import asyncio
from typing import Any

from handlers import charts
from handlers.cases.stats import Report
from handlers.i18n import staff_text, t
from handlers.stats_period import days, number, pct
from handlers.statsmath import percentile, share
from handlers.texts import esc

FILE_OVERVIEW, FILE_ORGS, FILE_TREND = "statistika-obzor.png", "statistika-organizacii.png", "statistika-po-mesyacam.png"

ORG_LINES = 10
ORG_BARS = 12


def figures(bucket: dict[str, Any]) -> dict[str, str]:
    """A bucket's medians, 90th percentiles and shares, formatted."""
    n = bucket["n"]
    return {"ack_med": days(percentile(bucket["ack"], 0.5)), "ack_p90": days(percentile(bucket["ack"], 0.9)),
            "ans_med": days(percentile(bucket["ans"], 0.5)), "ans_p90": days(percentile(bucket["ans"], 0.9)),
            "on_time": pct(share(n["on_time"], n["due_known"])), "satisfied": pct(share(n["liked"], n["rated"])),
            "flagged": pct(share(n["flagged"], n["published"])),
            "reopened_share": pct(share(n["reopened"], n["answered"])), "rated": number(n["rated"])}


def counts(report: Report) -> dict[str, int]:
    n = report.total["n"]
    return {"filed": n["filed"], "accepted": n["accepted"], "rejected": n["rejected"], "answered": n["answered"],
            "closed": n["closed"], "overdue": report.overdue, "reopened": n["reopened"]}


def summary(report: Report, title: str, org_names: dict[int, str]) -> str:
    lines = [title, staff_text("staff-stats-counts", **{k: number(v) for k, v in counts(report).items()}),
             staff_text("staff-stats-times", **figures(report.total)), staff_text("staff-stats-shares", **figures(report.total))]
    orgs = _routed(report)
    if orgs:
        lines.append("\n" + staff_text("staff-stats-orgs-title"))
    for i, (oid, bucket) in enumerate(orgs[:ORG_LINES], 1):
        f = figures(bucket)
        lines.append(staff_text("staff-stats-org-line",
            n=i, name=esc(org_names.get(oid, staff_text("staff-stats-not-routed"))), filed=number(bucket["n"]["filed"]),
            ack=f"{f['ack_med']}/{f['ack_p90']}", ans=f"{f['ans_med']}/{f['ans_p90']}", on_time=f["on_time"],
            satisfied=f["satisfied"], flagged=f["flagged"], reopened=f["reopened_share"]))
    if len(orgs) > ORG_LINES:
        lines.append(staff_text("staff-stats-orgs-more", count=len(orgs) - ORG_LINES))
    lines.append("\n" + staff_text("staff-stats-charts-note"))
    return "\n".join(lines)


def _routed(report: Report) -> list[tuple[int, dict[str, Any]]]:
    """Organizations by signals, most first (not routed ones — new or rejected — have no times to show)."""
    return sorted(((oid, b) for oid, b in report.by_organization.items() if oid), key=lambda kv: -kv[1]["n"]["filed"])


def public(recent: Report, overall: Report, lang: str) -> str:
    def part(prefix: str, r: Report) -> dict[str, str]:
        n = r.total["n"]
        return {f"{prefix}_filed": number(n["filed"]), f"{prefix}_answered": number(n["answered"]),
                f"{prefix}_median": days(percentile(r.total["ans"], 0.5)),
                f"{prefix}_on_time": pct(share(n["on_time"], n["due_known"])),
                f"{prefix}_satisfied": pct(share(n["liked"], n["rated"]))}

    return t(lang, "stats-public", **part("recent", recent), **part("all", overall))


def _chart_inputs(report: Report, names: dict[str, dict[int, str]]) -> tuple[Any, ...]:
    c = counts(report)
    count_rows = [(staff_text(f"staff-stats-count.{k}"), v) for k, v in c.items()]
    munis = [(names["m"].get(k, str(k)), v) for k, v in report.by_municipality.items() if v]
    cats = [(names["c"].get(k, str(k)), v) for k, v in report.by_category.items() if v]
    orgs = _routed(report)[:ORG_BARS]
    org_rows = [(names["o"].get(oid, staff_text("staff-stats-not-routed")), percentile(b["ack"], 0.5), percentile(b["ack"], 0.9),
                 percentile(b["ans"], 0.5), percentile(b["ans"], 0.9)) for oid, b in orgs]
    trend = [(m, v["filed"], v["answered"]) for m, v in sorted(report.monthly.items())]
    return count_rows, munis, cats, org_rows, trend


def _draw(inputs: tuple[Any, ...]) -> list[tuple[str, bytes]]:
    count_rows, munis, cats, org_rows, trend = inputs
    out = [(FILE_OVERVIEW, charts.overview(count_rows, munis, cats))]
    if org_rows:
        out.append((FILE_ORGS, charts.organizations(org_rows)))
    if len(trend) > 1:
        out.append((FILE_TREND, charts.trend(trend)))
    return out


async def draw(report: Report, names: dict[str, dict[int, str]]) -> list[tuple[str, bytes]]:
    """(file name, PNG) of each chart, rendered in a worker thread (matplotlib is CPU-bound)."""
    return await asyncio.to_thread(_draw, _chart_inputs(report, names))
