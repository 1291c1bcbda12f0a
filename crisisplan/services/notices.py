"""People are reached: reminders, promises at risk or broken, "nobody acted" and escalation-matrix hand-offs,
approvals waiting — as outbox messages written in the transaction of the change that owes them (the unit of
work calls `_notify` when it saves a change: a timer's tick, a complaint's escalation note, a publication).
Nothing is sent from a request; a crash before the commit leaves neither the change nor its messages.

Each notice goes by e-mail to the person holding the role on the incident (when plan.yaml `people` knows
them), else to every person of `people` with that role, and to the plan's webhooks of format `json`
(`notice.*` events) and `pagerduty`. Slack-style webhooks carry public posts only: no notice goes there.

PagerDuty Events API v2 (PagerDuty developer docs, "Events API v2 Overview" and "Send an Alert Event":
POST https://events.pagerduty.com/v2/enqueue), the fields used here:
  routing_key   the integration key: added when sent, from the environment (`routing_key_env`), never stored
  event_action  "trigger" opens (or adds to) an alert, "resolve" closes it ("acknowledge" is not used)
  dedup_key     identifies the alert (at most 255 characters); a resolve with the same key closes what the
                trigger opened: here one a incident and reason, `crisisplan-<incident>-<reason>`
  payload       for a trigger: summary (at most 1024 characters), source (the affected system),
                severity ("critical", "error", "warning" or "info"), custom_details (any object)
A resolve carries routing_key, event_action and dedup_key only (the payload is for triggers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from crisisplan.comms import approval
from crisisplan.comms.audience import PUBLIC
from crisisplan.comms.email import base_url, domain
from crisisplan.engine import timers as timer_rules
from crisisplan.plan.schema import Person, Webhook
from crisisplan.publish.outbox import OutboxStatus
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.store.models import OutboxRow, PostRow

SUMMARY_MAX, DEDUP_MAX = 1024, 255  # PagerDuty's limits
OPEN_PROMISE = (timer_rules.PromiseState.AT_RISK, timer_rules.PromiseState.BROKEN)


@dataclass(frozen=True)
class Notice:
    """Something a person must hear about now."""

    kind: str  # reminder | escalated | approval
    reason: str  # what the alert is about: a timer's name, escalation_<when>, approval_<post id>
    role: str
    assigned: str  # the person holding the role on the incident, if any
    subject: str
    text: str
    severity: str  # PagerDuty's: critical | error | warning | info
    key: str  # unique for this occurrence: the messages' idempotency keys and Message-IDs
    details: dict[str, Any] = field(default_factory=dict)
    post_id: int | None = None


def pagerduty_event(action: str, dedup_key: str, summary: str = "", source: str = "", severity: str = "",
                    details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A PagerDuty Events API v2 event without its routing_key (added when sent)."""
    event: dict[str, Any] = {"event_action": action, "dedup_key": dedup_key[:DEDUP_MAX]}
    if action == "trigger":
        event["payload"] = {"summary": summary[:SUMMARY_MAX], "source": source, "severity": severity,
                            "custom_details": details or {}}
    return event


def dedup_key(incident_id: int, reason: str) -> str:
    """One PagerDuty alert an incident and reason: `crisisplan-7-acknowledge_by`."""
    return f"crisisplan-{incident_id}-{reason}"


def _pd_prefix(incident_id: int) -> str:
    return f"pd-{incident_id}:"


class NoticeCommands(UnitOfWork):
    """Notices to the plan's people and on-call tools, through the outbox."""

    # the unit of work's hook -------------------------------------------------------
    def _notify(self, work: Work) -> None:
        """Turn this change's reminders and escalations into messages; resolve PagerDuty alerts made good."""
        first = work.row.chain_length - len(work.events) + 1  # the audit sequence of the change's first event
        fired = {e.payload.get("timer") for e in work.events if e.kind == "timer_fired"}
        for index, event in enumerate(work.events):
            notice = self._notice_of(work, event, first + index, fired)
            if notice is not None:
                self._send(work, notice)
        self._resolve_made_good(work)

    def _notice_of(self, work: Work, event: Any, seq: int, fired: set[Any]) -> Notice | None:
        incident, p = work.incident, event.payload
        where = f"incident {incident.id}, {incident.severity}"
        if event.kind == "reminder":
            broken = p.get("timer") in fired
            return Notice("reminder", p["timer"], p["role"], p.get("person", ""),
                          f"{'Missed' if broken else 'Reminder'}: {p['message']} — {incident.title}",
                          f"{p['message']} ({where}).", "error" if broken else "warning",
                          f"notice-{incident.id}-{seq}", {"timer": p["timer"], "message": p["message"]})
        if event.kind == "escalated" and "timer" in p:  # "nobody acted", a deadline missed
            return Notice("escalated", p["timer"], p["role"], p.get("person", ""),
                          f"Escalated to you: {p['message']} — {incident.title}",
                          f"{p['message']}: the deadline passed and it is escalated to you as {p['role']} "
                          f"(escalation {p.get('level', 1)}; {where}).", "critical",
                          f"notice-{incident.id}-{seq}", {"timer": p["timer"], "level": p.get("level", 1)})
        if event.kind == "escalated" and "to" in p:  # the escalation matrix, from a complaint
            by = p.get("by", "")
            return Notice("escalated", f"escalation_{p.get('when', p['to'])}", p["to"], incident.roles.get(p["to"], ""),
                          f"Complaint escalated to you ({p.get('when', '')}) — {incident.title}",
                          f"A complaint was escalated to you as {p.get('to_label', p['to'])} ({p.get('when', '')}); "
                          f"it needs an answer by {by} ({where}).", "error",
                          f"notice-{incident.id}-{seq}", {"when": p.get("when", ""), "answer_by": by})
        return None

    def _notify_approvers(self, work: Work, post: PostRow, actor: str) -> list[str]:
        """Tell the people who can approve a post that it waits for them: an e-mail each and a webhook
        event, through the outbox in the same transaction; returns who was told."""
        settings = self.plan.settings
        role = work.machine.runbook.approval_roles.get(post.kind)
        required = work.incident.roles.get(role, "") if role else ""
        people = [p for p in settings.people if p.name != actor and p.email
                  and ("approver" in p.roles or (role and role in p.roles) or p.name == required)]
        link = f"{base_url(settings)}/console/posts/{post.id}"
        kind, title = post.kind.replace("_", " "), work.incident.title
        notice = Notice("approval", f"approval_{post.id}", role or "approver", required,
                        f"Approval needed: {kind} — {title}",
                        f"The {kind} post for \"{title}\" (incident {work.incident.id}, {work.incident.severity}) "
                        f"waits for your approval, sent by {actor}.\n\nOpen it: {link}", "info",
                        f"waiting-{post.id}-{post.version}",
                        {"id": post.id, "kind": post.kind, "author": post.author, "url": link}, post.id)
        self._send(work, notice, people, legacy_key=f"post-{post.id}-v{post.version}-waiting")
        return [p.name for p in people]

    # sending -----------------------------------------------------------------------
    def _recipients(self, role: str, assigned: str) -> list[Person]:
        """The person holding the role on the incident, when the plan knows how to reach them; else everybody
        the plan lists with that role."""
        people = self.plan.settings.people
        holder = next((p for p in people if assigned and p.name == assigned and p.email), None)
        return [holder] if holder else [p for p in people if role in p.roles and p.email]

    def _hooks(self, work: Work) -> list[Webhook]:
        return [h for h in self.plan.settings.webhooks if h.format in ("json", "pagerduty")
                and (h.drills or not work.incident.is_drill)]

    def _name(self, work: Work) -> str:
        """The incident as webhooks name it: an internal incident's own title (a complainant's name, say)
        stays in the console and the team's e-mail."""
        incident = work.incident
        if work.machine.runbook.incident_audience == PUBLIC:
            return incident.title
        return f"{work.machine.runbook.id} incident {incident.id}"

    def _send(self, work: Work, notice: Notice, people: list[Person] | None = None, legacy_key: str = "") -> None:
        """One e-mail a person and one event a webhook, all pending in this transaction."""
        settings, incident = self.plan.settings, work.incident
        now = self.clock.now()  # the worker's wall clock, also in a sped-up drill
        drill = "[DRILL] " if incident.is_drill else ""
        link = f"{base_url(settings)}/console/incidents/{incident.id}"
        rows = []
        people = self._recipients(notice.role, notice.assigned) if people is None else people
        for person in people:
            text = notice.text if notice.kind == "approval" else f"{notice.text}\n\nOpen it: {link}"
            rows.append(("email:notice", person.email,
                         {"subject": drill + notice.subject, "text": text + "\n", "key": f"{notice.key}-{person.name}"},
                         f"{legacy_key or notice.key}-{person.name}"))
        for hook in self._hooks(work):
            if hook.format == "pagerduty":
                summary = f"{drill}{notice.subject.rsplit(' — ', 1)[0]}: {self._name(work)} (incident {incident.id})"
                details = {"incident": incident.id, "severity": incident.severity, "state": incident.state,
                           "reason": notice.reason, "role": notice.role, "people": [p.name for p in people],
                           "drill": incident.is_drill, "console": link, **notice.details}
                payload = pagerduty_event("trigger", dedup_key(incident.id, notice.reason), summary,
                                          domain(settings), notice.severity, details)
                rows.append((f"webhook:{hook.name}", hook.url, payload,
                             f"{_pd_prefix(incident.id)}{notice.key}-{hook.name}"))
            else:
                payload = {"event": "post.waiting" if notice.kind == "approval" else f"notice.{notice.kind}",
                           "drill": incident.is_drill, "reason": notice.reason, "role": notice.role,
                           "incident": {"id": incident.id, "title": self._name(work), "severity": incident.severity},
                           **({"post": notice.details, "approvers": [p.name for p in people]}
                              if notice.kind == "approval" else
                              {"people": [p.name for p in people], "details": notice.details})}
                key = f"{legacy_key or notice.key}-webhook-{hook.name}"
                rows.append((f"webhook:{hook.name}", hook.url, payload, key))
        for channel, target, payload, key in rows:
            work.session.add(OutboxRow(
                post_id=notice.post_id, channel=channel, target=target,
                payload=json.dumps(payload, ensure_ascii=False, sort_keys=True), idempotency_key=key,
                status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now, log=[]))

    # resolving ---------------------------------------------------------------------
    def _resolve_made_good(self, work: Work) -> None:
        """A PagerDuty alert this incident opened is resolved (same dedup_key) once what it was about is over:
        the incident resolved or closed, a deadline met or cleared, a promise made good, the post approved."""
        hooks = [h for h in self._hooks(work) if h.format == "pagerduty"]
        if not hooks:
            return
        incident, runbook = work.incident, work.machine.runbook
        prefix = _pd_prefix(incident.id)
        rows = work.session.execute(select(OutboxRow.channel, OutboxRow.payload, OutboxRow.id).where(
            OutboxRow.idempotency_key.like(prefix + "%")).order_by(OutboxRow.id)).all()
        opened: dict[tuple[str, str], int] = {}  # (channel, dedup_key) -> the last row id, while triggered
        for channel, payload, row_id in rows:
            event = json.loads(payload)
            if event["event_action"] == "trigger":
                opened[(channel, event["dedup_key"])] = row_id
            else:
                opened.pop((channel, event["dedup_key"]), None)
        if not opened:
            return
        state = work.machine.states[incident.state]
        over = state.final or state.public_status == "resolved"
        now = work.clock.now()
        timers = {t.name: t for t in runbook.timers}
        for (channel, key), row_id in opened.items():
            reason = key.removeprefix(dedup_key(incident.id, ""))
            if not over:
                if reason in timers:
                    if timer_rules.promise_state(timers[reason], incident, runbook, now) in OPEN_PROMISE:
                        continue
                elif reason.startswith("approval_"):
                    post = work.session.get(PostRow, int(reason.removeprefix("approval_")))
                    if post is not None and post.status == approval.IN_REVIEW:
                        continue
                else:
                    continue  # an escalation from the matrix: open until the incident is resolved
            hook = next((h for h in hooks if channel == f"webhook:{h.name}"), None)
            if hook is None:
                continue
            work.session.add(OutboxRow(
                post_id=None, channel=channel, target=hook.url,
                payload=json.dumps(pagerduty_event("resolve", key), sort_keys=True),
                idempotency_key=f"{prefix}resolve-{row_id}-{hook.name}", status=OutboxStatus.PENDING, attempts=0,
                next_attempt_at=self.clock.now(), created_at=self.clock.now(), log=[]))
