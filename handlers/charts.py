"""PNG charts of a statistics report, drawn with matplotlib's object API on the Agg canvas (no pyplot:
nothing global, nothing leaks in a long-running process). Call from a worker thread: CPU-bound."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from handlers.i18n import staff_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 12, 8, 100  # 1200 × 800 pixels
COLORS = ("#2f6fb0", "#8cb4e0", "#d0632b", "#f0ad7e")
FONT = "DejaVu Sans"  # bundled with matplotlib; has Cyrillic and the Komi letters (Ӧ ӧ І і)


def _figure(**margins: float) -> Figure:
    """A figure on its own Agg canvas; fixed margins (a layout engine would triple the drawing time)."""
    # imported on the first chart, not at start-up: ~45 MB that a process serving no /stats never needs
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(**{"left": 0.07, "right": 0.97, "top": 0.94, "bottom": 0.08, **margins})
    return fig


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _style(ax, title: str) -> None:  # type: ignore[no-untyped-def]
    ax.set_title(title, fontfamily=FONT, fontsize=14, loc="left")
    ax.spines[["top", "right"]].set_visible(False)


def _top(items: Sequence[tuple[str, int]], keep: int) -> list[tuple[str, int]]:
    ranked = sorted(items, key=lambda x: -x[1])
    if len(ranked) <= keep + 1:
        return ranked
    rest = sum(n for _, n in ranked[keep:])
    return ranked[:keep] + ([(staff_text("staff-stats-others"), rest)] if rest else [])


def overview(counts: Sequence[tuple[str, int]], municipalities: Sequence[tuple[str, int]],
             categories: Sequence[tuple[str, int]]) -> bytes:
    """Counts of the period on top; shares by municipality and by category below."""
    fig = _figure()
    grid = fig.add_gridspec(2, 2, left=0.17, right=0.97, top=0.95, bottom=0.05, wspace=0.55, hspace=0.3)
    ax = fig.add_subplot(grid[0, :])
    labels, values = [c[0] for c in counts], [c[1] for c in counts]
    bars = ax.bar(labels, values, color=COLORS[0])
    ax.bar_label(bars, labels=[f"{v:,}".replace(",", " ") for v in values], fontfamily=FONT)
    _style(ax, staff_text("staff-stats-chart-counts"))
    for cell, title, items in ((grid[1, 0], staff_text("staff-stats-chart-municipalities"), municipalities),
                               (grid[1, 1], staff_text("staff-stats-chart-categories"), categories)):
        part = fig.add_subplot(cell)
        rows = _top(items, 9)[::-1]
        total = sum(n for _, n in rows) or 1
        shares = [100 * n / total for _, n in rows]
        hbars = part.barh([name for name, _ in rows], shares, color=COLORS[1])
        part.bar_label(hbars, labels=[f"{s:.0f} %" for s in shares], fontfamily=FONT, padding=2)
        part.set_xlim(0, max(shares) * 1.2 if shares else 1)
        part.tick_params(axis="y", labelsize=9)
        _style(part, title)
    return _png(fig)


def organizations(rows: Sequence[tuple[str, float | None, float | None, float | None, float | None]]) -> bytes:
    """Median and 90th percentile of working days to acknowledge and to answer, per organization."""
    fig = _figure(left=0.3, bottom=0.13)
    ax = fig.add_subplot()
    rows = list(rows)[::-1]
    height = 0.2
    for i, series in enumerate(staff_text(f"staff-stats-org-series.{n}") for n in range(4)):
        ys = [n + (1.5 - i) * height for n in range(len(rows))]
        ax.barh(ys, [r[i + 1] or 0 for r in rows], height=height, color=COLORS[i], label=series)
    ax.set_yticks(range(len(rows)), [_short(r[0]) for r in rows], fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.06), ncol=4, frameon=False, prop={"family": FONT})
    _style(ax, staff_text("staff-stats-chart-orgs"))
    return _png(fig)


def trend(months: Sequence[tuple[date, int, int]]) -> bytes:
    """Signals filed and answered per month."""
    fig = _figure(bottom=0.12)
    ax = fig.add_subplot()
    labels = [m.strftime("%m.%Y") for m, _, _ in months]
    xs = range(len(months))
    ax.plot(xs, [f for _, f, _ in months], marker="o", color=COLORS[0], label=staff_text("staff-stats-trend-series.0"))
    ax.plot(xs, [a for _, _, a in months], marker="o", color=COLORS[2], label=staff_text("staff-stats-trend-series.1"))
    step = max(1, len(labels) // 12)
    ax.set_xticks(list(xs)[::step], labels[::step], rotation=45, ha="right")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(prop={"family": FONT})
    _style(ax, staff_text("staff-stats-chart-trend"))
    return _png(fig)


def _short(name: str, limit: int = 42) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
