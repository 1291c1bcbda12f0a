"""One change of an incident in one transaction: lock, check the version, run the engine, persist."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crisisplan.clock import Clock, ScaledClock, SystemClock
from crisisplan.comms import approval
from crisisplan.comms.render import Renderer
from crisisplan.engine import Event, Incident, IncidentMachine, Outcome
from crisisplan.errors import Conflict, CrisisplanError, NotFound
from crisisplan.plan.load import Plan
from crisisplan.services.views import (
    IncidentView,
    _when,
)
from crisisplan.store import audit
from crisisplan.store.db import Database
from crisisplan.store.models import (
    IncidentRow,
    PostRow,
)


class UnitOfWork:
    def __init__(self, plan: Plan, db: Database, clock: Clock | None = None):
        self.plan = plan
        self.db = db
        self._base_clock: Clock = clock or SystemClock()
        self._local = threading.local()
        self._machines: dict[str, IncidentMachine] = {}
        self._renderer = Renderer(plan.root / "templates")
        self._scenarios: dict[str, Any] | None = None

    @property
    def clock(self) -> Clock:
        """The time of the incident being worked on: drill time inside a sped-up live drill."""
        return getattr(self._local, "clock", None) or self._base_clock

    @clock.setter
    def clock(self, value: Clock) -> None:
        self._base_clock = value

    @contextmanager
    def _time_of(self, row: IncidentRow) -> Iterator[None]:
        drill = row.doc.get("drill") if row.is_drill else None
        if not drill or drill.get("speed", 1) == 1 or getattr(self._local, "clock", None) is not None:
            yield
            return
        self._local.clock = ScaledClock(self._base_clock, datetime.fromisoformat(drill["started_at"]),
                                        drill["speed"])
        try:
            yield
        finally:
            self._local.clock = None

    def machine(self, runbook_id: str) -> IncidentMachine:
        if runbook_id not in self._machines:
            self._machines[runbook_id] = IncidentMachine(self.plan.runbook(runbook_id))
        return self._machines[runbook_id]

    def _note(self, incident: Incident, event_kind: str, actor: str, **payload: Any) -> Outcome:
        return Outcome(incident, [Event(event_kind, self.clock.now(), actor, payload)])

    def _change(self, incident_id: int, command: Callable[[IncidentMachine, Incident], Outcome],
                expected_version: int | None = None,
                also: Callable[[Any], None] | None = None) -> IncidentView:
        with self.db.write() as session, self._time_of(row := self._locked(session, incident_id)):
            if expected_version is not None and row.version != expected_version:
                raise Conflict(f"incident {incident_id} changed since you loaded it "
                               f"(version {expected_version}, now {row.version}); "
                               "nothing of your change was applied — reload and try again")
            machine = self.machine(row.runbook_id)
            outcome = command(machine, self._to_engine(row, machine))
            if also is not None:
                also(session)
            self._save(session, row, outcome)
            return self._view(row, outcome.incident)

    def _locked(self, session: Any, incident_id: int) -> IncidentRow:
        query = select(IncidentRow).where(IncidentRow.id == incident_id)
        if not self.db.is_sqlite:
            query = query.with_for_update()
        row = session.scalars(query).one_or_none()
        if row is None:
            raise NotFound(f"no incident {incident_id}; `crisisplan status` lists them")
        return row

    def _post_change(self, post_id: int, step: Callable[[PostRow, IncidentMachine, Incident], Outcome],
                     expected_version: int | None = None) -> PostRow:
        """Change a post and record it in its incident's chain, in one transaction."""
        with self.db.write() as session:
            post = session.get(PostRow, post_id)
            if post is None:
                raise NotFound(f"no post {post_id}; `crisisplan posts INCIDENT` lists them")
            if expected_version is not None and post.version != expected_version:
                raise Conflict(f"post {post_id} changed since you opened it (version {expected_version}, "
                               f"now {post.version}); nothing of your change was applied — reload and compare")
            row = self._locked(session, post.incident_id)
            with self._time_of(row):
                machine = self.machine(row.runbook_id)
                outcome = step(post, machine, self._to_engine(row, machine))
                post.updated_at = self.clock.now()
                self._save(session, row, outcome)
            return post

    def _save(self, session: Any, row: IncidentRow, outcome: Outcome, new: bool = False) -> None:
        incident, now = outcome.incident, self.clock.now()
        machine = self.machine(row.runbook_id)
        row.severity, row.title, row.state = incident.severity, incident.title, incident.state
        row.is_drill, row.components = incident.is_drill, list(incident.components)
        row.doc = incident.to_record()
        row.escalations = incident.escalations
        row.declared_at, row.state_entered_at = incident.declared_at, incident.state_entered_at
        row.last_published_at = incident.last_published_at
        row.updated_at = now
        row.closed = machine.states[incident.state].final
        wakeups = [w for w in (machine.next_wakeup(incident), self._next_inject(incident)) if w is not None]
        wake = min(wakeups, default=None)
        clock = self.clock
        row.next_due_at = clock.to_real(wake) if wake and isinstance(clock, ScaledClock) else wake
        if new:
            session.add(row)
        session.flush()
        incident.id = row.id  # drafts link to the incident's own page
        drafts = [e for e in outcome.events if e.kind == "post_drafted"]
        pending: set[str] = set()
        if drafts and not new:
            # One pending draft a kind: the team edits it rather than a pile of copies.
            pending = set(session.scalars(select(PostRow.kind).where(
                PostRow.incident_id == row.id, PostRow.status != "published")))
        audit.append(session, row, outcome.events)
        for event in drafts:
            if event.payload["kind"] not in pending:
                pending.add(event.payload["kind"])
                self._draft(session, row, incident, event)
        session.flush()  # the view built next must show the version this change ends at

    def _draft(self, session: Any, row: IncidentRow, incident: Incident, event: Event) -> None:
        kind = event.payload["kind"]
        drafted = self.render_post(incident, kind)
        session.add(PostRow(incident_id=row.id, kind=kind, status=approval.DRAFT, bodies=drafted.bodies,
                            short_bodies=drafted.short_bodies, next_update_at=drafted.promise,
                            promise_text=drafted.promise_text, promise_fixed=False, channels={},
                            render_error="\n".join(drafted.errors), reason=event.payload.get("reason", ""),
                            author=event.actor, approvals=[], created_at=event.at, updated_at=event.at))

    def _to_engine(self, row: IncidentRow, machine: IncidentMachine) -> Incident:
        if row.state not in machine.states:
            raise CrisisplanError(
                f"incident {row.id} is in state '{row.state}', which runbook '{row.runbook_id}' "
                f"no longer has; put the state back in runbooks/{row.runbook_id}.yaml")
        doc = row.doc
        return Incident(
            id=row.id, version=row.version, runbook_id=row.runbook_id, severity=row.severity,
            title=row.title, state=row.state, declared_at=row.declared_at,
            state_entered_at=row.state_entered_at, is_drill=row.is_drill,
            components=list(row.components), fields=dict(doc.get("fields", {})),
            roles=dict(doc.get("roles", {})),
            checklist={k: list(v) for k, v in doc.get("checklist", {}).items()},
            published={k: datetime.fromisoformat(v) for k, v in doc.get("published", {}).items()},
            last_published_at=row.last_published_at,
            promised_update_at=_when(doc.get("promised_update_at")),
            timers=Incident.timers_from_record(doc.get("timers", {})),
            escalations=row.escalations,
            drill=dict(doc["drill"]) if doc.get("drill") else None,
        )



def _chain(commands: list[Callable[[IncidentMachine, Incident], Outcome]]) -> Callable[..., Outcome]:
    """Several engine commands as one: each sees the incident the one before left."""

    def run(machine: IncidentMachine, incident: Incident) -> Outcome:
        events: list[Event] = []
        for command in commands:
            outcome = command(machine, incident)
            incident, events = outcome.incident, events + outcome.events
        return Outcome(incident, events)

    return run

