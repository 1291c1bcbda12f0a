"""The drill report: scorecard, what went well, what to improve, and a timeline chart drawn as SVG."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from crisisplan.drills.record import DrillRecord
from crisisplan.drills.score import Scorecard
from crisisplan.duration import format_duration

WIDTH, LEFT, RIGHT, ROW = 960, 130, 20, 26
STATE_COLOURS = ["#dbe9f6", "#fde7c8", "#e3f1dd", "#f4dbe9", "#e6e1f4", "#fff5c2", "#d9f0f0", "#eeeeee"]
_Event = tuple[datetime, str, dict[str, Any]]  # (at, kind, payload)
_X = Callable[[datetime], float]  # a moment's place on the time axis


def _when(run: DrillRecord, moment: datetime) -> str:
    delta = moment - run.started_at
    return "+" + (format_duration(delta) if delta.total_seconds() > 0 else "0m")


def timeline_svg(run: DrillRecord) -> str:
    """States as bands, posts as dots, injects as triangles, deadlines as dashed lines, on one time axis."""
    events = [(at, kind, payload) for at, kind, _, payload in run.events]
    start, end = run.started_at, run.ended_at
    span = max((end - start).total_seconds(), 1)

    def x(moment: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * min(max((moment - start).total_seconds() / span, 0), 1)

    rows = ["States", "Posts", "Injects", "Deadlines"]
    height = ROW * len(rows) + 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
           f'height="{height}" role="img" aria-label="Timeline of the drill" font-family="sans-serif" font-size="11">',
           f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>']
    for i, name in enumerate(rows):
        out.append(f'<text x="8" y="{30 + i * ROW + 16}" fill="#1b1f24">{name}</text>')
    out += _state_row(run, events, x)
    out += _post_row(run, events, x, 30 + ROW + 11)
    out += _inject_row(run, x, 30 + 2 * ROW + 11)
    out += _deadline_row(run, events, x, 30 + 3 * ROW)
    out += _axis(run, x, 30 + len(rows) * ROW + 4)
    out.append("</svg>")
    return "\n".join(out)


def _state_row(run: DrillRecord, events: list[_Event], x: _X) -> list[str]:
    """The states the incident went through, one band each, labelled when wide enough."""
    runbook = run.runbook
    bands, current, since = [], runbook.initial, run.started_at
    for at, kind, payload in events:
        if kind == "state_changed":
            bands.append((current, since, at))
            current, since = payload["to"], at
    bands.append((current, since, run.ended_at))
    colours = {s.name: STATE_COLOURS[i % len(STATE_COLOURS)] for i, s in enumerate(runbook.states)}
    out = []
    for state, a, b in bands:
        x1, x2 = x(a), max(x(b), x(a) + 1)
        out.append(f'<rect x="{x1:.1f}" y="30" width="{x2 - x1:.1f}" height="{ROW - 4}" fill="{colours[state]}" '
                   f'stroke="#8a94a3"><title>{html.escape(state)} {_when(run, a)}–{_when(run, b)}</title></rect>')
        if x2 - x1 > 40:
            out.append(f'<text x="{x1 + 4:.1f}" y="46" fill="#1b1f24">{html.escape(state)}</text>')
    return out


def _post_row(run: DrillRecord, events: list[_Event], x: _X, y: int) -> list[str]:
    """Each published post as a green dot; each post made outside the review as a red one."""
    out = []
    for at, kind, payload in events:
        if kind == "post_published":
            out.append(f'<circle cx="{x(at):.1f}" cy="{y}" r="5" fill="#1d6b36"><title>{html.escape(payload["kind"])} '
                       f'published {_when(run, at)}</title></circle>')
        elif kind == "external_post":
            out.append(f'<circle cx="{x(at):.1f}" cy="{y}" r="6" fill="#a1181d"><title>posted outside the review '
                       f'{_when(run, at)}</title></circle>')
    return out


def _inject_row(run: DrillRecord, x: _X, y: int) -> list[str]:
    """Each inject as a triangle, its text on hover."""
    out = []
    for at, inject in run.injects:
        px = x(at)
        out.append(f'<path d="M{px:.1f},{y - 7} L{px + 6:.1f},{y + 5} L{px - 6:.1f},{y + 5} Z" fill="#8a4b00">'
                   f'<title>{html.escape(inject.kind)} {_when(run, at)}: {html.escape(inject.text)}</title></path>')
    return out


def _deadline_row(run: DrillRecord, events: list[_Event], x: _X, y: int) -> list[str]:
    """Every due time promised within the drill as a line; timers fired and escalations as dashed ones."""
    out = []
    promised = {(p["timer"], p["due_at"]) for _, kind, p in events if kind == "timer_set"}
    for timer, due in sorted(promised):
        moment = datetime.fromisoformat(due)
        if run.started_at <= moment <= run.ended_at:
            out.append(f'<line x1="{x(moment):.1f}" y1="{y + 6}" x2="{x(moment):.1f}" y2="{y + ROW - 10}" '
                       f'stroke="#4a5360"><title>{html.escape(timer)} due {_when(run, moment)}</title></line>')
    for at, kind, payload in events:
        if kind in ("timer_fired", "escalated"):
            px = x(at)
            colour = "#a1181d" if kind == "escalated" else "#8a4b00"
            out.append(f'<line x1="{px:.1f}" y1="{y}" x2="{px:.1f}" y2="{y + ROW - 4}" stroke="{colour}" '
                       f'stroke-dasharray="3,2"><title>{html.escape(kind)}: {html.escape(payload.get("timer", ""))} '
                       f'{_when(run, at)}</title></line>')
    return out


def _axis(run: DrillRecord, x: _X, axis: int) -> list[str]:
    """The time axis, with seven ticks from the start of the drill to its end."""
    start, end = run.started_at, run.ended_at
    out = [f'<line x1="{LEFT}" y1="{axis}" x2="{WIDTH - RIGHT}" y2="{axis}" stroke="#4a5360"/>']
    for i in range(7):
        moment = start + (end - start) * i / 6
        out.append(f'<text x="{x(moment):.1f}" y="{axis + 16}" text-anchor="middle" fill="#4a5360">'
                   f'{_when(run, moment)}</text>')
    return out


def _lines(card: Scorecard) -> tuple[list[str], list[str]]:
    good = [f"{c.name}: {c.line}" for c in card.checks if c.passed]
    better = [f"{c.name}: {c.line}" for c in card.checks if not c.passed]
    return good, better


def markdown(run: DrillRecord, card: Scorecard, svg_name: str | None = None) -> str:
    scenario = run.scenario
    good, better = _lines(card)
    out = [f"# Drill report: {scenario.title}", "",
           f"Scenario `{scenario.id}` on runbook `{scenario.runbook}`, severity {scenario.severity}, "
           f"{format_duration(scenario.duration)} on a simulated clock.", "",
           f"**Score: {card.score} / 100**", "", "| check | result | what happened |", "|---|---|---|"]
    out += [f"| {c.name} | {round(c.value * 100)}% | {c.line.replace('|', '/')} |" for c in card.checks]
    out += ["", "## What went well", ""] + [f"- {line}" for line in good or ["nothing fully met"]]
    out += ["", "## What to improve", ""] + [f"- {line}" for line in better or ["nothing: every check passed"]]
    if svg_name:
        out += ["", "## Timeline", "", f"![Timeline of the drill]({svg_name})"]
    out += ["", "## Events", "", "| when | what | details |", "|---|---|---|"]
    for at, kind, _, payload in run.events:
        details = ", ".join(f"{k}={v}" for k, v in sorted(payload.items()) if k != "diff")
        out.append(f"| {_when(run, at)} | {kind} | {details.replace('|', '/')[:160]} |")
    return "\n".join(out) + "\n"


def html_page(run: DrillRecord, card: Scorecard) -> str:
    scenario = run.scenario
    good, better = _lines(card)
    rows = "".join(f"<tr><td>{html.escape(c.name)}</td><td>{round(c.value * 100)}%</td>"
                   f"<td>{html.escape(c.line)}</td></tr>" for c in card.checks)
    items = lambda lines: "".join(f"<li>{html.escape(line)}</li>" for line in lines)  # noqa: E731
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Drill report: {html.escape(scenario.title)}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:62rem;margin:auto;padding:1rem;color:#1b1f24}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #d0d5dc;padding:.3rem;text-align:left}}
svg{{max-width:100%;height:auto}}</style></head>
<body><main>
<h1>Drill report: {html.escape(scenario.title)}</h1>
<p>Scenario <code>{html.escape(scenario.id)}</code> on runbook <code>{html.escape(scenario.runbook)}</code>,
severity {html.escape(scenario.severity)}, {format_duration(scenario.duration)} on a simulated clock.</p>
<p><strong>Score: {card.score} / 100</strong></p>
<table><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">What happened</th></tr></thead>
<tbody>{rows}</tbody></table>
<h2>What went well</h2><ul>{items(good or ["nothing fully met"])}</ul>
<h2>What to improve</h2><ul>{items(better or ["nothing: every check passed"])}</ul>
<h2>Timeline</h2>
{timeline_svg(run)}
</main></body></html>
"""
