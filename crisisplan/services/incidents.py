"""Declaring and moving incidents: triggers, fields, roles, checklist, severity, timers."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crisisplan.comms import approval
from crisisplan.engine import Event, Incident, IncidentMachine, Outcome
from crisisplan.errors import Conflict, CrisisplanError
from crisisplan.services.unit import UnitOfWork, _chain
from crisisplan.services.views import (
    SYSTEM_ACTOR,
    IncidentView,
)
from crisisplan.store import audit
from crisisplan.store.models import (
    IncidentRow,
    PostRow,
)


class IncidentCommands(UnitOfWork):
    # changes -------------------------------------------------------------------
    def declare(self, runbook_id: str, severity: str, title: str, actor: str,
                components: list[str] | None = None, fields: dict[str, str] | None = None,
                is_drill: bool = False, drill: dict[str, Any] | None = None) -> IncidentView:
        machine = self.machine(runbook_id)
        known = {c.name for c in self.plan.settings.components}
        for name in components or []:
            if known and name not in known:
                from crisisplan.errors import did_you_mean

                raise CrisisplanError(f"unknown component '{name}' (plan.yaml); "
                                      + did_you_mean(name, known))
        outcome = machine.declare(self.clock, severity=severity, title=title, actor=actor,
                                  components=components, fields=fields, is_drill=is_drill)
        outcome.incident.drill = drill
        with self.db.write() as session:
            row = IncidentRow(runbook_id=runbook_id,
                              runbook_version=str(machine.runbook.version),
                              chain_head=audit.GENESIS, chain_length=0)
            self._save(session, row, outcome, new=True)
            return self._view(row, outcome.incident)

    def trigger(self, incident_id: int, name: str, actor: str,
                fields: dict[str, str] | None = None, expected_version: int | None = None) -> IncidentView:
        return self._change(incident_id, lambda m, i: m.trigger(i, name, self.clock, actor, fields),
                            expected_version)

    def set_fields(self, incident_id: int, values: dict[str, str], actor: str,
                   expected_version: int | None = None) -> IncidentView:
        return self._change(incident_id, lambda m, i: m.set_fields(i, values, self.clock, actor),
                            expected_version)

    def assign_role(self, incident_id: int, role: str, person: str, actor: str,
                    expected_version: int | None = None) -> IncidentView:
        return self._change(incident_id,
                            lambda m, i: m.assign_role(i, role, person, self.clock, actor),
                            expected_version)

    def check_item(self, incident_id: int, item: int, actor: str, done: bool = True,
                   expected_version: int | None = None) -> IncidentView:
        return self._change(incident_id,
                            lambda m, i: m.check_item(i, item, self.clock, actor, done),
                            expected_version)

    def check_items(self, incident_id: int, items: list[int], actor: str) -> IncidentView:
        """Tick several checklist items in one change (one transaction, one event each)."""
        # self.clock is read inside the change: drill time in a sped-up live drill
        return self._change(incident_id, _chain([lambda m, i, n=n: m.check_item(i, n, self.clock, actor)
                                                 for n in items]))

    def assign_roles(self, incident_id: int, people: dict[str, str], actor: str) -> IncidentView:
        """Assign several roles in one change."""
        return self._change(incident_id, _chain([lambda m, i, r=r, p=p: m.assign_role(i, r, p, self.clock, actor)
                                                 for r, p in people.items()]))

    def set_severity(self, incident_id: int, severity: str, actor: str,
                     expected_version: int | None = None) -> IncidentView:
        return self._change(incident_id,
                            lambda m, i: m.set_severity(i, severity, self.clock, actor),
                            expected_version)

    def record_note(self, incident_id: int, kind: str, actor: str, **payload: Any) -> IncidentView:
        """Put something that happened outside the engine into the incident's audit chain."""
        return self._change(incident_id, lambda machine, incident: self._note(incident, kind, actor, **payload))

    def next_due(self, incident_id: int) -> datetime | None:
        """When `tick` next has work for this incident, on the wall clock (one column, no incident load)."""
        with self.db.read() as session:
            return session.scalar(select(IncidentRow.next_due_at).where(IncidentRow.id == incident_id,
                                                                        IncidentRow.closed.is_(False)))

    def tick(self, now: datetime | None = None, only: int | None = None) -> list[tuple[int, list[Event]]]:
        """Fire every timer due by `now` (default: the clock's time); of one incident with `only`."""
        moment = now or self.clock.now()
        with self.db.read() as session:
            query = select(IncidentRow.id).where(IncidentRow.next_due_at <= moment, IncidentRow.closed.is_(False))
            due = list(session.scalars(query.where(IncidentRow.id == only) if only is not None else
                                       query.order_by(IncidentRow.next_due_at)))
            query = select(PostRow.id).where(PostRow.status == approval.SCHEDULED, PostRow.publish_at <= moment)
            scheduled = list(session.scalars(query.where(PostRow.incident_id == only) if only is not None else query))
        for post_id in scheduled:
            try:
                self.publish_post(post_id, SYSTEM_ACTOR)
            except CrisisplanError:
                continue  # stays scheduled and visible as overdue; one bad post must not stop the timers
        fired = []
        for incident_id in due:
            events: list[Event] = []
            try:
                self._change(incident_id, functools.partial(self._fire, events=events))
            except Conflict:
                continue  # somebody changed it meanwhile; the next tick sees the new state
            if events:
                fired.append((incident_id, events))
        return fired

    def _fire(self, machine: IncidentMachine, incident: Incident, events: list[Event]) -> Outcome:
        outcome = machine.tick(incident, self.clock, SYSTEM_ACTOR)
        self._inject(outcome)
        events.extend(outcome.events)
        return outcome

