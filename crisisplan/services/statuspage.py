"""Statuspage clients driving an incident: one request, one transaction — all of it happens, or none.

A request says where the public should see the incident (`status`), what to tell
them (`body`), facts for the record (`metadata.crisisplan.fields`, the only source
of a confirmed cause) and component statuses. The runbook decides the way there:
every public step on it is taken by publishing its post — the body for the last
one, the plan's own words for any before it — and a post the approval policy holds
back waits for its approvers, leaving the incident where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from crisisplan import textgate
from crisisplan.comms import approval, promise
from crisisplan.comms.statuspage import ComponentStatus
from crisisplan.comms.tone import FINAL_KINDS
from crisisplan.engine.paths import path_to_status
from crisisplan.errors import InvalidInput, NotFound
from crisisplan.plan.schema import Transition
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.services.views import Drafted, IncidentView
from crisisplan.store.models import ComponentStatusRow, PostRow

STATUSES = ("investigating", "identified", "monitoring", "resolved")


@dataclass
class StatuspageChange:
    """What one Statuspage request asks, already checked for shape by the API."""

    status: str | None = None
    body: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    component_statuses: dict[str, str] = field(default_factory=dict)  # component name -> status


@dataclass
class StatuspageResult:
    """The incident as it now stands, and the posts waiting for approval (none if everything went out)."""

    view: IncidentView
    waiting: list[int] = field(default_factory=list)


class StatuspageCommands(UnitOfWork):
    """The Statuspage manage API's use cases."""

    def statuspage_declare(self, runbook_id: str, severity: str, title: str, components: list[str],
                           change: StatuspageChange, actor: str, token: str = "") -> StatuspageResult:
        """Declare an incident from a Statuspage request and apply the rest of it, all or nothing."""
        declared = self.machine(runbook_id).declare(self.clock, severity=severity, title=title, actor=actor,
                                                    components=components)
        with self.declaring(declared, self.clock) as work:
            waiting = self._statuspage_apply(work, change, actor, token)
        assert work.view is not None
        return StatuspageResult(work.view, waiting)

    def statuspage_change(self, incident_id: int, change: StatuspageChange, actor: str,
                          token: str = "") -> StatuspageResult:
        """Apply a Statuspage PATCH to an incident, all or nothing."""
        with self.change(incident_id) as work:
            if work.incident.is_drill:
                raise NotFound(f"no incident '{incident_id}'")  # drills are not for outside tools
            if work.machine.runbook.maintenance is not None:  # its words and moves are the plan's, at its times
                raise InvalidInput("a scheduled maintenance moves by itself at its planned times, in the plan's "
                                   "own words; it is not changed here", "incident")
            waiting = self._statuspage_apply(work, change, actor, token)
        assert work.view is not None
        return StatuspageResult(work.view, waiting)

    def api_trust(self, token: str, runbook_id: str, severity: str) -> str:
        """Why a token's posts may go out without a second person at this severity ("" if they may not)."""
        trusted_to = self.plan.settings.api_trust.get(token)
        names = [s.name for s in self.plan.runbook(runbook_id).severities]  # most severe first
        if not trusted_to or trusted_to not in names or names.index(severity) < names.index(trusted_to):
            return ""
        return f"plan.yaml api_trust: token '{token}' publishes alone up to {trusted_to}"

    def _statuspage_apply(self, work: Work, change: StatuspageChange, actor: str, token: str) -> list[int]:
        if change.status is not None and change.status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", "status")
        if change.fields:
            work.apply(work.machine.set_fields(work.incident, change.fields, work.clock, actor))
        self._set_component_statuses(work, change.component_statuses, actor)
        current = work.machine.states[work.incident.state].public_status or "investigating"
        steps: list[Transition] = []
        if change.status and change.status != current:
            found = path_to_status(work.machine.runbook, work.incident.state, change.status)
            if found is None:
                raise InvalidInput(f"the runbook '{work.machine.runbook.id}' has no way from "
                                   f"'{current}' to '{change.status}'", "status")
            steps = found
        for number, step in enumerate(steps, start=1):
            if not step.post:
                work.apply(work.machine.trigger(work.incident, step.trigger, work.clock, actor))
                continue
            last = number == len(steps)
            post = self._post_for(work, step.post, step.trigger, change.body if last else "", actor)
            if not self._publish_or_wait(work, post, actor, token):
                return [post.id]  # the rest of the way waits for the approvers
        if change.body and not steps:
            kind, step = self._words_without_a_move(work, current)
            post = self._post_for(work, kind, step, change.body, actor)
            if not self._publish_or_wait(work, post, actor, token):
                return [post.id]
        return []

    def _words_without_a_move(self, work: Work, current: str) -> tuple[str, str]:
        """What a body alone becomes: the post of a public step that keeps the public status (the
        acknowledgement, a progress update), else a plain update where the runbook allows one."""
        runbook, incident = work.machine.runbook, work.incident
        for step in runbook.transitions:
            if step.post and incident.state in runbook.sources(step) \
                    and (runbook.state(step.dest).public_status or "investigating") == current \
                    and work.machine.post_step(incident, step.post, step.trigger) is step:
                return step.post, step.trigger
        if incident.state in runbook.publishable_in("update"):
            return "update", ""
        raise InvalidInput(f"nothing can be published from {runbook.state(incident.state).label} without a "
                           "new status; send the status this body announces", "body")

    def _post_for(self, work: Work, kind: str, step: str, body: str, actor: str) -> PostRow:
        """The post of a kind: the pending draft (else a new one from the templates), with the body as its text."""
        pending = work.session.scalars(select(PostRow).where(
            PostRow.incident_id == work.row.id, PostRow.kind == kind,
            PostRow.status.in_([approval.DRAFT, approval.IN_REVIEW, approval.APPROVED])).order_by(PostRow.id)).all()
        if pending:
            post = pending[-1]
        else:
            event = work.note("post_drafted", actor, kind=kind, reason="statuspage api")
            post = self._new_post(work, event, self.render_post(work.incident, kind, clock=work.clock))
        post.step = step
        if body:
            drafted = self._drafted_from_body(work, kind, body)
            post.bodies, post.short_bodies = drafted.bodies, {}
            post.next_update_at, post.promise_text = drafted.promise, drafted.promise_text
            post.promise_fixed, post.render_error = drafted.promise is not None, ""
            post.author, post.approvals, post.status = actor, [], approval.DRAFT
            work.note("post_edited", actor, post_id=post.id, kind=kind, locale=self.plan.settings.default_locale,
                      source="statuspage api")
        work.session.flush()
        return post

    def _drafted_from_body(self, work: Work, kind: str, body: str) -> Drafted:
        """A client's body as the post's text; a post that is not the last must say when the next one comes."""
        locale = self.plan.settings.default_locale
        body = textgate.clean(body, "body")
        found = promise.find_moment(body, self.plan.settings.organisation.time_zone, work.clock.now())
        if found is None:
            if kind not in FINAL_KINDS and kind not in work.machine.runbook.promise_optional:
                raise InvalidInput("the body must say when the next update comes (a time such as 14:30); "
                                   "the public is owed one until the incident is resolved", "body")
            return Drafted(bodies={locale: body})
        return Drafted(bodies={locale: body}, promise=found[0], promise_text={locale: found[1]})

    def _publish_or_wait(self, work: Work, post: PostRow, actor: str, token: str) -> bool:
        """Publish the post if the policy (or the plan's trust in the token) lets it out; else send it for review."""
        policy = self.policy(work.incident)
        required = self.required_approver(work.incident, post.kind)
        trusted = "" if required else self.api_trust(token, work.incident.runbook_id, work.incident.severity)
        if policy == "none" and not required or trusted:
            self._publish(work, post, actor, trusted=trusted)
            return True
        if post.status == approval.DRAFT:
            post.status, post.review_comment = approval.IN_REVIEW, ""
            told = self._notify_approvers(work, post, actor)
            work.note("post_submitted", actor, post_id=post.id, kind=post.kind, approvers_told=told)
        return False

    def _set_component_statuses(self, work: Work, statuses: dict[str, str], actor: str) -> None:
        known = {c.name for c in self.plan.settings.components}
        for name, status in statuses.items():
            if name not in known:
                raise InvalidInput(f"no component '{name}' in plan.yaml", "components")
            if status not in {s.value for s in ComponentStatus}:
                raise InvalidInput(f"component status must be one of {', '.join(s.value for s in ComponentStatus)}",
                                   "components")
            row = work.session.get(ComponentStatusRow, name)
            if status == ComponentStatus.OPERATIONAL:
                if row is not None:
                    work.session.delete(row)
            elif row is None:
                work.session.add(ComponentStatusRow(name=name, status=status, updated_at=self.clock.now(), actor=actor))
            else:
                row.status, row.updated_at, row.actor = status, self.clock.now(), actor
            work.note("component_status_set", actor, component=name, status=status)
            note_admin_in(work.session, self.db, self.clock.now(), actor, "component_status_set",
                          {"component": name, "status": status, "incident": work.row.id})
