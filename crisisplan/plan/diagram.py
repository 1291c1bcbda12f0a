"""A runbook as an SVG diagram, drawn by `transitions`' diagram support (Graphviz), current state highlighted."""

from __future__ import annotations

import io
import shutil

from transitions.extensions.diagrams import GraphMachine

from crisisplan.errors import CrisisplanError
from crisisplan.plan.schema import Runbook


class _Model:
    pass


_drawn: dict[tuple[int, str], bytes] = {}


def _draw(runbook: Runbook, state: str) -> bytes:
    key = (id(runbook), state)  # a plan's runbooks live as long as the app; a new plan draws anew
    if key not in _drawn:
        _drawn[key] = _render(runbook, state)
    return _drawn[key]


def _render(runbook: Runbook, state: str) -> bytes:
    if shutil.which("dot") is None:
        raise CrisisplanError("Graphviz is not installed (no `dot`); scripts/setup.sh installs it")
    transitions = [{"trigger": t.trigger, "source": runbook.sources(t), "dest": t.dest}
                   for t in runbook.transitions]
    model = _Model()
    GraphMachine(model=model, states=[s.name for s in runbook.states], transitions=transitions,
                 initial=state, auto_transitions=False, graph_engine="graphviz", title=runbook.title,
                 show_conditions=False)
    out = io.BytesIO()
    model.get_graph().draw(out, format="svg", prog="dot")  # type: ignore[attr-defined]
    return out.getvalue()


def runbook_svg(runbook: Runbook, state: str | None = None) -> bytes:
    """The runbook's states and triggers; `state` (default: the initial one) is highlighted."""
    return _draw(runbook, state if state in {s.name for s in runbook.states} else runbook.initial)
