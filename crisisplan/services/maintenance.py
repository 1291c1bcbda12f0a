"""Scheduled maintenance: a window announced ahead that moves by itself at its planned times.

Scheduling declares an incident on a runbook of the maintenance kind (`maintenance:` in its file), keeps the
window on it, and publishes the announcement from the plan's templates in every language, in one transaction:
subscribers and webhooks get it through the outbox like any post. The worker's tick (`_maintenance_due`)
sends the reminder `notify_before` the start and takes each step at its time, each as its post (the plan's
own words, trusted because they were reviewed with the plan; the audit trail says so on each).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from crisisplan.comms import approval
from crisisplan.engine import maintenance as windows
from crisisplan.engine.paths import path_to_status
from crisisplan.errors import InvalidInput, NotFound, did_you_mean
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.services.views import SYSTEM_ACTOR, IncidentView, PublicIncident
from crisisplan.store.models import PostRow

TRUSTED = "plan: a maintenance window's words are the plan's own templates, sent at the planned time"


class MaintenanceCommands(UnitOfWork):
    """Maintenance windows: schedule one, and let it run at its times."""

    def maintenance_runbooks(self) -> list[str]:
        """The runbooks of the maintenance kind, by id."""
        return [r.id for r in self.plan.runbooks.values() if r.maintenance is not None]

    def schedule_maintenance(self, runbook_id: str, title: str, starts_at: datetime, ends_at: datetime,
                             actor: str, components: list[str] | None = None,
                             titles: dict[str, str] | None = None) -> IncidentView:
        """Schedule a maintenance window and tell the public now (status page, subscribers, webhooks); `titles`
        are the title in the plan's other languages. Refused, with nothing kept, if the window is not ahead."""
        if runbook_id not in self.plan.runbooks or self.plan.runbook(runbook_id).maintenance is None:
            raise InvalidInput(f"'{runbook_id}' is not a maintenance runbook; "
                               + did_you_mean(runbook_id, self.maintenance_runbooks()), "runbook")
        for moment, name in ((starts_at, "start"), (ends_at, "end")):
            if moment.tzinfo is None:
                raise InvalidInput(f"the {name} needs a time zone (2026-03-01T22:00+01:00)", name)
        if ends_at <= starts_at:
            raise InvalidInput("the window must end after it starts", "end")
        if ends_at <= self.clock.now():
            raise InvalidInput("the window has already ended; schedule one that is still ahead", "end")
        known = {c.name for c in self.plan.settings.components}
        for name in components or []:
            if name not in known:
                raise InvalidInput(f"unknown component '{name}' (plan.yaml); " + did_you_mean(name, known),
                                   "components")
        runbook = self.plan.runbook(runbook_id)
        declared = self.machine(runbook_id).declare(self.clock, severity=runbook.severities[0].name, title=title,
                                                    actor=actor, components=components)
        declared.incident.window = (starts_at, ends_at)
        declared.incident.translations = self._translations(
            runbook_id, {loc: {"title": text} for loc, text in (titles or {}).items() if text.strip()})
        with self.declaring(declared, self.clock) as work:
            work.note("maintenance_window", actor, starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
            assert runbook.maintenance is not None
            self._maintenance_post(work, runbook.maintenance.announce, "", actor)
            self._maintenance_due(work)  # a window that starts now starts at once
        assert work.view is not None
        return work.view

    def maintenance_window(self, incident_id: int) -> tuple[datetime, datetime]:
        """A maintenance's planned start and end."""
        window = self.incident(incident_id).window
        if window is None:
            raise NotFound(f"incident {incident_id} is not a maintenance window")
        return window

    def public_maintenances(self) -> list[PublicIncident]:
        """Every maintenance window the public has been told of (the last 90 days, and all ahead), soonest first."""
        found = self.public_incidents(maintenance=True)
        return sorted(found, key=lambda m: m.scheduled_for or m.declared_at)

    # the worker's tick (incidents.py `tick`) ---------------------------------------------------
    def _maintenance_due(self, work: Work) -> None:
        """Whatever the window owes by now: the reminder, then each move whose time has come."""
        runbook = work.machine.runbook
        if runbook.maintenance is None:
            return
        for _ in range(8):  # at most every move once, even after a long stop of the worker
            owed = windows.due(runbook, work.incident, work.clock.now())
            if owed is None:
                return
            if owed.what == "reminder":
                self._maintenance_post(work, runbook.maintenance.reminder, "", SYSTEM_ACTOR)
                continue
            steps = path_to_status(runbook, work.incident.state, owed.what) or []
            if not steps:
                return
            for step in steps:
                if step.post:
                    self._maintenance_post(work, step.post, step.trigger, SYSTEM_ACTOR)
                else:
                    work.apply(work.machine.trigger(work.incident, step.trigger, work.clock, SYSTEM_ACTOR))

    def _maintenance_post(self, work: Work, kind: str, step: str, actor: str) -> PostRow:
        """The post of a kind from the templates (the draft there is, else a new one), published at once."""
        pending = work.session.scalars(select(PostRow).where(
            PostRow.incident_id == work.row.id, PostRow.kind == kind,
            PostRow.status.in_([approval.DRAFT, approval.IN_REVIEW, approval.APPROVED])).order_by(PostRow.id)).all()
        if pending:
            post = pending[-1]
        else:
            event = work.note("post_drafted", actor, kind=kind, reason="maintenance window")
            post = self._new_post(work, event,
                                  self.render_post(work.incident, kind, clock=work.clock))
        # the window's own times are the promise: the text names no next update
        post.next_update_at, post.promise_text, post.step = None, {}, step
        work.session.flush()
        self._publish(work, post, actor, trusted=TRUSTED)
        return post
