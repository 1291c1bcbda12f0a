"""Publishing a post: the promise it carries, the outbox messages it owes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crisisplan.clock import Clock
from crisisplan.comms import approval, delivery, promise
from crisisplan.comms.audience import PRIVATE, PUBLIC, public_title
from crisisplan.comms.languages import language_problems
from crisisplan.comms.markdown import to_text
from crisisplan.comms.render import format_moment
from crisisplan.comms.tone import FINAL_KINDS
from crisisplan.engine import Incident, IncidentMachine
from crisisplan.errors import Conflict, InvalidInput
from crisisplan.plan.schema import Runbook
from crisisplan.publish.outbox import OutboxStatus
from crisisplan.services.connector_outbox import enqueue_network_posts, enqueue_thread_reply
from crisisplan.services.subscribers import SubscriberStatus
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.services.views import (
    _iso,
)
from crisisplan.store.models import (
    OutboxRow,
    PostRow,
    SubscriberRow,
)


class Publication(UnitOfWork):
    """A post going out: what it promises, and every message it owes, written in the same transaction."""

    def publish_post(self, post_id: int, actor: str, at: datetime | None = None) -> PostRow:
        """Publish now, or schedule for `at`: only what the approval policy and the blocking rules allow."""
        with self.change_post(post_id) as (work, post):
            self._publish(work, post, actor, at)
        return post

    def _publish(self, work: Work, post: PostRow, actor: str, at: datetime | None = None, trusted: str = "") -> None:
        """Publish (or schedule) a post inside a unit of work; `trusted` says why no approval is needed."""
        now = work.clock.now()
        self._check_approved(work, post, now, trusted)
        if trusted:
            work.note("post_approved", actor, post_id=post.id, kind=post.kind, approved=True, trusted=trusted)
        scheduling = at is not None and at > now
        moved = None if scheduling else self._settle_promise(post, work.incident, work.clock)
        checks = self.post_checks(post, work.incident)
        self._check_publishable(post, checks, at if scheduling else now, work.machine.runbook, work.incident)
        channels = delivery.verdict(checks)
        if work.machine.runbook.audience(post.kind) != PUBLIC:
            channels = {}  # a private or internal post goes out on no public channel (_enqueue: where it goes)
        if scheduling:
            work.machine.check_publishable(work.incident, post.kind)
            post.status, post.publish_at = approval.SCHEDULED, at
            work.note("post_scheduled", actor, post_id=post.id, kind=post.kind, at=at.isoformat())
            return
        post.status, post.published_at, post.publish_at = approval.PUBLISHED, now, None
        post.channels = channels
        work.apply(work.machine.record_publication(work.incident, post.kind, work.clock, actor, post.id,
                                                   promise_at=post.next_update_at, channels=channels,
                                                   moved_from=moved, step=post.step))
        # warnings the post goes out with (blocking findings never do): the review lists them from the chain
        warned = sorted({f.rule for c in checks if c.channel == delivery.PRIMARY for f in c.findings})
        if warned:
            work.note("tone_warnings_published", actor, post_id=post.id, kind=post.kind, rules=warned)
        self._enqueue(post, work.incident, work.machine, channels)

    def _check_approved(self, work: Work, post: PostRow, now: datetime, trusted: str) -> None:
        """Refuse a post the approval policy (and the role the runbook names) has not let through."""
        if trusted or (post.status == approval.SCHEDULED and post.publish_at and post.publish_at <= now):
            return  # trusted by the plan, or approved and scheduled earlier
        policy = self.policy(work.incident)
        required = self.required_approver(work.incident, post.kind)
        if approval.ready_to_publish(policy, post.status, post.author, post.approvals, required):
            return
        if post.status in (approval.PUBLISHED, approval.SCHEDULED):
            # somebody got there first (two people pressing Publish at once): a lost race, 409, nothing applied
            raise Conflict(f"post {post.id} is {post.status} already; nothing of your change was applied")
        need = {"one": "the approval of somebody other than its author",
                "two": "the approvals of two people other than its author"}.get(policy, "")
        need = " and ".join(n for n in (need, f"the approval of {required}" if required else "") if n)
        raise approval.ReviewError(f"post {post.id} is {post.status}; it needs {need} before it is published")

    def _check_publishable(self, post: PostRow, checks: list[delivery.ChannelCheck], moment: datetime,
                           runbook: Runbook, incident: Incident | None = None) -> None:
        """Refuse a post with a blocking finding, no complete text, a language stale or missing, a promise
        already past, or too long."""
        if incident is not None:
            behind = language_problems(self.plan.settings, runbook, incident, post.bodies or {},
                                       list(post.stale_locales or []), runbook.audience(post.kind) == "public")
            if behind:
                raise approval.ReviewError(f"post {post.id} cannot be published yet: " + "; ".join(behind))
        blocked = [f"{c.locale}: [{f.rule}] {c.text[f.start:f.end] or f.message}"
                   for c in checks if c.channel == delivery.PRIMARY
                   for f in c.findings if f.severity == "block"]
        if blocked:
            raise approval.ReviewError(f"post {post.id} cannot be published; blocking tone findings: "
                                       + "; ".join(blocked))
        if not post.bodies or post.render_error:
            raise approval.ReviewError(f"post {post.id} has no complete text: {post.render_error or 'empty'}")
        if post.promise_fixed and post.next_update_at is not None and post.next_update_at <= moment:
            raise approval.ReviewError(
                f"post {post.id} promises the next update by {post.next_update_at.isoformat()}, which will "
                "have passed when it goes out; edit it with a later --next-update, or redraft it")
        self._check_promise(post, runbook)
        primary = delivery.verdict(checks)[delivery.PRIMARY]
        if primary:
            raise approval.ReviewError(f"post {post.id} does not fit the status page: {primary}")

    def _check_promise(self, post: PostRow, runbook: Runbook) -> None:
        """What the text says of the next update and what the record tracks must be the same time."""
        if post.next_update_at is None:
            if post.kind not in FINAL_KINDS and post.kind not in runbook.promise_optional:
                raise approval.ReviewError(
                    f"post {post.id} does not say when the next update comes; a public post that is not the last "
                    "must (write the time, e.g. 'next update by 11:30', or give --next-update)")
            return
        tz = self.plan.settings.organisation.time_zone
        texts = {**post.bodies, **{f"{k} (short)": v for k, v in (post.short_bodies or {}).items()}}
        wrong = promise.disagreeing(texts, post.next_update_at, tz)
        if wrong:
            raise approval.ReviewError(
                f"post {post.id} promises the next update at {format_moment(post.next_update_at, 'en', tz)}, but the "
                f"text in {', '.join(wrong)} does not name that time; edit it so every language says the same")

    def _settle_promise(self, post: PostRow, incident: Incident, clock: Clock) -> datetime | None:
        """Move a drafted promise to one cadence period after publication, in the text too.

        A draft written at 9:00 that goes out at 9:25 must not tell readers "next
        update by 9:30": the time the template wrote is replaced, in every locale and
        in the short form, by publication time plus the severity's cadence. A time the
        author fixed is left alone. Returns the time it moved from, or None.
        """
        if post.promise_fixed or post.next_update_at is None:
            return None
        runbook = self.plan.runbook(incident.runbook_id)
        now = clock.now()
        every = runbook.severity(incident.severity).update_every
        old, new = post.next_update_at, now + every
        if old == new:
            return None
        self._restate_promise(post, new, now)
        return old

    def _restate_promise(self, post: PostRow, new: datetime, now: datetime) -> None:
        """Move a post's promise to `new` in every locale and channel of its text, and in its record."""
        tz = self.plan.settings.organisation.time_zone
        said = dict(post.promise_text or {})
        try:
            bodies, words = promise.restate(post.bodies, said, new, tz, now)
            short, _ = promise.restate(post.short_bodies or {}, said, new, tz, now)
        except promise.PromiseMismatch as error:
            raise InvalidInput(f"post {post.id}: {error}", "next_update") from None
        post.bodies, post.short_bodies, post.promise_text, post.next_update_at = bodies, short, words, new

    def _enqueue(self, post: PostRow, incident: Incident, machine: IncidentMachine, channels: dict[str, str]) -> None:
        """The messages this publication owes, written in its own transaction: nothing is sent twice or lost."""
        from sqlalchemy.orm import object_session

        from crisisplan.comms.channels import render

        session = object_session(post)
        now = self.clock.now()  # the worker's wall clock, also in a sped-up drill
        audience = machine.runbook.audience(post.kind)
        if audience != PUBLIC:  # the one gate: a private or internal post never reaches subscribers or webhooks
            if audience == PRIVATE and not incident.is_drill:
                self._enqueue_reply(session, post, incident, now)
            return
        locale = self.plan.settings.default_locale
        org = self.plan.settings.organisation
        url = f"{org.status_url.rstrip('/')}/incidents/{incident.id}" if org.status_url else org.help_url
        state = machine.states[incident.state]
        internal = machine.runbook.incident_audience != PUBLIC  # its own title names people: never sent
        titles = self._public_titles(session, post, incident, machine) if internal else {}
        title = titles.get(locale, "") if internal else incident.title
        for hook in self.plan.settings.webhooks:
            if (incident.is_drill and not hook.drills) or hook.format == "pagerduty":
                continue  # PagerDuty hears notices to people (notices.py), never posts
            if hook.format == "slack":
                if channels.get("chat"):
                    continue  # withheld from chat: too long, or a blocking finding there
                text = render(post.bodies.get(locale, ""), "chat").text
                payload = {"text": text + (f"\n<{url}|Status page>" if url else "")}
            else:
                payload = {"event": "post.published", "drill": incident.is_drill,
                           "incident": {"id": incident.id, "title": title, "severity": incident.severity,
                                        "state": incident.state, "public_status": state.public_status, "url": url},
                           "post": {"id": post.id, "kind": post.kind, "published_at": _iso(post.published_at),
                                    "bodies": post.bodies, "next_update_at": _iso(post.next_update_at)}}
            session.add(OutboxRow(post_id=post.id, channel=f"webhook:{hook.name}", target=hook.url,
                                  payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
                                  idempotency_key=f"post-{post.id}-webhook-{hook.name}", status=OutboxStatus.PENDING,
                                  attempts=0, next_attempt_at=now, created_at=now, log=[]))

        enqueue_network_posts(session, self.plan.settings, post, incident, url, channels, now)  # bluesky:post
        # subscribers are the public: drills never reach them, nor a post withheld from e-mail
        if not incident.is_drill and not channels.get("email"):
            self._enqueue_emails(session, post, incident, now, titles)

    def _public_titles(self, session: Any, post: PostRow, incident: Incident,
                       machine: IncidentMachine) -> dict[str, str]:
        """An internal incident's public name in each language: its first public post's first line (as the
        status page shows it)."""
        published = session.scalars(select(PostRow).where(
            PostRow.incident_id == incident.id, PostRow.status == approval.PUBLISHED).order_by(PostRow.published_at))
        first = next((p for p in published if machine.runbook.audience(p.kind) == PUBLIC), post)
        titles = {loc: public_title(text) for loc, text in first.bodies.items() if text}
        fallback = titles.get(self.plan.settings.default_locale) or next(iter(titles.values()), "")
        return {loc: titles.get(loc) or fallback for loc in self.plan.settings.locales}

    def _enqueue_reply(self, session: Any, post: PostRow, incident: Incident, now: datetime) -> None:
        """A private post goes to the one person, on the channel they came in on: a reply to their e-mail when
        they wrote from an address; otherwise the console shows it to copy and send by hand."""
        from crisisplan.services.replies import complainant

        person = complainant(session, incident.id, post.signal_id)
        if person is not None and enqueue_thread_reply(session, self.plan.settings, post, person.signal_id,
                                                       person.locale, now):
            return  # they wrote on Bluesky: answered in their thread
        if person is None or not person.address:
            return
        locale = person.locale if person.locale in post.bodies else self.plan.settings.default_locale
        text = to_text(post.bodies.get(locale) or next(iter(post.bodies.values()), ""))
        session.add(OutboxRow(
            post_id=post.id, channel="email:reply", target=person.address,
            payload=json.dumps({"subject": person.subject, "text": text + "\n",
                                "key": f"reply-{post.id}-signal-{person.signal_id}", "signal": person.signal_id,
                                **_threading(person.thread)}, ensure_ascii=False),
            idempotency_key=f"post-{post.id}-reply-{person.signal_id}", status=OutboxStatus.PENDING,
            attempts=0, next_attempt_at=now, created_at=now, log=[]))

    def _enqueue_emails(self, session: Any, post: PostRow, incident: Incident, now: datetime,
                        titles: dict[str, str] | None = None) -> None:
        """One message a confirmed subscriber who follows any affected component (or all of them); `titles` are
        an internal incident's public name per locale, which the message uses instead of its own title."""
        from sqlalchemy import insert

        affected = set(incident.components)
        titles = titles or {}
        rows = [{"post_id": post.id, "channel": "email:post", "target": email,
                 "payload": json.dumps({"subscriber": sid, "locale": locale, "token": token,
                                        **({"title": titles[locale]} if titles.get(locale) else {})}),
                 "idempotency_key": f"post-{post.id}-subscriber-{sid}", "status": OutboxStatus.PENDING, "attempts": 0,
                 "next_attempt_at": now, "created_at": now, "log": []}
                for sid, email, locale, token, components in session.execute(
                    select(SubscriberRow.id, SubscriberRow.email, SubscriberRow.locale, SubscriberRow.token,
                           SubscriberRow.components).where(SubscriberRow.status == SubscriberStatus.CONFIRMED))
                if not components or not affected or affected & set(components)]
        if rows:
            session.execute(insert(OutboxRow), rows)



def _threading(thread: dict[str, Any]) -> dict[str, Any]:
    """What makes a reply land in the customer's own thread: their e-mail's Message-ID and the References before it."""
    message_id = str(thread.get("message_id") or "")
    if not message_id:
        return {}
    return {"in_reply_to": message_id, "references": [str(r) for r in thread.get("references") or []]}
