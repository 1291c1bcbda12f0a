"""A runbook as an SVG diagram drawn by Graphviz: states by their labels, steps by theirs, in type a person reads.

The current state is highlighted only when one is given (an incident's page); the plan's overview draws none.
The colours and borders are the ones `console/legend.html` explains.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap

from crisisplan.errors import CrisisplanError
from crisisplan.plan.schema import Runbook

CURRENT = "#ffe08a"  # the state the incident is in: the one fill
PUBLIC = "#0b57b0"   # a step taken by publishing a post
BY_HAND = "#4a5360"  # a step a responder takes

_drawn: dict[tuple[int, str | None], bytes] = {}


def _quote(text: str, wrap: int = 0) -> str:
    """A Graphviz string; with `wrap`, broken into lines of about that many characters (a narrow drawing
    keeps its type large once the page scales it to the screen)."""
    text = " ".join(text.split())
    if wrap:
        text = "\n".join(textwrap.wrap(text, wrap)) or text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_source(runbook: Runbook, state: str | None) -> str:
    """The runbook in Graphviz's language: one node a state, one edge a step from each of its sources."""
    lines = [f"digraph {_quote(runbook.id)} {{", "  rankdir=TB; bgcolor=white; pad=0.2; nodesep=0.3; ranksep=0.45;",
             f"  label={_quote(runbook.title)}; labelloc=t; fontsize=22; fontname=\"Helvetica,Arial,sans-serif\";",
             '  node [shape=box, style="rounded,filled", fillcolor=white, color="#4a5360", fontsize=18, '
             'fontname="Helvetica,Arial,sans-serif", margin="0.2,0.1"];',
             '  edge [fontsize=15, fontname="Helvetica,Arial,sans-serif", arrowsize=0.9];',
             '  start [shape=circle, label="", width=0.25, style=filled, fillcolor="#1b1f24"];',
             f"  start -> {_quote(runbook.initial)};"]
    for s in runbook.states:
        extra = ", peripheries=2" if s.final else ""
        if s.name == state:
            extra += f', fillcolor="{CURRENT}", penwidth=3, color="#1b1f24"'
        lines.append(f"  {_quote(s.name)} [label={_quote(s.label, 18)}{extra}];")
    for t in runbook.transitions:
        colour, style = (PUBLIC, "solid") if t.post else (BY_HAND, "dashed")
        for source in runbook.sources(t):
            lines.append(f"  {_quote(source)} -> {_quote(t.dest)} [label={_quote(t.label, 16)}, color=\"{colour}\", "
                         f"fontcolor=\"{colour}\", style={style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _render(runbook: Runbook, state: str | None) -> bytes:
    dot = shutil.which("dot")
    if dot is None:
        raise CrisisplanError("Graphviz is not installed (no `dot`); scripts/setup.sh installs it")
    done = subprocess.run([dot, "-Tsvg"], input=dot_source(runbook, state).encode(), capture_output=True,  # noqa: S603
                          check=False, timeout=30)
    if done.returncode != 0:
        raise CrisisplanError(f"Graphviz could not draw runbook '{runbook.id}': {done.stderr.decode()[:200]}")
    return done.stdout


def runbook_svg(runbook: Runbook, state: str | None = None) -> bytes:
    """The runbook's states and steps; `state`, when it is one of the runbook's, is highlighted."""
    current = state if state in {s.name for s in runbook.states} else None
    key = (id(runbook), current)  # a plan's runbooks live as long as the app; a new plan draws anew
    if key not in _drawn:
        _drawn[key] = _render(runbook, current)
    return _drawn[key]
