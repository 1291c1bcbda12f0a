"""The incidents as the public sees them, built from their rows, published posts and state changes.

`build` is the one gate every public output goes through (only a public post ever reaches it); `Kept` keeps
each view under its row's version, which every change of an incident raises (a step, a publication, a
translation: each adds an audit event to the row's chain), so a view is built again only after its incident
changed, whatever the size of the history around it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from crisisplan.comms import approval
from crisisplan.comms.audience import PUBLIC, public_title
from crisisplan.engine import Incident
from crisisplan.engine.publication import POSTMORTEM
from crisisplan.plan.load import Plan
from crisisplan.services.views import PublicIncident, PublicUpdate
from crisisplan.store.models import AuditEventRow, IncidentRow, PostRow

ENDED = ("resolved", "completed")  # the public statuses of an incident, and of a maintenance window, that is over
KEPT_VIEWS = 4096  # a few pages' worth of history and every open incident; the oldest version goes first


class Kept:
    """Public views kept by (incident, row version) for one plan: safe to share, since a version never changes
    meaning once committed. Only reads of what is committed fill it (a change that rolls back would reuse its
    version). Another plan (a reload) starts afresh: the views depend on its runbooks."""

    def __init__(self, size: int = KEPT_VIEWS) -> None:
        self._views: OrderedDict[tuple[int, int], PublicIncident | None] = OrderedDict()
        self._plan: Plan | None = None
        self._size = size
        self._lock = threading.Lock()

    def views(self, plan: Plan, session: Any, query: Select[tuple[IncidentRow]]) -> list[PublicIncident]:
        """The incidents `query` selects, as `build` makes them, in its order: it reads each row's id and
        version first, and the rows, posts and steps of only those not kept at that version."""
        wanted = [tuple(found) for found in session.execute(
            query.with_only_columns(IncidentRow.id, IncidentRow.version))]
        with self._lock:
            if self._plan is not plan:
                self._views.clear()
                self._plan = plan
            found = {key: self._views[key] for key in wanted if key in self._views}
            for key in found:
                self._views.move_to_end(key)
        missing = [key for key in wanted if key not in found]
        if missing:
            rows = list(session.scalars(select(IncidentRow).where(IncidentRow.id.in_([i for i, _ in missing]))))
            built = {view.id: view for view in build(plan, session, rows)}
            # the version read now: a change committed since the first read is kept under its own version
            fresh = {(row.id, row.version): built.get(row.id) for row in rows}  # None: nothing public yet
            found.update({key: fresh.get(key, built.get(key[0])) for key in missing})
            with self._lock:
                if self._plan is plan:
                    self._views.update(fresh)
                while len(self._views) > self._size:
                    self._views.popitem(last=False)
        return [view for key in wanted if (view := found[key]) is not None]


def build(plan: Plan, session: Any, rows: list[IncidentRow]) -> list[PublicIncident]:
    """These incidents as the public sees them, in the order given; those told nothing public are left out."""
    ids = [r.id for r in rows]
    posts = list(session.scalars(select(PostRow).where(
        PostRow.incident_id.in_(ids), PostRow.status == approval.PUBLISHED).order_by(PostRow.published_at)))
    moves = list(session.scalars(select(AuditEventRow).where(
        AuditEventRow.incident_id.in_(ids), AuditEventRow.kind == "state_changed").order_by(AuditEventRow.seq)))
    kinds = {row.id: plan.runbook(row.runbook_id) for row in rows}
    by_incident: dict[int, list[PostRow]] = {}
    for post in posts:  # the one gate: only a public post ever reaches a public output
        if kinds[post.incident_id].audience(post.kind) == PUBLIC:
            by_incident.setdefault(post.incident_id, []).append(post)
    entered: dict[int, list[tuple[datetime, str]]] = {}
    for move in moves:
        entered.setdefault(move.incident_id, []).append((move.at, json.loads(move.payload)["to"]))
    result = []
    for row in rows:
        runbook = kinds[row.id]
        if row.id not in by_incident:
            continue  # only private or internal posts so far: the public has been told nothing
        states = {s.name: s for s in runbook.states}
        severity = next((s for s in runbook.severities if s.name == row.severity), None)
        history = [(row.declared_at, runbook.initial)] + entered.get(row.id, [])

        def status_at(moment: datetime, history: list[tuple[datetime, str]] = history,
                      states: dict[str, Any] = states) -> str:
            state = [name for at, name in history if at <= moment][-1]
            return states[state].public_status or "investigating"

        resolved_at = next((at for at, name in history if states[name].public_status in ENDED), None)
        # a postmortem (Statuspage's status of that name) says so, on its update and, once out, on the incident
        updates = [PublicUpdate(p.id, p.kind, p.published_at,
                                POSTMORTEM if p.kind == POSTMORTEM else status_at(p.published_at), dict(p.bodies))
                   for p in reversed(by_incident.get(row.id, []))]
        current = states[row.state].public_status or (updates[0].status if updates else "investigating")
        if current == "resolved" and any(u.kind == POSTMORTEM for u in updates):
            current = POSTMORTEM
        # an internal incident (one person's complaint) is public only through its posts, under their words
        first = by_incident[row.id][0].bodies
        title = row.title if runbook.incident_audience == PUBLIC else public_title(
            first.get(plan.settings.default_locale) or next(iter(first.values()), ""))
        # the title in each other language: the incident's own translation, or (internal) its first post's
        titles = {loc: words["title"] for loc, words in (row.doc.get("translations") or {}).items()
                  if words.get("title")} if runbook.incident_audience == PUBLIC else {
            loc: public_title(text) for loc, text in first.items() if text}
        result.append(PublicIncident(
            id=row.id, title=title, titles=titles, impact=severity.impact if severity else "major", status=current,
            declared_at=row.declared_at, updated_at=updates[0].at if updates else row.declared_at,
            resolved_at=resolved_at if current in (*ENDED, POSTMORTEM) else None,
            components=list(row.components), updates=updates,
            **dict(zip(("scheduled_for", "scheduled_until"), Incident.window_from_record(row.doc.get("window"))
                       or (None, None), strict=True))))
    return result
