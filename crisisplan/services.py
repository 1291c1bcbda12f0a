"""The use cases: the one path the CLI, the web console, the API and the worker all call.

Each change loads the incident in one transaction, asks the pure engine for
the outcome, and stores the new state, the audit events and the drafts it
implies together.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crisisplan.clock import Clock, ScaledClock, SystemClock
from crisisplan.comms import approval, delivery
from crisisplan.comms.context import template_context
from crisisplan.comms.render import Renderer, TemplateError, format_moment
from crisisplan.comms.tone import FINAL_KINDS, Context
from crisisplan.duration import format_duration
from crisisplan.engine import Event, Incident, IncidentMachine, Outcome, TriggerOption
from crisisplan.errors import Conflict, CrisisplanError, InvalidInput, NotFound
from crisisplan.plan.load import Plan, load_plan
from crisisplan.store import audit
from crisisplan.store.db import Database, default_url
from crisisplan.store.models import (
    AuditEventRow,
    ComponentStatusRow,
    DrillRunRow,
    IncidentRow,
    OutboxRow,
    PostRow,
    SignalRow,
    SubscriberRow,
)

ACK_TIMER, UPDATE_TIMER = "acknowledge_by", "next_update"
SYSTEM_ACTOR = "crisisplan"  # the actor of what timers do


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


@dataclass
class PublicUpdate:
    id: int
    kind: str
    at: datetime
    status: str  # investigating / identified / monitoring / resolved when it went out
    bodies: dict[str, str]  # locale -> Markdown


@dataclass
class PublicIncident:
    id: int
    title: str
    impact: str
    status: str
    declared_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    components: list[str]
    updates: list[PublicUpdate]

    @property
    def active(self) -> bool:
        return self.status != "resolved"


@dataclass
class Drafted:
    """A post's text as its templates write it."""

    bodies: dict[str, str] = field(default_factory=dict)
    short_bodies: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    promise: datetime | None = None  # the next-update time the text names
    promise_text: dict[str, str] = field(default_factory=dict)  # locale -> how the text names it


@dataclass
class Deadline:
    timer: str
    label: str
    due_at: datetime


@dataclass
class IncidentView:
    """An incident as people read it: state, deadlines, what can happen next."""

    id: int
    title: str
    runbook_id: str
    severity: str
    state: str
    state_label: str
    public_status: str | None
    is_drill: bool
    closed: bool
    declared_at: datetime
    version: int
    components: list[str]
    fields: dict[str, str]
    roles: dict[str, str]
    checklist: list[tuple[str, bool]]
    escalations: int
    deadlines: list[Deadline] = field(default_factory=list)
    options: list[TriggerOption] = field(default_factory=list)
    # the next-update promise now: on_track, at_risk (inside its `ahead` window) or broken
    # (missed, and no public post since); None while no promise runs
    promise: str | None = None
    acknowledgement: str | None = None  # the acknowledge-by promise, the same way

    def deadline(self, timer: str) -> datetime | None:
        return next((d.due_at for d in self.deadlines if d.timer == timer), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "runbook": self.runbook_id,
            "severity": self.severity, "state": self.state, "state_label": self.state_label,
            "public_status": self.public_status, "drill": self.is_drill, "closed": self.closed,
            "declared_at": self.declared_at.isoformat(), "version": self.version,
            "components": self.components, "fields": self.fields, "roles": self.roles,
            "checklist": [{"item": text, "done": done} for text, done in self.checklist],
            "escalations": self.escalations,
            "acknowledge_by": _iso(self.deadline(ACK_TIMER)),
            "next_update_due": _iso(self.deadline(UPDATE_TIMER)),
            "promise": self.promise, "acknowledgement": self.acknowledgement,
            "deadlines": [{"timer": d.timer, "label": d.label, "due_at": d.due_at.isoformat()}
                          for d in self.deadlines],
            "triggers": [{"trigger": o.trigger, "dest": o.dest, "allowed": o.allowed,
                          "blocked_by": list(o.blocked_by)} for o in self.options],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Services:
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

    @classmethod
    def open(cls, plan_dir: str | os.PathLike[str] | None = None, database_url: str | None = None,
             clock: Clock | None = None) -> Services:
        plan = load_plan(plan_dir)
        url = database_url or default_url(instance_dir(plan.root))
        return cls(plan, Database(url).ensure_schema(), clock)

    def machine(self, runbook_id: str) -> IncidentMachine:
        if runbook_id not in self._machines:
            self._machines[runbook_id] = IncidentMachine(self.plan.runbook(runbook_id))
        return self._machines[runbook_id]

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

    # posts ---------------------------------------------------------------------
    def policy(self, incident: Incident) -> str:
        runbook = self.plan.runbook(incident.runbook_id)
        return next(s.approval for s in runbook.severities if s.name == incident.severity)

    def tone_context(self, incident: Incident, locale: str, kind: str | None, channel: str) -> Context:
        """The tone rules for a post: the plan's jargon, and which rules block (the runbook may override)."""
        tone = self.plan.settings.tone
        override = self.plan.runbook(incident.runbook_id).tone.block
        block = tone.block if override is None else override
        return Context(locale=locale, kind=kind, channel=channel, jargon=tuple(tone.jargon), block=tuple(block))

    def _note(self, incident: Incident, event_kind: str, actor: str, **payload: Any) -> Outcome:
        return Outcome(incident, [Event(event_kind, self.clock.now(), actor, payload)])

    def draft_post(self, incident_id: int, kind: str, actor: str, text: str | None = None,
                   locale: str | None = None, next_update: datetime | None = None) -> PostRow:
        """A new draft: from the kind's template in every locale, or from the author's own text.

        `next_update` is a promise time the author chooses instead of the severity's cadence.
        """
        incident = self.incident(incident_id)
        if next_update is not None and next_update <= self.clock.now():
            raise InvalidInput("the next update must be promised for a time still ahead", "next_update")
        short: dict[str, str] = {}
        promise, promise_text = next_update, {}
        if text is None:
            if kind not in self.plan.kinds():
                from crisisplan.errors import did_you_mean

                raise InvalidInput(f"no template for post kind '{kind}'; "
                                   + did_you_mean(kind, self.plan.kinds()), "kind")
            drafted = self.render_post(incident, kind, next_update)
            bodies, short, errors, promise = drafted.bodies, drafted.short_bodies, drafted.errors, drafted.promise
            promise_text = drafted.promise_text
        else:
            text = delivery.drill_labelled(text) if incident.is_drill else text
            bodies, errors = {locale or self.plan.settings.default_locale: text}, []
        holder: list[PostRow] = []

        def add(machine: IncidentMachine, current: Incident) -> Outcome:
            return self._note(current, "post_drafted", actor, kind=kind, reason="by hand")

        def insert(session: Any) -> None:
            now = self.clock.now()
            post = PostRow(incident_id=incident_id, kind=kind, status=approval.DRAFT, bodies=bodies,
                           short_bodies=short, next_update_at=promise, promise_text=promise_text,
                           promise_fixed=next_update is not None, channels={},
                           render_error="\n".join(errors), reason="by hand", author=actor, approvals=[],
                           created_at=now, updated_at=now)
            session.add(post)
            holder.append(post)

        self._change(incident_id, add, also=insert)
        return holder[0]

    def edit_post(self, post_id: int, text: str | None, actor: str, locale: str | None = None,
                  short: bool = False, next_update: datetime | None = None,
                  expected_version: int | None = None) -> PostRow:
        """Replace a post's text (or its short form), or the next-update time it promises.

        Any change withdraws the approvals: what was approved is no longer what goes out.
        """
        locale = locale or self.plan.settings.default_locale
        if locale not in self.plan.settings.locales:
            raise InvalidInput(f"'{locale}' is not a locale of the plan", "locale")
        if text is None and next_update is None:
            raise InvalidInput("give the new text, the next-update time, or both", "text")
        if next_update is not None and next_update <= self.clock.now():
            raise InvalidInput("the next update must be promised for a time still ahead", "next_update")

        def step(post: PostRow, machine: IncidentMachine, incident: Incident) -> Outcome:
            approval.check_edit(post.status)
            change: dict[str, Any] = {}
            if text is not None:
                new_text = delivery.drill_labelled(text) if incident.is_drill else text
                which = "short_bodies" if short else "bodies"
                old = getattr(post, which).get(locale, "")
                setattr(post, which, {**getattr(post, which), locale: new_text})
                label = f"post {post.id} [{locale}{', short' if short else ''}]"
                change.update(locale=locale, short=short, diff=approval.text_diff(old, new_text, label))
            if next_update is not None:
                change.update(next_update_from=_iso(post.next_update_at), next_update_at=next_update.isoformat())
                post.next_update_at, post.promise_fixed = next_update, True
            withdrawn = [a["by"] for a in post.approvals]
            post.author, post.approvals, post.status, post.publish_at = actor, [], approval.DRAFT, None
            return self._note(incident, "post_edited", actor, post_id=post.id, kind=post.kind,
                              approvals_withdrawn=withdrawn, **change)

        return self._post_change(post_id, step, expected_version)

    def redraft_post(self, post_id: int, actor: str, next_update: datetime | None = None) -> PostRow:
        """Write the post again from its templates: today's fields, a fresh next-update promise."""
        if next_update is not None and next_update <= self.clock.now():
            raise InvalidInput("the next update must be promised for a time still ahead", "next_update")

        def step(post: PostRow, machine: IncidentMachine, incident: Incident) -> Outcome:
            approval.check_edit(post.status)
            drafted = self.render_post(incident, post.kind, next_update)
            locale = self.plan.settings.default_locale
            diff = approval.text_diff(post.bodies.get(locale, ""), drafted.bodies.get(locale, ""),
                                      f"post {post.id} [{locale}]")
            withdrawn = [a["by"] for a in post.approvals]
            post.bodies, post.short_bodies = drafted.bodies, drafted.short_bodies
            post.render_error, post.next_update_at = "\n".join(drafted.errors), drafted.promise
            post.promise_text, post.promise_fixed = drafted.promise_text, next_update is not None
            post.author, post.approvals, post.status, post.publish_at = actor, [], approval.DRAFT, None
            return self._note(incident, "post_edited", actor, post_id=post.id, kind=post.kind, locale=locale,
                              redrafted=True, diff=diff, next_update_at=_iso(drafted.promise),
                              approvals_withdrawn=withdrawn)

        return self._post_change(post_id, step)

    def submit_post(self, post_id: int, actor: str) -> PostRow:
        def step(post: PostRow, machine: IncidentMachine, incident: Incident) -> Outcome:
            approval.check_submit(post.status)
            if post.author in ("", SYSTEM_ACTOR):
                post.author = actor  # whoever puts a machine-drafted text forward answers for it
            post.status, post.review_comment = approval.IN_REVIEW, ""
            return self._note(incident, "post_submitted", actor, post_id=post.id, kind=post.kind)

        return self._post_change(post_id, step)

    def approve_post(self, post_id: int, actor: str) -> PostRow:
        def step(post: PostRow, machine: IncidentMachine, incident: Incident) -> Outcome:
            policy = self.policy(incident)
            approval.check_approve(policy, post.status, post.author, post.approvals, actor)
            post.approvals = [*post.approvals, {"by": actor, "at": self.clock.now().isoformat()}]
            if approval.approved_after(policy, post.author, post.approvals):
                post.status = approval.APPROVED
            return self._note(incident, "post_approved", actor, post_id=post.id, kind=post.kind, policy=policy,
                              approved=post.status == approval.APPROVED)

        return self._post_change(post_id, step)

    def reject_post(self, post_id: int, actor: str, comment: str) -> PostRow:
        def step(post: PostRow, machine: IncidentMachine, incident: Incident) -> Outcome:
            approval.check_reject(post.status, comment)
            post.status, post.approvals, post.publish_at = approval.DRAFT, [], None
            post.review_comment = comment.strip()
            return self._note(incident, "post_rejected", actor, post_id=post.id, kind=post.kind,
                              comment=comment.strip())

        return self._post_change(post_id, step)

    def post_checks(self, post: PostRow, incident: Incident) -> list[delivery.ChannelCheck]:
        """The post on every channel and in every locale: rendering, length, tone findings."""
        return delivery.check_channels(
            post.bodies, post.short_bodies or {},
            lambda locale, channel: self.tone_context(incident, locale, post.kind, channel))

    def post_findings(self, post: PostRow, incident: Incident) -> dict[str, list[Any]]:
        """Tone findings of the post's text, per locale, on the status page."""
        from crisisplan.comms.tone import check

        return {locale: check(text, self.tone_context(incident, locale, post.kind, delivery.PRIMARY))
                for locale, text in post.bodies.items()}

    def publish_post(self, post_id: int, actor: str, at: datetime | None = None) -> PostRow:
        """Publish now, or schedule for `at`: only what the approval policy and the blocking rules allow."""

        def step(post: PostRow, machine: IncidentMachine, incident: Incident) -> Outcome:
            policy = self.policy(incident)
            due = post.status == approval.SCHEDULED and post.publish_at and post.publish_at <= self.clock.now()
            if not due and not approval.ready_to_publish(policy, post.status, post.author, post.approvals):
                need = {"one": "one approval", "two": "the approval of a second person"}.get(policy, "")
                raise approval.ReviewError(f"post {post.id} is {post.status}; this severity needs {need} "
                                           "before it is published")
            scheduling = at is not None and at > self.clock.now()
            moved = None if scheduling else self._settle_promise(post, incident)
            checks = self.post_checks(post, incident)
            blocked = [f"{c.locale}: [{f.rule}] {c.text[f.start:f.end] or f.message}"
                       for c in checks if c.channel == delivery.PRIMARY
                       for f in c.findings if f.severity == "block"]
            if blocked:
                raise approval.ReviewError(f"post {post.id} cannot be published; blocking tone findings: "
                                           + "; ".join(blocked))
            if not post.bodies or post.render_error:
                raise approval.ReviewError(f"post {post.id} has no complete text: {post.render_error or 'empty'}")
            moment = at if scheduling else self.clock.now()
            if post.promise_fixed and post.next_update_at is not None and post.next_update_at <= moment:
                raise approval.ReviewError(
                    f"post {post.id} promises the next update by {post.next_update_at.isoformat()}, which will "
                    "have passed when it goes out; edit it with a later --next-update, or redraft it")
            channels = delivery.verdict(checks)
            if channels[delivery.PRIMARY]:
                raise approval.ReviewError(f"post {post.id} does not fit the status page: {channels[delivery.PRIMARY]}")
            if scheduling:
                post.status, post.publish_at = approval.SCHEDULED, at
                return self._note(incident, "post_scheduled", actor, post_id=post.id, kind=post.kind,
                                  at=at.isoformat())
            post.status, post.published_at, post.publish_at = approval.PUBLISHED, self.clock.now(), None
            post.channels = channels
            outcome = machine.record_publication(incident, post.kind, self.clock, actor, post.id,
                                                 promise_at=post.next_update_at, channels=channels)
            self._enqueue(post, outcome.incident, machine, channels)
            if moved is not None:
                event = next(e for e in outcome.events if e.kind == "post_published")
                event.payload["next_update_moved_from"] = moved.isoformat()
            return outcome

        return self._post_change(post_id, step)

    def _enqueue(self, post: PostRow, incident: Incident, machine: IncidentMachine, channels: dict[str, str]) -> None:
        """The messages this publication owes, written in its own transaction: nothing is sent twice or lost."""
        from sqlalchemy.orm import object_session

        from crisisplan.comms.channels import render

        session = object_session(post)
        now = self.clock.now()
        locale = self.plan.settings.default_locale
        org = self.plan.settings.organisation
        url = f"{org.status_url.rstrip('/')}/incidents/{incident.id}" if org.status_url else org.help_url
        state = machine.states[incident.state]
        for hook in self.plan.settings.webhooks:
            if incident.is_drill and not hook.drills:
                continue
            if hook.format == "slack":
                if channels.get("chat"):
                    continue  # withheld from chat: too long, or a blocking finding there
                text = render(post.bodies.get(locale, ""), "chat").text
                payload = {"text": text + (f"\n<{url}|Status page>" if url else "")}
            else:
                payload = {"event": "post.published", "drill": incident.is_drill,
                           "incident": {"id": incident.id, "title": incident.title, "severity": incident.severity,
                                        "state": incident.state, "public_status": state.public_status, "url": url},
                           "post": {"id": post.id, "kind": post.kind, "published_at": now.isoformat(),
                                    "bodies": post.bodies, "next_update_at": _iso(post.next_update_at)}}
            session.add(OutboxRow(post_id=post.id, channel=f"webhook:{hook.name}", target=hook.url,
                                  payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
                                  idempotency_key=f"post-{post.id}-webhook-{hook.name}", status="pending",
                                  attempts=0, next_attempt_at=now, created_at=now, log=[]))

        # subscribers are the public: drills never reach them, nor a post withheld from e-mail
        if not incident.is_drill and not channels.get("email"):
            self._enqueue_emails(session, post, incident, now)

    def _enqueue_emails(self, session: Any, post: PostRow, incident: Incident, now: datetime) -> None:
        """One message a confirmed subscriber who follows any affected component (or all of them)."""
        from sqlalchemy import insert

        affected = set(incident.components)
        rows = [{"post_id": post.id, "channel": "email:post", "target": email,
                 "payload": json.dumps({"subscriber": sid, "locale": locale, "token": token}),
                 "idempotency_key": f"post-{post.id}-subscriber-{sid}", "status": "pending", "attempts": 0,
                 "next_attempt_at": now, "created_at": now, "log": []}
                for sid, email, locale, token, components in session.execute(
                    select(SubscriberRow.id, SubscriberRow.email, SubscriberRow.locale, SubscriberRow.token,
                           SubscriberRow.components).where(SubscriberRow.status == "confirmed"))
                if not components or not affected or affected & set(components)]
        if rows:
            session.execute(insert(OutboxRow), rows)

    # --- e-mail subscribers: double opt-in, one-click unsubscribe --------------------------------------------

    def subscribe(self, email: str, components: list[str], locale: str) -> SubscriberRow:
        """Ask for e-mail updates: nothing is sent until the address confirms (a confirmation e-mail goes out).

        Asking again re-sends the confirmation (at most every 10 minutes) and never
        tells whether the address was already known.
        """
        import re
        import secrets

        email = email.strip().lower()
        if len(email) > 254 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise InvalidInput(f"'{email[:80]}' is not an e-mail address", field="email")
        known = {c.name for c in self.plan.settings.components}
        unknown = sorted(set(components) - known)
        if unknown:
            raise InvalidInput(f"unknown component(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                               field="components")
        locale = locale if locale in self.plan.settings.locales else self.plan.settings.default_locale
        now = self.clock.now()
        with self.db.write() as session:
            row = session.scalars(select(SubscriberRow).where(SubscriberRow.email == email)).one_or_none()
            if row is None:
                row = SubscriberRow(email=email, components=sorted(set(components)), locale=locale, status="pending",
                                    token=secrets.token_urlsafe(24), created_at=now)
                session.add(row)
                session.flush()
            elif row.status == "confirmed":
                return row  # already getting them; say nothing more than to anybody else
            else:
                if row.status == "unsubscribed":
                    row.token = secrets.token_urlsafe(24)  # old links stay dead
                row.status, row.components, row.locale = "pending", sorted(set(components)), locale
                if row.confirmation_sent_at and now - row.confirmation_sent_at < timedelta(minutes=10):
                    return row
            row.confirmation_sent_at = now
            session.add(OutboxRow(post_id=None, channel="email:confirm", target=email,
                                  payload=json.dumps({"subscriber": row.id, "locale": locale, "token": row.token,
                                                      "components": row.components}),
                                  idempotency_key=f"confirm-{row.id}-{int(now.timestamp())}", status="pending",
                                  attempts=0, next_attempt_at=now, created_at=now, log=[]))
            return row

    def _subscriber_by_token(self, session: Any, token: str) -> SubscriberRow:
        row = session.scalars(select(SubscriberRow).where(SubscriberRow.token == token)).one_or_none()
        if row is None or not token:
            raise NotFound("this link is not valid any more; subscribe again from the status page")
        return row

    def subscriber(self, token: str) -> SubscriberRow:
        with self.db.read() as session:
            return self._subscriber_by_token(session, token)

    def confirm_subscription(self, token: str) -> SubscriberRow:
        with self.db.write() as session:
            row = self._subscriber_by_token(session, token)
            if row.status == "unsubscribed":
                raise NotFound("this address left the list; subscribe again from the status page")
            if row.status == "pending":
                row.status, row.confirmed_at = "confirmed", self.clock.now()
            return row

    def unsubscribe(self, token: str) -> SubscriberRow:
        """One click, no login: the token in the link is the proof. Leaving twice is fine."""
        with self.db.write() as session:
            row = self._subscriber_by_token(session, token)
            if row.status != "unsubscribed":
                row.status, row.unsubscribed_at = "unsubscribed", self.clock.now()
            return row

    def remove_subscriber(self, subscriber_id: int) -> SubscriberRow:
        with self.db.write() as session:
            row = session.get(SubscriberRow, subscriber_id)
            if row is None:
                raise NotFound(f"no subscriber {subscriber_id}")
            if row.status != "unsubscribed":
                row.status, row.unsubscribed_at = "unsubscribed", self.clock.now()
            return row

    def subscribers(self, status: str | None = None, limit: int = 500) -> tuple[list[SubscriberRow], dict[str, int]]:
        """The newest subscribers (of a status) and how many there are of each status."""
        with self.db.read() as session:
            query = select(SubscriberRow).order_by(SubscriberRow.id.desc()).limit(limit)
            if status:
                query = query.where(SubscriberRow.status == status)
            counts = {status: n for status, n in session.execute(
                select(SubscriberRow.status, func.count()).group_by(SubscriberRow.status))}
            return list(session.scalars(query)), counts

    def outbox_overview(self, dead_limit: int = 200) -> tuple[dict[tuple[str, str], int], list[OutboxRow]]:
        """Messages by (channel kind, status), and the newest dead letters."""
        with self.db.read() as session:
            kind = func.substr(OutboxRow.channel, 1, func.instr(OutboxRow.channel, ":") - 1) if self.db.is_sqlite \
                else func.split_part(OutboxRow.channel, ":", 1)
            counts = {(k, status): n for k, status, n in session.execute(
                select(kind, OutboxRow.status, func.count()).group_by(kind, OutboxRow.status))}
            dead = list(session.scalars(select(OutboxRow).where(OutboxRow.status == "dead")
                                        .order_by(OutboxRow.id.desc()).limit(dead_limit)))
        return counts, dead

    def retry_message(self, message_id: int) -> None:
        from crisisplan.publish import outbox

        outbox.retry(self.db, message_id, self.clock.now())

    def _settle_promise(self, post: PostRow, incident: Incident) -> datetime | None:
        """Move a drafted promise to one cadence period after publication, in the text too.

        A draft written at 9:00 that goes out at 9:25 must not tell readers "next
        update by 9:30": the time the template wrote is replaced, in every locale and
        in the short form, by publication time plus the severity's cadence. A time the
        author fixed is left alone. Returns the time it moved from, or None.
        """
        if post.promise_fixed or post.next_update_at is None:
            return None
        runbook = self.plan.runbook(incident.runbook_id)
        now = self.clock.now()
        every = next(s.update_every for s in runbook.severities if s.name == incident.severity)
        old, new = post.next_update_at, now + every
        if old == new:
            return None
        tz = self.plan.settings.organisation.time_zone
        texts = dict(post.promise_text or {})
        for locale, said in (post.promise_text or {}).items():
            now_said = format_moment(new, locale, tz, now)
            post.bodies = {**post.bodies, locale: post.bodies.get(locale, "").replace(said, now_said)}
            if (post.short_bodies or {}).get(locale):
                post.short_bodies = {**post.short_bodies, locale: post.short_bodies[locale].replace(said, now_said)}
            texts[locale] = now_said
        post.promise_text, post.next_update_at = texts, new
        return old

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

    # live drills -----------------------------------------------------------------
    def scenarios(self) -> dict[str, Any]:
        if self._scenarios is None:
            from crisisplan.drills.scenario import check_scenarios

            self._scenarios, problems = check_scenarios(self.plan)
            if problems:
                from crisisplan.errors import PlanError

                raise PlanError(problems)
        return self._scenarios

    def _next_inject(self, incident: Incident) -> datetime | None:
        drill = incident.drill
        if not drill or "scenario" not in drill:
            return None
        injects = self.scenarios()[drill["scenario"]].injects
        if drill["injected"] >= len(injects):
            return None
        return datetime.fromisoformat(drill["started_at"]) + sorted(i.at for i in injects)[drill["injected"]]

    def _inject(self, outcome: Outcome) -> None:
        """The injects of a live drill whose time has come, into the audit trail (the console shows them)."""
        incident = outcome.incident
        while (due := self._next_inject(incident)) is not None and due <= self.clock.now():
            drill = dict(incident.drill or {})
            inject = sorted(self.scenarios()[drill["scenario"]].injects, key=lambda i: i.at)[drill["injected"]]
            outcome.events.append(Event("drill_inject", self.clock.now(), "drill", {
                "inject": inject.kind, "text": inject.text, "author": inject.author, "reach": inject.reach,
                "fields": inject.fields}))
            drill["injected"] += 1
            incident.drill = drill

    def start_drill(self, scenario_id: str, actor: str, speed: float = 1.0) -> IncidentView:
        """A live drill: the scenario's runbook and severity, injects arriving on the (sped-up) clock."""
        from crisisplan.errors import did_you_mean

        scenarios = self.scenarios()
        if scenario_id not in scenarios:
            raise NotFound(f"no drill scenario '{scenario_id}'; " + did_you_mean(scenario_id, scenarios))
        if not 1 <= speed <= 1000:
            raise InvalidInput("speed is how many times faster than real time: 1 to 1000", "speed")
        scenario = scenarios[scenario_id]
        started = self._base_clock.now()
        with self._speed(started, speed):
            view = self.declare(scenario.runbook, scenario.severity, scenario.title, actor, scenario.components,
                                is_drill=True, drill={"scenario": scenario.id, "started_at": started.isoformat(),
                                                      "speed": speed, "injected": 0})
            return self._change(view.id, functools.partial(self._first_injects))

    @contextmanager
    def _speed(self, started: datetime, speed: float) -> Iterator[None]:
        if speed == 1:
            yield
            return
        self._local.clock = ScaledClock(self._base_clock, started, speed)
        try:
            yield
        finally:
            self._local.clock = None

    def _first_injects(self, machine: IncidentMachine, incident: Incident) -> Outcome:
        outcome = Outcome(incident.copy())
        self._inject(outcome)
        return outcome

    def finish_drill(self, incident_id: int, actor: str) -> tuple[Any, Any]:
        """Score a live drill as it stands, keep the score in the drill history, and end the drill."""
        from crisisplan.drills.runner import Run
        from crisisplan.drills.score import score

        incident = self.incident(incident_id)
        if not incident.drill or "scenario" not in incident.drill:
            raise InvalidInput(f"incident {incident_id} is not a live drill", "incident")
        scenario = self.scenarios()[incident.drill["scenario"]]
        started = datetime.fromisoformat(incident.drill["started_at"])
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            with self._time_of(row):
                ended = self.clock.now()
        order = sorted(scenario.injects, key=lambda i: i.at)
        injected = [(e.at, order[n]) for n, e in enumerate(
            e for e in self.timeline(incident_id) if e.kind == "drill_inject")]
        run = Run(scenario, self, incident_id, started, ended, injected)
        card = score(run)
        self.record_drill(scenario.id, scenario.runbook, scenario.title, card.score, card.as_dict())
        self.record_note(incident_id, "drill_finished", actor, score=card.score, missed=card.missed)
        return run, card

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

    def render_post(self, incident: Incident, kind: str, next_update: datetime | None = None) -> Drafted:
        """The post's text (and short form) in every locale; a template error is kept, not raised.

        The text promises the next update one cadence period from now (moved to
        one period after publication when it goes out), or at `next_update` when
        the author chose the time; a final post promises none.
        """
        runbook = self.plan.runbook(incident.runbook_id)
        now = self.clock.now()
        every = next(s.update_every for s in runbook.severities if s.name == incident.severity)
        promised = next_update or now + every
        drafted = Drafted(promise=None if kind in FINAL_KINDS else promised)
        for locale in self.plan.settings.locales:
            context = template_context(self.plan.settings, runbook, incident, locale=locale,
                                       now=now, next_update_at=promised)
            if drafted.promise is not None:
                drafted.promise_text[locale] = context["next_update"]
            for variant, into in (("", drafted.bodies), ("short", drafted.short_bodies)):
                path = self.plan.template_path(locale, runbook.id, kind, variant)
                if path is None:
                    if not variant:
                        drafted.errors.append(f"no '{kind}' template for locale '{locale}'")
                    continue
                try:
                    text = self._renderer.render(path, context)
                    into[locale] = delivery.drill_labelled(text) if incident.is_drill else text
                except TemplateError as error:
                    drafted.errors.append(str(error))
        return drafted

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

    # reads ---------------------------------------------------------------------
    def get(self, incident_id: int) -> IncidentView:
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}; `crisisplan status` lists them")
            return self._view(row)

    def incident(self, incident_id: int) -> Incident:
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}")
            return self._to_engine(row, self.machine(row.runbook_id))

    def status(self, include_closed: bool = False) -> list[IncidentView]:
        with self.db.read() as session:
            query = select(IncidentRow).order_by(IncidentRow.id)
            if not include_closed:
                query = query.where(IncidentRow.closed.is_(False))
            return [self._view(row) for row in session.scalars(query)]

    def _view(self, row: IncidentRow, incident: Incident | None = None) -> IncidentView:
        with self._time_of(row):
            view = self._view_now(row, incident)
        clock = self.clock if row.is_drill and (row.doc.get("drill") or {}).get("speed", 1) != 1 else None
        if clock is None:
            return view
        # deadlines of a sped-up drill, on the wall clock the team watches
        scaled = ScaledClock(self._base_clock, datetime.fromisoformat(row.doc["drill"]["started_at"]),
                             row.doc["drill"]["speed"])
        view.deadlines = [Deadline(d.timer, d.label, scaled.to_real(d.due_at)) for d in view.deadlines]
        return view

    def _view_now(self, row: IncidentRow, incident: Incident | None = None) -> IncidentView:
        machine = self.machine(row.runbook_id)
        incident = incident or self._to_engine(row, machine)
        state = machine.states[row.state]
        labels = {t.name: t.label for t in machine.runbook.timers}
        done = set(incident.checklist.get(row.state, []))
        return IncidentView(
            id=row.id, title=row.title, runbook_id=row.runbook_id, severity=row.severity,
            state=row.state, state_label=state.label, public_status=state.public_status,
            is_drill=row.is_drill, closed=row.closed, declared_at=row.declared_at,
            version=row.version, components=list(row.components), fields=incident.fields,
            roles=incident.roles,
            checklist=[(text, i in done) for i, text in enumerate(state.checklist)],
            escalations=row.escalations,
            deadlines=sorted((Deadline(n, labels[n], d) for n, d in machine.due(incident).items()),
                             key=lambda d: d.due_at),
            options=machine.options(incident),
            promise=self._promise(machine, incident, UPDATE_TIMER),
            acknowledgement=self._promise(machine, incident, ACK_TIMER),
        )

    def _promise(self, machine: IncidentMachine, incident: Incident, name: str) -> str | None:
        """on_track, at_risk (inside the timer's `ahead` window), broken (missed and not made good
        since), kept (a deadline met); None while the timer does not run."""
        from crisisplan.engine.timers import satisfied

        timer = next((t for t in machine.runbook.timers if t.name == name), None)
        state = incident.timers.get(name)
        if timer is None or state is None or state.anchor is None:
            return None
        if timer.kind == "deadline":
            if satisfied(timer, incident):
                return "kept"
            if state.fired:
                return "broken"
        elif state.fired_at and (incident.last_published_at is None or state.fired_at > incident.last_published_at):
            return "broken"
        due = machine.due(incident).get(name)
        if due is None:
            return None
        if timer.ahead is not None and self.clock.now() >= due - timer.ahead:
            return "at_risk"
        return "on_track"

    def timeline(self, incident_id: int) -> list[AuditEventRow]:
        self.get(incident_id)
        with self.db.read() as session:
            return list(session.scalars(select(AuditEventRow)
                                        .where(AuditEventRow.incident_id == incident_id)
                                        .order_by(AuditEventRow.seq)))

    def promises(self, incident_id: int) -> dict[str, Any]:
        """Promises of the next update, derived from the audit trail.

        Every due time the cadence timer set is a promise; a public post before it
        keeps it, the timer firing breaks it.
        """
        kept = broken = 0
        due: datetime | None = None
        for event in self.timeline(incident_id):
            payload = json.loads(event.payload)
            if payload.get("timer") == UPDATE_TIMER:
                if event.kind == "timer_set":
                    due = datetime.fromisoformat(payload["due_at"])
                elif event.kind == "timer_fired":
                    broken, due = broken + 1, None
                elif event.kind == "timer_cleared":
                    due = None
            elif event.kind == "post_published" and due is not None and event.at <= due:
                kept, due = kept + 1, None
        total = kept + broken
        return {"kept": kept, "broken": broken, "rate": round(kept / total, 3) if total else None}

    def posts(self, incident_id: int) -> list[PostRow]:
        self.get(incident_id)
        with self.db.read() as session:
            return list(session.scalars(select(PostRow).where(PostRow.incident_id == incident_id)
                                        .order_by(PostRow.id)))

    def post(self, post_id: int) -> PostRow:
        with self.db.read() as session:
            post = session.get(PostRow, post_id)
            if post is None:
                raise NotFound(f"no post {post_id}; `crisisplan posts INCIDENT` lists them")
            return post

    def public_incidents(self, days: int = 90, drill_id: int | None = None) -> list[PublicIncident]:
        """What the public may see: real incidents with a published post, open or from the last `days`.

        Drills never appear; `drill_id` asks for one drill alone, for its sandbox page.
        Each update carries the public status the incident had when it went out,
        read from the audit trail.
        """
        since = self.clock.now() - timedelta(days=days)
        with self.db.read() as session:
            query = select(IncidentRow).where(IncidentRow.last_published_at.is_not(None))
            if drill_id is None:
                query = query.where(IncidentRow.is_drill.is_(False)).where(
                    (IncidentRow.closed.is_(False)) | (IncidentRow.declared_at >= since))
            else:
                query = query.where(IncidentRow.id == drill_id, IncidentRow.is_drill.is_(True))
            rows = list(session.scalars(query.order_by(IncidentRow.declared_at.desc())))
            ids = [r.id for r in rows]
            posts = list(session.scalars(select(PostRow).where(
                PostRow.incident_id.in_(ids), PostRow.status == approval.PUBLISHED).order_by(PostRow.published_at)))
            moves = list(session.scalars(select(AuditEventRow).where(
                AuditEventRow.incident_id.in_(ids), AuditEventRow.kind == "state_changed").order_by(AuditEventRow.seq)))
        by_incident: dict[int, list[PostRow]] = {}
        for post in posts:
            by_incident.setdefault(post.incident_id, []).append(post)
        entered: dict[int, list[tuple[datetime, str]]] = {}
        for move in moves:
            entered.setdefault(move.incident_id, []).append((move.at, json.loads(move.payload)["to"]))
        result = []
        for row in rows:
            runbook = self.plan.runbook(row.runbook_id)
            states = {s.name: s for s in runbook.states}
            severity = next((s for s in runbook.severities if s.name == row.severity), None)
            history = [(row.declared_at, runbook.initial)] + entered.get(row.id, [])

            def status_at(moment: datetime, history: list[tuple[datetime, str]] = history,
                          states: dict[str, Any] = states) -> str:
                state = [name for at, name in history if at <= moment][-1]
                return states[state].public_status or "investigating"

            resolved_at = next((at for at, name in history if states[name].public_status == "resolved"), None)
            updates = [PublicUpdate(p.id, p.kind, p.published_at, status_at(p.published_at), dict(p.bodies))
                       for p in reversed(by_incident.get(row.id, []))]
            current = states[row.state].public_status or (updates[0].status if updates else "investigating")
            result.append(PublicIncident(
                id=row.id, title=row.title, impact=severity.impact if severity else "major", status=current,
                declared_at=row.declared_at, updated_at=updates[0].at if updates else row.declared_at,
                resolved_at=resolved_at if current == "resolved" else None,
                components=list(row.components), updates=updates))
        return result

    def public_stamp(self) -> tuple[Any, ...]:
        """Changes whenever anything the public page shows may have changed."""
        with self.db.read() as session:
            return (session.scalar(select(func.max(PostRow.published_at))),
                    session.scalar(select(func.max(IncidentRow.updated_at)).where(IncidentRow.is_drill.is_(False))),
                    # the few statuses set by hand themselves: a change of one shows at once
                    tuple((name, status) for name, status in session.execute(
                        select(ComponentStatusRow.name, ComponentStatusRow.status).order_by(ComponentStatusRow.name))))

    # --- signals in: alerts -------------------------------------------------------------------------------

    def receive_alerts(self, payload: Any, actor: str = "alertmanager") -> dict[str, Any]:
        """Alertmanager's webhook: each alert declares an incident (a route with a runbook), joins the open
        incident of its fingerprint or alert group, or is only recorded. A resolved alert never resolves an
        incident: it tells the incident that resolving may be due. A repeat of an alert is recorded once."""
        from sqlalchemy.exc import IntegrityError

        from crisisplan.signals import alerts

        group_key, truncated, received = alerts.parse(payload)
        known = {c.name for c in self.plan.settings.components}
        result: dict[str, Any] = {"declared": [], "attached": [], "recorded": 0, "duplicates": 0,
                                  "resolve_proposed": [], "truncated": truncated}
        for alert in received:
            when = alert.starts_at if alert.status == "firing" else alert.ends_at or self.clock.now()
            try:  # claim it first: of two deliveries of one alert, one acts
                with self.db.write() as session:
                    row = SignalRow(source="alertmanager", source_id=alert.source_id, received_at=self.clock.now(),
                                    at=when,
                                    status=alert.status, title=alert.title, fingerprint=alert.fingerprint,
                                    group_key=group_key, action="recorded",
                                    data={"labels": alert.labels, "annotations": alert.annotations,
                                          "generator_url": alert.generator_url})
                    session.add(row)
                    session.flush()
                    signal_id = row.id
            except IntegrityError:
                result["duplicates"] += 1
                continue
            facts = {"signal": signal_id, "alert": alert.title, "fingerprint": alert.fingerprint,
                     "labels": alert.labels}
            incident_id, action = self._open_incident_for(alert.fingerprint, group_key), "recorded"
            if alert.status == "resolved":
                if incident_id:
                    self.record_note(incident_id, "resolve_proposed", actor, **facts,
                                     reason="the alert resolved; resolve when the public can be told")
                    result["resolve_proposed"].append(incident_id)
            elif incident_id:
                self.record_note(incident_id, "alert_attached", actor, **facts)
                action = "attached"
                result["attached"].append(incident_id)
            else:
                route = alerts.route_for(alert, self.plan.settings.signals.alertmanager.routes)
                if route is not None and route.runbook:
                    component = alert.labels.get(route.components_label, "")
                    view = self.declare(route.runbook, route.severity or "", alert.title, actor,
                                        [component] if component in known else [])
                    self.record_note(view.id, "alert_attached", actor, **facts)
                    incident_id, action = view.id, "declared"
                    result["declared"].append(view.id)
            if action == "recorded" and not incident_id:
                result["recorded"] += 1
            with self.db.write() as session:
                row = session.get(SignalRow, signal_id)
                row.incident_id, row.action = incident_id, action
        return result

    def _open_incident_for(self, fingerprint: str, group_key: str) -> int | None:
        """The newest real incident, not yet resolved, that an alert of this fingerprint or group joined."""
        from sqlalchemy import or_

        with self.db.read() as session:
            same = or_(*([SignalRow.fingerprint == fingerprint] if fingerprint else []),
                       *([SignalRow.group_key == group_key] if group_key else []))
            rows = session.execute(
                select(IncidentRow.id, IncidentRow.runbook_id, IncidentRow.state).join(
                    SignalRow, SignalRow.incident_id == IncidentRow.id)
                .where(same, IncidentRow.closed.is_(False), IncidentRow.is_drill.is_(False))
                .order_by(IncidentRow.id.desc())).all()
        for incident_id, runbook_id, state in rows:
            states = {s.name: s for s in self.plan.runbook(runbook_id).states}
            if state in states and states[state].public_status != "resolved" and not states[state].final:
                return incident_id
        return None

    # --- signals in: complaints and mentions ----------------------------------------------------------------

    def receive_complaint(self, channel: str, author: str, reach: int, text: str, link: str = "",
                          at: datetime | None = None, source_id: str = "", locale: str | None = None,
                          actor: str = "") -> tuple[SignalRow, bool]:
        """Record a complaint or mention once (by source id), triage it, and act as the plan says: join the
        incident it is about, declare one (reach, legal or safety words, or a burst on one topic), or only
        record it; escalate along the matrix. Returns (the signal, whether it was new)."""
        import hashlib

        from sqlalchemy.exc import IntegrityError

        from crisisplan.signals import triage

        if not text.strip():
            raise InvalidInput("a complaint needs its text", field="text")
        if not channel.strip():
            raise InvalidInput("name the channel it came from (twitter, email, phone…)", field="channel")
        if reach < 0:
            raise InvalidInput("reach is a number of followers, 0 or more", field="reach")
        now = self.clock.now()
        at = at or now
        source_id = source_id or hashlib.sha256(f"{channel}|{author}|{text}|{at.isoformat()}".encode()).hexdigest()
        settings = self.plan.settings
        rules = settings.signals.complaints
        components = {c.name: c.label for c in settings.components}
        known = [triage.KnownIncident(v.id, v.title, [components.get(c, c) for c in v.components] + v.components)
                 for v in self.status() if not v.is_drill and v.public_status not in (None, "resolved")]
        thresholds = triage.Thresholds(rules.declare_reach, rules.high_reach, rules.burst_count,
                                       int(rules.burst_within.total_seconds() // 60))
        verdict = triage.assess(text, reach, known, components, thresholds, locale)
        topic_key = f"topic:{verdict.topic}"
        try:
            with self.db.write() as session:
                row = SignalRow(source="complaint", source_id=source_id[:300], received_at=now, at=at, status="open",
                                title=text.strip().splitlines()[0][:200], fingerprint="", group_key=topic_key,
                                action="recorded",
                                data={"channel": channel, "author": author, "reach": reach, "text": text,
                                      "link": link, "triage": verdict.as_dict()})
                session.add(row)
                session.flush()
                signal_id = row.id
        except IntegrityError:
            with self.db.read() as session:
                return session.scalars(select(SignalRow).where(SignalRow.source == "complaint",
                                                               SignalRow.source_id == source_id[:300])).one(), False
        with self.db.read() as session:
            recent = session.scalar(select(func.count()).select_from(SignalRow).where(
                SignalRow.source == "complaint", SignalRow.group_key == topic_key,
                SignalRow.at >= at - rules.burst_within, SignalRow.at <= at))
        burst = verdict.legitimacy != "trolling" and verdict.topic != "general" and recent >= rules.burst_count
        facts = {"signal": signal_id, "channel": channel, "author": author, "reach": reach}
        incident_id = verdict.known_incident or self._open_incident_for("", topic_key)
        action = "recorded"
        if incident_id:
            self.record_note(incident_id, "complaint_attached", actor or "triage", **facts)
            action = "attached"
        elif verdict.declare or burst:
            runbook = self.plan.runbook(rules.runbook)
            severity = runbook.severities[0 if verdict.severity == "high" or burst else -1].name
            label = components.get(verdict.topic, verdict.topic)
            title = (f"{recent} complaints about {label} in {format_duration(rules.burst_within)}" if burst
                     else f"Complaint on {channel} from {author or 'someone'} ({reach:,} followers)")
            fields = {"assessment": "; ".join(verdict.reasons)}
            if verdict.topic != "general":
                fields["topic"] = label
            view = self.declare(rules.runbook, severity, title, actor or "triage",
                                [verdict.topic] if verdict.topic in components else [], fields)
            self.record_note(view.id, "complaint_attached", actor or "triage", **facts,
                             reason="burst" if burst else "triage")
            incident_id, action = view.id, "declared"
            if burst:  # the earlier complaints of the burst belong to it too
                with self.db.write() as session:
                    for earlier in session.scalars(select(SignalRow).where(
                            SignalRow.group_key == topic_key, SignalRow.incident_id.is_(None),
                            SignalRow.at >= at - rules.burst_within)):
                        earlier.incident_id, earlier.action = view.id, "attached"
        escalations = self._escalations(verdict, at)
        for step in escalations:
            if incident_id:
                self.record_note(incident_id, "escalated", actor or "triage", **facts, **step)
        with self.db.write() as session:
            row = session.get(SignalRow, signal_id)
            row.incident_id, row.action = incident_id, action
            runbook = self.plan.runbook(rules.runbook)
            proposal = {"incident": incident_id} if incident_id else {
                "runbook": rules.runbook,
                "severity": runbook.severities[0 if verdict.severity == "high" else -1].name,
                "declare": "now" if action == "declared" else "if more come"}
            row.data = {**row.data, "escalations": escalations, "proposal": proposal,
                        "reply": self._reply(verdict, escalations, channel, at)}
            return row, True

    def import_complaints(self, text: str, name: str, actor: str = "") -> dict[str, int]:
        """A CSV batch (columns channel, text; optional id, author, reach, link, at): checked whole first, so
        a bad line (named with its number) imports nothing; repeats of known ids are counted, not recorded."""
        import csv
        import io

        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        missing = {"channel", "text"} - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput(f"{name} line 1: the header needs the column(s) {', '.join(sorted(missing))} "
                               f"(and may have id, author, reach, link, at)", field="file")
        rows, errors = [], []
        for number, raw in enumerate(reader, start=2):
            try:
                reach = int((raw.get("reach") or "0").replace(",", "").replace(".", "").strip() or 0)
                at = datetime.fromisoformat(raw["at"].strip()) if (raw.get("at") or "").strip() else None
                if at is not None and at.tzinfo is None:
                    raise ValueError("at needs a UTC offset, e.g. 2026-05-01T10:00:00+00:00")
                if not (raw.get("text") or "").strip() or not (raw.get("channel") or "").strip():
                    raise ValueError("channel and text must not be empty")
            except ValueError as error:
                message = str(error) if "at needs" in str(error) or "must not" in str(error) \
                    else f"cannot read it ({error})"
                errors.append(f"{name} line {number}: {message}")
                continue
            rows.append((raw, reach, at))
        if errors:
            raise InvalidInput("; ".join(errors[:10]) + (f" (and {len(errors) - 10} more)" if len(errors) > 10
                                                          else "") + "; nothing was imported", field="file")
        counts = {"new": 0, "duplicates": 0}
        for raw, reach, at in rows:
            _, new = self.receive_complaint(raw["channel"].strip(), (raw.get("author") or "").strip(), reach,
                                            raw["text"], (raw.get("link") or "").strip(), at,
                                            (raw.get("id") or "").strip(), actor=actor)
            counts["new" if new else "duplicates"] += 1
        return counts

    def contact_load(self) -> tuple[dict[int, float], int]:
        """Complaints and incidents recorded so far, as an average day: contacts per hour of the day (in the
        organisation's time zone), and over how many days."""
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(self.plan.settings.organisation.time_zone)
        with self.db.read() as session:
            moments = list(session.scalars(select(SignalRow.at).where(SignalRow.source == "complaint")))
            moments += list(session.scalars(select(IncidentRow.declared_at).where(IncidentRow.is_drill.is_(False))))
        local = [m.astimezone(tz) for m in moments]
        days = len({m.date() for m in local}) or 1
        per_hour: dict[int, float] = {}
        for moment in local:
            per_hour[moment.hour] = per_hour.get(moment.hour, 0) + 1 / days
        return per_hour, days

    def _escalations(self, verdict: Any, at: datetime) -> list[dict[str, Any]]:
        """The matrix rows the assessment sets off: who takes over and by when."""
        roles = {r.name: r.label for rb in self.plan.runbooks.values() for r in rb.roles}
        return [{"when": row.when, "to": row.to, "to_label": roles.get(row.to, row.to),
                 "by": (at + row.within).isoformat(), "tell_customer": row.tell_customer}
                for key in verdict.escalate for row in self.plan.settings.escalation if row.when == key]

    REPLIES = {
        "en": {"escalated": "Thank you for telling us, and we are sorry. Your case has gone to our {to}; "
                            "you will hear from us by {by}.",
               "holding": "Thank you for telling us, and we are sorry. We are looking into it and will answer "
                          "within {within}."},
        "es": {"escalated": "Gracias por avisarnos y lo sentimos. Tu caso ha pasado a {to}; "
                            "te responderemos antes de {by}.",
               "holding": "Gracias por avisarnos y lo sentimos. Lo estamos revisando y te responderemos "
                          "en menos de {within}."},
    }

    def _reply(self, verdict: Any, escalations: list[dict[str, Any]], channel: str, at: datetime) -> str:
        """What the customer is told now: that it went up and by when, or a holding reply; nothing to trolls."""
        if not verdict.holding_reply:
            return ""
        words = self.REPLIES.get(verdict.locale, self.REPLIES["en"])
        told = next((e for e in escalations if e["tell_customer"]), None)
        tz = self.plan.settings.organisation.time_zone
        if told:
            moment = format_moment(datetime.fromisoformat(told["by"]), verdict.locale, tz, at)
            return words["escalated"].format(to=told["to_label"].lower(), by=moment)
        support = next((c for c in self.plan.settings.support if c.name == channel), None)
        within = support.response if support else timedelta(hours=4)
        return words["holding"].format(within=format_duration(within))

    def override_triage(self, signal_id: int, changes: dict[str, str], actor: str) -> SignalRow:
        """The team's own judgement beside the assessment: severity or legitimacy."""
        allowed = {"severity": ("high", "normal"), "legitimacy": ("legitimate", "trolling", "unclear")}
        for key, value in changes.items():
            if key not in allowed or value not in allowed[key]:
                raise InvalidInput(f"{key} can be {', '.join(allowed.get(key, ()))}", field=key)
        with self.db.write() as session:
            row = session.get(SignalRow, signal_id)
            if row is None or row.source != "complaint":
                raise NotFound(f"no complaint {signal_id}")
            override = {**row.data.get("override", {}), **changes, "by": actor, "at": self.clock.now().isoformat()}
            row.data = {**row.data, "override": override}
            return row

    def signals(self, limit: int = 200) -> list[SignalRow]:
        with self.db.read() as session:
            return list(session.scalars(select(SignalRow).order_by(SignalRow.id.desc()).limit(limit)))

    COMPONENT_STATUSES = ("operational", "degraded_performance", "partial_outage", "major_outage",
                          "under_maintenance")

    def component_overrides(self) -> dict[str, str]:
        """Statuses set by hand; components not listed follow their incidents alone."""
        with self.db.read() as session:
            return {name: status for name, status in session.execute(
                select(ComponentStatusRow.name, ComponentStatusRow.status))}

    def set_component_status(self, name: str, status: str, actor: str) -> None:
        """Set a component's status by hand; "operational" hands it back to its incidents."""
        if name not in {c.name for c in self.plan.settings.components}:
            raise NotFound(f"no component '{name}' in plan.yaml")
        if status not in self.COMPONENT_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(self.COMPONENT_STATUSES)}", field="status")
        with self.db.write() as session:
            row = session.get(ComponentStatusRow, name)
            if status == "operational":
                if row is not None:
                    session.delete(row)
                return
            if row is None:
                session.add(ComponentStatusRow(name=name, status=status, updated_at=self.clock.now(), actor=actor))
            else:
                row.status, row.updated_at, row.actor = status, self.clock.now(), actor

    def record_drill(self, scenario_id: str, runbook_id: str, title: str, score: int, scorecard: dict[str, Any],
                     runs: int = 1) -> DrillRunRow:
        with self.db.write() as session:
            row = DrillRunRow(scenario_id=scenario_id, runbook_id=runbook_id, title=title, ran_at=SystemClock().now(),
                              runs=runs, score=score, scorecard=scorecard)
            session.add(row)
            session.flush()
            return row

    def drill_history(self, runbook_id: str | None = None) -> list[DrillRunRow]:
        with self.db.read() as session:
            query = select(DrillRunRow).order_by(DrillRunRow.ran_at, DrillRunRow.id)
            if runbook_id:
                query = query.where(DrillRunRow.runbook_id == runbook_id)
            return list(session.scalars(query))

    def verify_incident_audit(self, incident_id: int) -> tuple[int, audit.Finding | None]:
        """One incident's chain: (events checked, the first thing wrong or None)."""
        with self.db.read() as session:
            row = session.get(IncidentRow, incident_id)
            if row is None:
                raise NotFound(f"no incident {incident_id}")
            events = list(session.scalars(select(AuditEventRow).where(AuditEventRow.incident_id == incident_id)
                                          .order_by(AuditEventRow.seq)))
            return len(events), audit.verify_incident(row, events)

    def verify_audit(self) -> tuple[int, int, list[audit.Finding]]:
        with self.db.read() as session:
            return audit.verify(session)


def _chain(commands: list[Callable[[IncidentMachine, Incident], Outcome]]) -> Callable[..., Outcome]:
    """Several engine commands as one: each sees the incident the one before left."""

    def run(machine: IncidentMachine, incident: Incident) -> Outcome:
        events: list[Event] = []
        for command in commands:
            outcome = command(machine, incident)
            incident, events = outcome.incident, events + outcome.events
        return Outcome(incident, events)

    return run



def instance_dir(plan_root: Path) -> Path:
    """Where the embedded database lives: CRISISPLAN_INSTANCE or <plan>/instance."""
    return Path(os.environ.get("CRISISPLAN_INSTANCE") or plan_root / "instance")
