"""What an engine command returns, and whether a guard holds — shared by the machine's parts; pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from crisisplan.engine.incident import Event, Incident
from crisisplan.plan.schema import Guard, Runbook


@dataclass
class Outcome:
    """What a command did to an incident: the incident as it now stands, and the events that say why."""

    incident: Incident
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class TriggerOption:
    """A step the team can take from the incident's state: where it leads, and what blocks it if anything."""

    trigger: str
    label: str
    dest: str
    allowed: bool
    blocked_by: tuple[str, ...] = ()
    post: str | None = None  # the post kind whose publication takes this step (no bare trigger then)


def guard_holds(guard: Guard, incident: Incident, runbook: Runbook) -> bool:
    """Whether the incident meets the guard now: the post is out, the field filled in, the role held, the list done."""
    if guard.published:
        return guard.published in incident.published
    if guard.field:
        return bool(incident.fields.get(guard.field, "").strip())
    if guard.role:
        return bool(incident.roles.get(guard.role))
    items = next(s.checklist for s in runbook.states if s.name == incident.state)
    return set(range(len(items))) <= set(incident.checklist.get(incident.state, []))
