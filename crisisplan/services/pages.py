"""What the console's busiest pages show, each read in one go: a few queries whatever the incident's size.

The incident page, the post editor and the dashboard used to ask the database a
dozen times a view (the incident once per helper); here each reads its rows in one
session, at most three statements, and the rest is computed from them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from crisisplan.comms import approval
from crisisplan.comms.audience import PRIVATE
from crisisplan.engine import Incident
from crisisplan.errors import NotFound
from crisisplan.services.replies import complainant
from crisisplan.services.unit import UnitOfWork
from crisisplan.services.views import IncidentView
from crisisplan.store.models import AuditEventRow, IncidentRow, OutboxRow, PostRow

DASHBOARD_PAGE = 50  # incidents a dashboard page shows: a storm of alerts stays readable


@dataclass
class IncidentPage:
    """The console's incident page: the view, its posts and audit trail, the promises and drill injects."""

    view: IncidentView
    incident: Incident
    posts: list[PostRow]
    events: list[AuditEventRow]
    promises: dict[str, Any]
    injects: list[dict[str, Any]]


@dataclass
class PostPage:
    """The post editor: the post, its incident, and how it went out (public channels or the one person)."""

    post: PostRow
    incident: Incident
    view: IncidentView
    delivery: list[Any]
    private: dict[str, Any] | None


@dataclass
class DashboardPage:
    """One page of the open incidents, the most urgent first, and the posts waiting for approval."""

    views: list[IncidentView]
    waiting: list[tuple[PostRow, IncidentRow]]
    page: int
    pages: int
    total: int


class PageReads(UnitOfWork):
    """The console pages' reads, each in at most three statements."""

    def incident_page(self, incident_id: int) -> IncidentPage:
        """Everything the incident page shows, in three statements: the incident, its posts, its audit trail."""
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}; `crisisplan status` lists them")
            posts = list(session.scalars(select(PostRow).where(PostRow.incident_id == incident_id)
                                         .order_by(PostRow.id)))
            events = list(session.scalars(select(AuditEventRow).where(AuditEventRow.incident_id == incident_id)
                                          .order_by(AuditEventRow.seq)))
            incident = self._to_engine(row, self.machine(row.runbook_id))
            view = self._view(row, incident)
        injects = [json.loads(e.payload) | {"at": e.at} for e in events if e.kind == "drill_inject"]
        return IncidentPage(view, incident, posts, events, self.promises_in(events), list(reversed(injects)))

    def post_page(self, post_id: int) -> PostPage:
        """Everything the post editor shows, in two statements (three for a private reply): the post with its
        incident, the post's outbox messages, and the person a private reply goes to."""
        with self.db.read() as session:
            found = session.execute(select(PostRow, IncidentRow)
                                    .join(IncidentRow, IncidentRow.id == PostRow.incident_id)
                                    .where(PostRow.id == post_id)).first()
            if found is None:
                raise NotFound(f"no post {post_id}; `crisisplan posts INCIDENT` lists them")
            post, row = found
            messages = list(session.scalars(select(OutboxRow).where(OutboxRow.post_id == post_id)
                                            .order_by(OutboxRow.id)))
            incident = self._to_engine(row, self.machine(row.runbook_id))
            view = self._view(row, incident)
            private = self.plan.runbook(row.runbook_id).audience(post.kind) == PRIVATE
            person = complainant(session, row.id, post.signal_id) if private else None
            session.expunge_all()
        return PostPage(post, incident, view, self.delivery_of(post, incident, messages),
                        self.private_of(post, person, messages) if private else None)

    def dashboard_page(self, page: int = 1, urgency: Any = None) -> DashboardPage:
        """Open incidents sorted by `urgency` (a key on the view), DASHBOARD_PAGE a page, and the approvers'
        queue: two statements."""
        with self.db.read() as session:
            rows = list(session.scalars(select(IncidentRow).where(IncidentRow.closed.is_(False))
                                        .order_by(IncidentRow.id)))
            views = [self._view(row) for row in rows]
            waiting = [(post, incident) for post, incident in session.execute(
                select(PostRow, IncidentRow).join(IncidentRow, IncidentRow.id == PostRow.incident_id)
                .where(PostRow.status == approval.IN_REVIEW).order_by(PostRow.updated_at))]
        if urgency is not None:
            views.sort(key=urgency)
        pages = max(1, -(-len(views) // DASHBOARD_PAGE))
        page = min(max(page, 1), pages)
        return DashboardPage(views[(page - 1) * DASHBOARD_PAGE:page * DASHBOARD_PAGE], waiting, page, pages,
                             len(views))

