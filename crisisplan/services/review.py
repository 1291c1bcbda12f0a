"""The post-incident review: its figures read from the audit chain, the team's sections, its state.

The figures are computed each time from the chain and the published posts (comms/review.py), never stored,
so the review cannot say anything the record does not. What the team writes and each move of the review
(draft → in review → final) is recorded in the incident's audit chain.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from crisisplan.comms import approval
from crisisplan.comms.audience import PUBLIC
from crisisplan.comms.metrics import DURATIONS, IncidentMetrics, minutes, of_incident
from crisisplan.comms.review import (
    DRAFT,
    FINAL,
    IN_REVIEW,
    SECTIONS,
    STATES,
    ActionLine,
    Entry,
    PostFacts,
    Review,
    figures,
)
from crisisplan.errors import InvalidInput, NotFound, did_you_mean
from crisisplan.services.accounts import ROLES
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.followup import ActionRow, ReviewRow
from crisisplan.store.models import AuditEventRow, IncidentRow, PostRow, SignalRow

# who may move a review where: (from, to) -> the least role
MOVES = {(DRAFT, IN_REVIEW): "responder", (IN_REVIEW, DRAFT): "responder", (IN_REVIEW, FINAL): "approver"}


class ReviewCommands(UnitOfWork):
    """Post-incident reviews: read, written, moved through draft → in review → final."""

    def review(self, incident_id: int) -> Review:
        """The incident's review: figures from its audit chain, the team's sections and its follow-up actions."""
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}; `crisisplan status` lists them")
            view = self._view(row)
            runbook = self.plan.runbook(view.runbook_id)
            entries = [Entry(e.seq, e.at, e.actor, e.kind, json.loads(e.payload)) for e in session.scalars(
                select(AuditEventRow).where(AuditEventRow.incident_id == incident_id).order_by(AuditEventRow.seq))]
            posts = list(session.scalars(select(PostRow).where(
                PostRow.incident_id == incident_id, PostRow.status == approval.PUBLISHED)))
            complaints = session.scalar(select(func.count(SignalRow.id)).where(
                SignalRow.incident_id == incident_id, SignalRow.source == "complaint")) or 0
            stored = session.get(ReviewRow, incident_id)
            actions = list(session.scalars(select(ActionRow).where(ActionRow.incident_id == incident_id)
                                           .order_by(ActionRow.due_on, ActionRow.id)))
            incident = self._to_engine(row, self.machine(row.runbook_id))
        facts = [self._facts(post, incident, runbook) for post in posts]
        labels = {c.name: c.label for c in self.plan.settings.components}
        return Review(
            incident_id=incident_id, title=view.title, runbook_id=runbook.id, runbook_title=runbook.title,
            severity=view.severity, state_label=view.state_label, is_drill=view.is_drill,
            components=[labels.get(c, c) for c in view.components], complaints=complaints,
            fields={k: v for k, v in view.fields.items() if v}, review_state=stored.state if stored else DRAFT,
            sections=dict(stored.sections) if stored else {},
            figures=figures(entries, facts, runbook, self.clock.now()),
            now=self.clock.now(), time_zone=self.plan.settings.organisation.time_zone,
            actions=[action_line(a) for a in actions],
            updated_by=stored.updated_by if stored else "", updated_at=stored.updated_at if stored else None)

    def _facts(self, post: PostRow, incident: Any, runbook: Any) -> PostFacts:
        """A published post as the review reads it."""
        locale = self.plan.settings.default_locale
        return PostFacts(post.id, post.kind, runbook.audience(post.kind) == PUBLIC, post.published_at,
                         post.bodies.get(locale) or next(iter(post.bodies.values()), ""))

    def write_review(self, incident_id: int, sections: dict[str, str], actor: str) -> Review:
        """Save the team's own sections of the review (what went well, what did not, why); a final review is
        not edited."""
        unknown = sorted(set(sections) - set(SECTIONS))
        if unknown:
            raise InvalidInput(f"no review section '{unknown[0]}'; {did_you_mean(unknown[0], SECTIONS)}", unknown[0])
        with self.change(incident_id) as work:
            stored = self._stored(work, actor)
            if stored.state == FINAL:
                raise InvalidInput(f"the review of incident {incident_id} is final; it is not edited any more",
                                   "review")
            changed = {k: v.strip() for k, v in sections.items() if v.strip() != stored.sections.get(k, "")}
            if changed:
                stored.sections = {**stored.sections, **changed}
                stored.updated_at, stored.updated_by = work.clock.now(), actor
                for name, text in changed.items():
                    work.note("review_section_written", actor, section=name, text=text)
        return self.review(incident_id)

    def move_review(self, incident_id: int, to: str, actor: str, role: str | None = None) -> Review:
        """Move the review: draft → in review → final (or back to draft from review). Final needs the
        incident resolved, and with `role` given (the console's), an approver."""
        if to not in STATES:
            raise InvalidInput(f"a review is {', '.join(STATES)}; not '{to}'", "state")
        with self.change(incident_id) as work:
            stored = self._stored(work, actor)
            least = MOVES.get((stored.state, to))
            if least is None:
                raise InvalidInput(f"the review of incident {incident_id} is {STATES[stored.state].lower()}; "
                                   f"it cannot become {STATES[to].lower()}", "state")
            if role is not None and ROLES.index(role) < ROLES.index(least):
                raise InvalidInput(f"making a review {STATES[to].lower()} needs the role {least}", "state")
            state = work.machine.states[work.incident.state]
            if to == FINAL and not (state.final or state.public_status == "resolved"):
                raise InvalidInput(f"incident {incident_id} is {state.label.lower()}; a review is final only "
                                   "once the incident is resolved", "state")
            work.note("review_state_changed", actor, **{"from": stored.state, "to": to})
            stored.state, stored.updated_at, stored.updated_by = to, work.clock.now(), actor
        return self.review(incident_id)

    def _stored(self, work: Any, actor: str) -> ReviewRow:
        stored = work.session.get(ReviewRow, work.row.id)
        if stored is None:
            stored = ReviewRow(incident_id=work.row.id, state=DRAFT, sections={}, updated_at=work.clock.now(),
                               updated_by=actor)
            work.session.add(stored)
            work.note("review_started", actor)
        return stored


def action_line(row: ActionRow) -> ActionLine:
    """A follow-up action as reviews, lists and exports show it."""
    return ActionLine(row.id, row.incident_id, row.title, row.owner, row.due_on, row.state, row.created_at,
                      row.created_by)


class MetricsReads(UnitOfWork):
    """Response metrics across real incidents (drills have their own scores)."""

    def response_metrics(self) -> list[IncidentMetrics]:
        """Every real incident's response figures, oldest first: three queries whatever their number."""
        tz = self.plan.settings.organisation.time_zone
        with self.db.read() as session:
            rows = list(session.scalars(select(IncidentRow).where(IncidentRow.is_drill.is_(False))
                                        .order_by(IncidentRow.declared_at)))
            ids = [r.id for r in rows]
            entries: dict[int, list[Entry]] = {}
            for e in session.scalars(select(AuditEventRow).where(AuditEventRow.incident_id.in_(ids))
                                     .order_by(AuditEventRow.incident_id, AuditEventRow.seq)):
                entries.setdefault(e.incident_id, []).append(Entry(e.seq, e.at, e.actor, e.kind, json.loads(e.payload)))
            posts: dict[int, list[PostRow]] = {}
            for post in session.scalars(select(PostRow).where(PostRow.incident_id.in_(ids),
                                                              PostRow.status == approval.PUBLISHED)):
                posts.setdefault(post.incident_id, []).append(post)
        result = []
        now = self.clock.now()
        for row in rows:
            runbook = self.plan.runbooks.get(row.runbook_id)
            if runbook is None or row.id not in entries:
                continue  # a runbook since removed from the plan: nothing to read its states by
            if getattr(runbook, "maintenance", None) is not None:
                continue  # a planned window, not a failure the team responded to
            facts = [PostFacts(p.id, p.kind, runbook.audience(p.kind) == PUBLIC, p.published_at, "")
                     for p in posts.get(row.id, [])]
            result.append(of_incident(row.id, row.title, row.runbook_id, row.severity,
                                      figures(entries[row.id], facts, runbook, now), tz))
        return result

    def metrics_csv(self) -> str:
        """One row an incident: its runbook, severity, month and figures (minutes), for a spreadsheet."""
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["incident", "title", "runbook", "severity", "month", *(f"{k}_minutes" for k, _ in DURATIONS),
                         "promises_kept", "promises_broken"])
        for m in self.response_metrics():
            writer.writerow([m.id, m.title, m.runbook, m.severity, m.month,
                             *("" if (v := minutes(getattr(m, k))) is None else v for k, _ in DURATIONS),
                             m.kept, m.broken])
        return out.getvalue()
