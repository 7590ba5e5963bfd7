"""Charts drawn by the server as inline SVG: no script, no external service.

Each chart is an image for assistive technology (role="img", a <title> and an aria-label summing it up);
the pages print the same numbers in a table beside it.
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_COLOUR, EMPTY_COLOUR, LINE_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#1f5c99", "#d5dde6", "#1f5c99", "#c8d0d8", "#222"
RAG_COLOURS = {"red": "#b42318", "amber": "#b76e00", "green": "#1e7b34"}


def _pct(value: int | None) -> str:
    return "no data" if value is None else f"{value}%"


def bar_chart(title: str, rows: Sequence[tuple[str, int | None]], width: int = 560) -> Markup:
    """Horizontal bars, one per (label, percent 0-100 or None)."""
    row_h, label_w, pad = 26, 170, 8
    bar_w = width - label_w - 60
    height = max(1, len(rows)) * row_h + pad * 2
    summary = "; ".join(f"{label}: {_pct(value)}" for label, value in rows) or "no data"
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}. {escape(summary)}" '
             f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(rows):
        y = pad + i * row_h
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="12" '
                     f'fill="{TEXT_COLOUR}">{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" fill="{EMPTY_COLOUR}"/>')
        if value:
            w = round(bar_w * max(0, min(100, value)) / 100)
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" fill="{BAR_COLOUR}"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 17}" font-size="12" '
                     f'fill="{TEXT_COLOUR}">{escape(_pct(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(title: str, points: Sequence[tuple[str, int | None]], width: int = 560, height: int = 220) -> Markup:
    """A line over (label, percent 0-100 or None) points, 0-100% on the vertical axis."""
    left, right, top, bottom = 40, 10, 10, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    summary = "; ".join(f"{label}: {_pct(value)}" for label, value in points) or "no data"
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}. {escape(summary)}" '
             f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h - plot_h * tick / 100
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
                     f'fill="{TEXT_COLOUR}">{tick}%</text>')
    n = len(points)
    step = plot_w / (n - 1) if n > 1 else 0
    coords = []
    label_every = max(1, n // 10)
    for i, (label, value) in enumerate(points):
        x = left + (i * step if n > 1 else plot_w / 2)
        if i % label_every == 0 or i == n - 1:
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" font-size="10" '
                         f'fill="{TEXT_COLOUR}">{escape(label)}</text>')
        if value is not None:
            y = top + plot_h - plot_h * max(0, min(100, value)) / 100
            coords.append((x, y))
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{LINE_COLOUR}"/>')
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE_COLOUR}" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def rag_dot(flag: str | None) -> Markup:
    """A coloured dot with the flag in words beside it (colour is never the only signal)."""
    if not flag:
        return Markup('<span class="muted">—</span>')
    colour = RAG_COLOURS.get(flag, EMPTY_COLOUR)
    return Markup(f'<span class="rag rag-{escape(flag)}"><svg aria-hidden="true" focusable="false" width="10" '
                  f'height="10" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="{colour}"/></svg> '
                  f'{escape(flag.title())}</span>')


def worst_flag(flags: Sequence[str]) -> str | None:
    """The most urgent of several flags (red over amber over green); None when there are none."""
    for flag in ("red", "amber", "green"):
        if flag in flags:
            return flag
    return None
