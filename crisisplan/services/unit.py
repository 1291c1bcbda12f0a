"""The unit of work: one change of one incident in one transaction.

`with self.change(incident_id) as work:` locks the incident, checks the version
the person saw, picks the incident's clock (drill time in a sped-up live drill),
and hands the use case the engine's view of the incident. The use case asks the
pure engine for outcomes (`work.apply(...)`) and notes what happened outside it
(`work.note(...)`). On leaving the block, in order: the state and the audit
events are saved, the posts the engine asked for are drafted, and `work.view`
is what the person sees next. An exception anywhere leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crisisplan.clock import Clock, ScaledClock, SystemClock
from crisisplan.comms.render import Renderer
from crisisplan.engine import Event, Incident, IncidentMachine, Outcome
from crisisplan.errors import Conflict, CrisisplanError, NotFound
from crisisplan.plan.load import Plan
from crisisplan.services.views import SYSTEM_ACTOR, IncidentView, _when
from crisisplan.store import audit
from crisisplan.store.db import Database, conflict_of
from crisisplan.store.models import IncidentRow, PostRow


@dataclass
class Work:
    """One change of one incident, open inside its transaction."""

    session: Session
    row: IncidentRow
    machine: IncidentMachine
    incident: Incident  # as it stands after what was applied so far
    clock: Clock  # the incident's own time: drill time in a sped-up live drill
    new: bool = False
    events: list[Event] = field(default_factory=list)
    drafts_asked: list[Event] = field(default_factory=list)  # the engine's post_drafted events
    saved: int = 0  # how many of the events are in the audit chain already
    view: IncidentView | None = None  # filled in when the change is saved

    def apply(self, outcome: Outcome) -> Outcome:
        """Take what the engine returned: its incident becomes the current one, its events are recorded."""
        self.incident = outcome.incident
        self.events.extend(outcome.events)
        self.drafts_asked.extend(e for e in outcome.events if e.kind == "post_drafted")
        return outcome

    def note(self, event_kind: str, actor: str, /, **payload: Any) -> Event:
        """Record something that happened outside the engine (an edit, an approval) in the audit chain."""
        event = Event(event_kind, self.clock.now(), actor, payload)
        self.events.append(event)
        return event


class UnitOfWork:
    """The parts every use case shares: the plan, the database, the clock and the unit of work."""

    def __init__(self, plan: Plan, db: Database, clock: Clock | None = None):
        self.plan = plan
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self._machines: dict[str, IncidentMachine] = {}
        self._renderer = Renderer(plan.root / "templates")
        self._scenarios: dict[str, Any] | None = None

    def machine(self, runbook_id: str) -> IncidentMachine:
        """The state machine of a runbook, built once."""
        if runbook_id not in self._machines:
            self._machines[runbook_id] = IncidentMachine(self.plan.runbook(runbook_id))
        return self._machines[runbook_id]

    def clock_of(self, row: IncidentRow) -> Clock:
        """The incident's time: the wall (or simulated) clock, or drill time for a drill played faster."""
        drill = row.doc.get("drill") if row.is_drill else None
        if not drill or drill.get("speed", 1) == 1:
            return self.clock
        return ScaledClock(self.clock, datetime.fromisoformat(drill["started_at"]), drill["speed"])

    @contextmanager
    def change(self, incident_id: int, expected_version: int | None = None) -> Iterator[Work]:
        """Lock the incident, check the version the person saw, and save everything on leaving."""
        with self._transaction() as session:
            row = self._locked(session, incident_id)
            if expected_version is not None and row.version != expected_version:
                raise Conflict(f"incident {incident_id} changed since you loaded it "
                               f"(version {expected_version}, now {row.version}); "
                               "nothing of your change was applied — reload and try again")
            work = self._open(session, row)
            yield work
            self._finish(work)

    @contextmanager
    def change_post(self, post_id: int, expected_version: int | None = None) -> Iterator[tuple[Work, PostRow]]:
        """Like `change`, for the incident a post belongs to; the post is in the same transaction."""
        with self._transaction() as session:
            post = session.get(PostRow, post_id)
            if post is None:
                raise NotFound(f"no post {post_id}; `crisisplan posts INCIDENT` lists them")
            row = self._locked(session, post.incident_id)
            # read the post again under its incident's lock: whoever held the lock first has committed by now
            # (on PostgreSQL the first read can predate it), so two people publishing at once find it out
            session.refresh(post)
            if expected_version is not None and post.version != expected_version:
                raise Conflict(f"post {post_id} changed since you opened it (version {expected_version}, "
                               f"now {post.version}); nothing of your change was applied — reload and compare")
            work = self._open(session, row)
            yield work, post
            post.updated_at = work.clock.now()
            self._finish(work)

    def _insert(self, declared: Outcome, clock: Clock) -> IncidentView:
        """Store a newly declared incident with its first events and drafts, in one transaction."""
        with self.declaring(declared, clock) as work:
            pass
        assert work.view is not None
        return work.view

    @contextmanager
    def declaring(self, declared: Outcome, clock: Clock) -> Iterator[Work]:
        """A unit of work for an incident the engine just declared: stored, with whatever the block adds."""
        machine = self.machine(declared.incident.runbook_id)
        with self._transaction() as session:
            row = IncidentRow(runbook_id=machine.runbook.id, runbook_version=str(machine.runbook.version),
                              chain_head=audit.GENESIS, chain_length=0)
            work = Work(session, row, machine, declared.incident, clock, new=True)
            work.apply(declared)
            self._save(work)  # the row and its id first: posts added in the block belong to it
            self._draft_requested(work)  # and the drafts the declaration asked for, for the block to find
            work.new, work.drafts_asked = False, []
            session.flush()
            yield work
            self._finish(work)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """The unit's transaction; a unique key lost to a change made at the same moment is a Conflict (409)."""
        try:
            with self.db.write() as session:
                yield session
        except IntegrityError as error:
            raise conflict_of(error) from None

    def _open(self, session: Session, row: IncidentRow) -> Work:
        machine = self.machine(row.runbook_id)
        return Work(session, row, machine, self._to_engine(row, machine), self.clock_of(row))

    def _finish(self, work: Work) -> None:
        """Save, then draft the posts the change asked for, then build the view: in that order."""
        self._save(work)
        self._notify(work)  # notices.py: the reminders and escalations this change owes, into the outbox
        self._component_history(work)  # uptime.py: the components whose public status this change moved
        self._draft_requested(work)  # posts.py: rendering is its own step, after the state is safe
        work.session.flush()  # the view must show the version this change ends at
        work.view = self._view(work.row, work.incident)

    def _locked(self, session: Session, incident_id: int) -> IncidentRow:
        query = select(IncidentRow).where(IncidentRow.id == incident_id)
        if not self.db.is_sqlite:
            query = query.with_for_update()
        row = session.scalars(query).one_or_none()
        if row is None:
            raise NotFound(f"no incident {incident_id}; `crisisplan status` lists them")
        return row

    def _save(self, work: Work) -> None:
        """The incident's row, its next wake-up and its audit events."""
        row, incident, machine = work.row, work.incident, work.machine
        row.severity, row.title, row.state = incident.severity, incident.title, incident.state
        row.is_drill, row.components = incident.is_drill, list(incident.components)
        if not work.new:
            self._drop_outdated_translations(work, dict((row.doc or {}).get("fields") or {}))
        row.doc = incident.to_record()
        row.escalations = incident.escalations
        row.declared_at, row.state_entered_at = incident.declared_at, incident.state_entered_at
        row.last_published_at = incident.last_published_at
        row.updated_at = work.clock.now()
        row.closed = machine.states[incident.state].final
        wakeups = [w for w in (machine.next_wakeup(incident), self._next_inject(incident)) if w is not None]
        wake = min(wakeups, default=None)
        # the worker reads the wall clock: a sped-up drill's wake-up is stored in real time
        row.next_due_at = work.clock.to_real(wake) if wake and isinstance(work.clock, ScaledClock) else wake
        if work.new:
            work.session.add(row)
        work.session.flush()
        incident.id = row.id  # drafts link to the incident's own page
        audit.append(work.session, row, work.events[work.saved:], self.db.audit_keys)
        work.saved = len(work.events)

    def _drop_outdated_translations(self, work: Work, before: dict[str, str]) -> None:
        """A field whose words changed in the default language takes its translations with it: they said the old
        words. The language then lacks it (held, or the fallback's words) until it is given again."""
        changed = {name for name, value in work.incident.fields.items() if before.get(name, "") != value}
        dropped = {loc: sorted(changed & set(words)) for loc, words in work.incident.translations.items()}
        for locale, names in dropped.items():
            if names:
                work.incident.translations[locale] = {k: v for k, v in work.incident.translations[locale].items()
                                                      if k not in changed}
                work.note("translation_outdated", SYSTEM_ACTOR, locale=locale, fields=names)

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
            translations={k: dict(v) for k, v in (doc.get("translations") or {}).items()},
            window=Incident.window_from_record(doc.get("window")),
        )

    def _notify(self, work: Work) -> None:
        """The messages to people a change owes (notices.py); nothing without that area."""

    def _component_history(self, work: Work) -> None:
        """Record the components whose public status the change moved (uptime.py); nothing without that area."""

    def _start_history(self) -> None:
        """Begin the component status record (uptime.py); nothing without that area."""

    def _maintenance_due(self, work: Work) -> None:
        """What a maintenance window owes by now (maintenance.py); nothing without that area."""

    # provided by the other areas of the facade
    def _draft_requested(self, work: Work) -> None: raise NotImplementedError
    def _next_inject(self, incident: Incident) -> datetime | None: raise NotImplementedError
    def _view(self, row: IncidentRow, incident: Incident | None = None) -> IncidentView: raise NotImplementedError
