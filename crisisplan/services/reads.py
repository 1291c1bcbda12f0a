"""What people read: incident views, timelines, posts, the public incidents, audit checks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crisisplan.clock import Clock, ScaledClock
from crisisplan.comms import approval
from crisisplan.engine import Incident, IncidentMachine
from crisisplan.engine.timers import promise_state
from crisisplan.errors import NotFound
from crisisplan.services import public_views
from crisisplan.services.unit import UnitOfWork
from crisisplan.services.views import (
    ACK_TIMER,
    UPDATE_TIMER,
    Deadline,
    IncidentView,
    PublicIncident,
)
from crisisplan.store import audit
from crisisplan.store.models import (
    AuditEventRow,
    ComponentStatusRow,
    IncidentRow,
    PostRow,
)


class Reads(UnitOfWork):
    """What people and the public read; nothing here changes anything."""

    def get(self, incident_id: int) -> IncidentView:
        """The incident as people read it: its state, deadlines, checklist and what can happen next."""
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}; `crisisplan status` lists them")
            return self._view(row)

    def incident(self, incident_id: int) -> Incident:
        """The incident as the runbook engine sees it, to check what may happen to it."""
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}")
            return self._to_engine(row, self.machine(row.runbook_id))

    def status(self, include_closed: bool = False) -> list[IncidentView]:
        """Every open incident (closed ones too when asked), in the order they were declared."""
        with self.db.read() as session:
            query = select(IncidentRow).order_by(IncidentRow.id)
            if not include_closed:
                query = query.where(IncidentRow.closed.is_(False))
            return [self._view(row) for row in session.scalars(query)]

    def _view(self, row: IncidentRow, incident: Incident | None = None) -> IncidentView:
        """The incident as people read it; a sped-up drill's deadlines shown on the wall clock they watch."""
        machine = self.machine(row.runbook_id)
        incident = incident or self._to_engine(row, machine)
        clock = self.clock_of(row)
        state = machine.states[row.state]
        labels = {t.name: t.label for t in machine.runbook.timers}
        done = set(incident.checklist.get(row.state, []))
        wall = clock.to_real if isinstance(clock, ScaledClock) else (lambda moment: moment)
        return IncidentView(
            id=row.id, title=row.title, runbook_id=row.runbook_id, severity=row.severity,
            state=row.state, state_label=state.label, public_status=state.public_status,
            is_drill=row.is_drill, closed=row.closed, declared_at=row.declared_at,
            version=row.version, components=list(row.components), fields=incident.fields,
            roles=incident.roles,
            checklist=[(text, i in done) for i, text in enumerate(state.checklist)],
            escalations=row.escalations,
            deadlines=sorted((Deadline(n, labels[n], wall(d)) for n, d in machine.due(incident).items()),
                             key=lambda d: d.due_at),
            options=machine.options(incident),
            promise=self._promise(machine, incident, UPDATE_TIMER, clock),
            acknowledgement=self._promise(machine, incident, ACK_TIMER, clock),
            translations={k: dict(v) for k, v in incident.translations.items()},
        )

    def _promise(self, machine: IncidentMachine, incident: Incident, name: str, clock: Clock) -> str | None:
        timer = next((t for t in machine.runbook.timers if t.name == name), None)
        return None if timer is None else promise_state(timer, incident, machine.runbook, clock.now())

    def timeline(self, incident_id: int) -> list[AuditEventRow]:
        """Everything that happened to the incident, in order, from its audit trail."""
        self.get(incident_id)
        with self.db.read() as session:
            return list(session.scalars(select(AuditEventRow)
                                        .where(AuditEventRow.incident_id == incident_id)
                                        .order_by(AuditEventRow.seq)))

    def promises(self, incident_id: int) -> dict[str, Any]:
        """Promises of the next update, derived from the audit trail (comms/review.py `promises`): every
        next-update time a published post named is a promise; the next post by then keeps it, a later one (or
        none once the time has passed) breaks it."""
        return self.promises_in(self.timeline(incident_id))

    def promises_in(self, events: list[AuditEventRow]) -> dict[str, Any]:
        """`promises` from an incident's audit events already read, oldest first."""
        from crisisplan.comms.review import Entry, promises

        found = promises([Entry(e.seq, e.at, e.actor, e.kind, json.loads(e.payload)) for e in events],
                         self.clock.now())
        kept = sum(1 for p in found if p.outcome == "kept")
        broken = sum(1 for p in found if p.outcome == "broken")
        total = kept + broken
        return {"kept": kept, "broken": broken, "rate": round(kept / total, 3) if total else None}

    def posts(self, incident_id: int) -> list[PostRow]:
        """Every post of the incident, drafts included, oldest first."""
        self.get(incident_id)
        with self.db.read() as session:
            return list(session.scalars(select(PostRow).where(PostRow.incident_id == incident_id)
                                        .order_by(PostRow.id)))

    def post(self, post_id: int) -> PostRow:
        """One post, whatever its status."""
        with self.db.read() as session:
            post = session.get(PostRow, post_id)
            if post is None:
                raise NotFound(f"no post {post_id}; `crisisplan posts INCIDENT` lists them")
            return post

    def public_incidents(self, days: int = 90, drill_id: int | None = None, *, which: str = "all",
                         limit: int | None = None, offset: int = 0,
                         between: tuple[datetime, datetime] | None = None,
                         incident_id: int | None = None, maintenance: bool = False) -> list[PublicIncident]:
        """What the public may see: real incidents with a published public post, open or from the last `days`.

        Every public output (page, feeds, CAP, v2 JSON, export) reads this, so this is where a private or
        internal post is kept out (`Runbook.audience`); an internal incident shows under its first public
        post's words, never its own title.

        Drills never appear; `drill_id` asks for one drill alone, for its sandbox page.
        Each update carries the public status the incident had when it went out,
        read from the audit trail.

        So that a page costs the same at any size of history, callers bound what they read:
        `which` is "all" (open, or declared in the last `days`), "open" or "closed" (closed and
        declared in the last `days`); `between` (start, end) asks for those declared in that span
        instead; `limit` and `offset` page through them, newest declared first. `incident_id` asks for
        that one public incident, whatever its age. Maintenance windows are apart: `maintenance=True` gives
        them alone (`incident_id` finds either).
        """
        with self.db.read() as session:
            query = self._public_query(days, drill_id, which, between, incident_id, by_runbook=maintenance)
            if drill_id is None and incident_id is None:
                windows = [r.id for r in self.plan.runbooks.values() if r.maintenance is not None]
                query = query.where(IncidentRow.runbook_id.in_(windows) if maintenance else
                                    IncidentRow.runbook_id.not_in(windows))
            query = query.order_by(IncidentRow.declared_at.desc(), IncidentRow.id.desc())
            if limit is not None:
                query = query.limit(limit).offset(offset)
            kept = self.__dict__.setdefault("_views_kept", public_views.Kept())
            return kept.views(self.plan, session, query)

    def _public_views(self, session: Any, rows: list[IncidentRow]) -> list[PublicIncident]:
        """These incidents as the public sees them (those told something public), read in the caller's session:
        the uptime summary inside the change that closes an incident (never kept: it may yet roll back)."""
        return public_views.build(self.plan, session, rows)

    def _public_query(self, days: int, drill_id: int | None, which: str,
                      between: tuple[datetime, datetime] | None, incident_id: int | None,
                      by_runbook: bool = False) -> Any:
        query = select(IncidentRow).where(IncidentRow.last_published_at.is_not(None))
        if drill_id is not None:
            return query.where(IncidentRow.id == drill_id, IncidentRow.is_drill.is_(True))
        # the few maintenance windows are found by their runbook: written "is not a drill", the test gives SQLite
        # no index to prefer, which would otherwise walk every incident of the 90 days in date order
        query = query.where(IncidentRow.is_drill.is_not(True) if by_runbook else IncidentRow.is_drill.is_(False))
        if incident_id is not None:
            return query.where(IncidentRow.id == incident_id)
        if between is not None:
            return query.where(IncidentRow.declared_at >= between[0], IncidentRow.declared_at < between[1])
        recent = IncidentRow.declared_at >= self.clock.now() - timedelta(days=days)
        if which == "open":
            return query.where(IncidentRow.closed.is_(False))
        if which == "closed":
            return query.where(IncidentRow.closed.is_(True), recent)
        return query.where(IncidentRow.closed.is_(False) | recent)

    def public_recent(self, limit: int = 50) -> list[PublicIncident]:
        """Every open public incident and the `limit` most recently declared others, newest first.

        What a feed or a JSON document shows: its cost grows with what is going on now, not with history.
        """
        found = {i.id: i for i in self.public_incidents(which="open")}
        for incident in self.public_incidents(which="closed", limit=limit):
            found.setdefault(incident.id, incident)
        return sorted(found.values(), key=lambda i: (i.declared_at, i.id), reverse=True)

    def public_stamp(self) -> tuple[Any, ...]:
        """Changes whenever anything the public page shows may have changed."""
        with self.db.read() as session:
            # times alone miss two changes within one tick of the clock: the newest audit event catches them (every
            # change of an incident, a publication included, adds one). Both are read from an index, not from every
            # incident and post: asked before each render, this must not cost more as history grows (issue 14)
            return (session.scalar(select(func.max(IncidentRow.updated_at)).where(IncidentRow.is_drill.is_(False))),
                    session.scalar(select(func.max(AuditEventRow.id))),
                    # the few statuses set by hand themselves: a change of one shows at once
                    tuple((name, status) for name, status in session.execute(
                        select(ComponentStatusRow.name, ComponentStatusRow.status).order_by(ComponentStatusRow.name))),
                    # the uptime bars' figures move with time: rendered again at least once an hour
                    self.clock.now().replace(minute=0, second=0, microsecond=0))

    def verify_incident_audit(self, incident_id: int) -> tuple[int, audit.Finding | None]:
        """One incident's chain: (events checked, the first thing wrong or None)."""
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}")
            events = list(session.scalars(select(AuditEventRow).where(AuditEventRow.incident_id == incident_id)
                                          .order_by(AuditEventRow.seq)))
            return len(events), audit.verify_incident(row, events, self.db.audit_keys)

    def waiting_for_approval(self) -> list[tuple[PostRow, IncidentRow]]:
        """Posts in review, oldest first, with their incident: the approvers' queue."""
        with self.db.read() as session:
            return [(post, incident) for post, incident in session.execute(
                select(PostRow, IncidentRow).join(IncidentRow, IncidentRow.id == PostRow.incident_id)
                .where(PostRow.status == approval.IN_REVIEW).order_by(PostRow.updated_at))]
