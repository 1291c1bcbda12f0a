"""Routes through a runbook: the fewest steps from a state to one the public sees with a given status — pure."""

from __future__ import annotations

from collections import deque

from crisisplan.plan.schema import Runbook, Transition


def path_to_status(runbook: Runbook, start: str, status: str) -> list[Transition] | None:
    """The fewest transitions from `start` to a state whose public status is `status`; None if none leads there.

    The way never passes through a final state (an incident that ended does not come back).
    """
    public = {s.name: s.public_status for s in runbook.states}
    seen, queue = {start}, deque([(start, list[Transition]())])
    while queue:
        state, steps = queue.popleft()
        if runbook.state(state).final:
            continue
        for transition in runbook.transitions:
            if state not in runbook.sources(transition) or transition.dest in seen:
                continue
            route = [*steps, transition]
            if public.get(transition.dest) == status:
                return route
            seen.add(transition.dest)
            queue.append((transition.dest, route))
    return None
