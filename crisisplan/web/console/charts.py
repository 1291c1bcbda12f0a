"""Bar charts drawn on the server as SVG: no JavaScript, a title and a description for screen readers, and the
page puts the same figures in a table beside each one."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, BAR, GAP, LABEL = 420, 22, 8, 90


def bar_chart(chart_id: str, title: str, desc: str, rows: list[tuple[str, float | None]], unit: str) -> Markup:
    """Horizontal bars, one a row (label, value); a row without a value says "no data" instead of a bar."""
    top = max((v for _, v in rows if v is not None), default=0) or 1
    height = max(1, len(rows)) * (BAR + GAP) + GAP
    span = WIDTH - LABEL - 70
    # width 100% of its box (at most 560 px, style.css), the height following the viewBox: readable at 320 px
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" '
             f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
             f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>']
    for index, (label, value) in enumerate(rows):
        y = GAP + index * (BAR + GAP)
        parts.append(f'<text x="{LABEL - 6}" y="{y + BAR * 0.7:.1f}" text-anchor="end" font-size="13">'
                     f"{escape(label)}</text>")
        if value is None:
            parts.append(f'<text x="{LABEL + 4}" y="{y + BAR * 0.7:.1f}" font-size="13" fill="#555">no data</text>')
            continue
        length = max(1.0, span * value / top)
        parts.append(f'<rect x="{LABEL}" y="{y}" width="{length:.1f}" height="{BAR}" fill="#1f5f99"/>')
        parts.append(f'<text x="{LABEL + length + 4:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13">'
                     f"{value:g} {escape(unit)}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))


def paired_bar_chart(chart_id: str, title: str, desc: str, rows: list[tuple[str, float, float]],
                     legend: tuple[str, str]) -> Markup:
    """Two horizontal bars a row (label, now, before): now in the dark colour, before in the light one below it,
    each with its figure, and a legend naming both."""
    top = max((max(a, b) for _, a, b in rows), default=0) or 1
    pair = 2 * BAR * 0.6 + GAP
    height = int(max(1, len(rows)) * pair + GAP + 24)
    span = WIDTH - LABEL - 70
    colours = ("#1f5f99", "#9cc3e6")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" '
             f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{chart_id}-t {chart_id}-d" class="chart">',
             f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>']
    for index, name in enumerate(legend):
        x = LABEL + index * 150
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colours[index]}"/>'
                     f'<text x="{x + 16}" y="14" font-size="12">{escape(name)}</text>')
    for index, (label, *values) in enumerate(rows):
        y = 24 + GAP + index * pair
        parts.append(f'<text x="{LABEL - 6}" y="{y + BAR * 0.8:.1f}" text-anchor="end" font-size="13">'
                     f"{escape(label)}</text>")
        for which, value in enumerate(values):
            top_y = y + which * BAR * 0.6
            length = max(1.0, span * value / top) if value else 0.0
            parts.append(f'<rect x="{LABEL}" y="{top_y:.1f}" width="{length:.1f}" height="{BAR * 0.6:.1f}" '
                         f'fill="{colours[which]}"/>')
            parts.append(f'<text x="{LABEL + length + 4:.1f}" y="{top_y + BAR * 0.5:.1f}" font-size="11">'
                         f"{value:g}</text>")
    if not rows:
        parts.append(f'<text x="{LABEL}" y="{24 + GAP + BAR * 0.7:.1f}" font-size="13" fill="#555">no complaints in '
                     "these two weeks</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
