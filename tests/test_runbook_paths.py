"""Every shipped runbook walked along each of its paths to a final state, on a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.plan.load import load_plan
from tests.walk import satisfy, simple_paths, take

PLAN = load_plan(SHIPPED_PLAN)
CASES = [
    (runbook_id, path)
    for runbook_id, runbook in sorted(PLAN.runbooks.items())
    for path in simple_paths(runbook)
]


def test_every_runbook_has_paths_to_an_end() -> None:
    counts = {rb: sum(1 for r, _ in CASES if r == rb) for rb in PLAN.runbooks}
    assert all(n >= 1 for n in counts.values()), counts
    assert len(CASES) >= 10


@pytest.mark.parametrize(("runbook_id", "path"), CASES,
                         ids=[f"{r}:{'>'.join(t for t, _ in p)}" for r, p in CASES])
def test_walk_path_to_final_state(services, runbook_id: str, path: list[tuple[str, str]]) -> None:
    runbook = services.plan.runbook(runbook_id)
    if runbook.maintenance is not None:  # a window is scheduled, not declared; a person may move it early
        now = services.clock.now()
        view = services.schedule_maintenance(runbook_id, "Walk test", now + timedelta(hours=1),
                                             now + timedelta(hours=2), "tester")
    else:
        view = services.declare(runbook_id, runbook.severities[0].name, "Walk test", "tester")
    for trigger, dest in path:
        before = services.get(view.id)
        blocked = next(o for o in before.options if o.trigger == trigger)
        satisfy(services, view.id, trigger)
        view = take(services, view.id, trigger)
        assert view.state == dest, (trigger, blocked)
    assert view.closed and services.machine(runbook_id).states[view.state].final
    assert view.deadlines == []  # nothing keeps ticking for a finished incident
    changes = [e for e in services.timeline(view.id) if e.kind == "state_changed"]
    assert len(changes) == len(path)
    assert services.verify_audit()[2] == []
