"""Writing and reviewing posts: draft, edit, redraft, submit, approve, send back, check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from crisisplan import textgate
from crisisplan.clock import Clock
from crisisplan.comms import approval, delivery, promise
from crisisplan.comms.audience import PRIVATE
from crisisplan.comms.context import template_context
from crisisplan.comms.languages import stale_after_edit
from crisisplan.comms.render import TemplateError, format_moment
from crisisplan.comms.reply_words import REQUIRED, addressee, words_for
from crisisplan.comms.tone import FINAL_KINDS, Context
from crisisplan.comms.tone_plan import plan_tone
from crisisplan.engine import Event, Incident
from crisisplan.errors import InvalidInput, did_you_mean
from crisisplan.services.replies import COMPLAINANT, customer_time
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.services.views import (
    SYSTEM_ACTOR,
    Drafted,
    _iso,
)
from crisisplan.store.models import (
    PostRow,
)


class PostCommands(UnitOfWork):
    """Posts from draft to approved: the words, who wrote them, who approved them."""

    def policy(self, incident: Incident) -> str:
        """The approval policy of the incident's severity: none, one or two."""
        return self.plan.runbook(incident.runbook_id).severity(incident.severity).approval

    def required_approver(self, incident: Incident, kind: str) -> str:
        """Who, besides the policy's second person, must approve a post of this kind ("" for nobody)."""
        role = self.plan.runbook(incident.runbook_id).approval_roles.get(kind)
        if not role:
            return ""
        return incident.roles.get(role) or f"the {role.replace('_', ' ')} (assign the role first)"

    def tone_context(self, incident: Incident, locale: str, kind: str | None, channel: str) -> Context:
        """The tone rules for a post: the plan's jargon, and which rules block (the runbook may override)."""
        tone, org = self.plan.settings.tone, self.plan.settings.organisation
        runbook = self.plan.runbook(incident.runbook_id)
        block = tone.block if runbook.tone.block is None else runbook.tone.block
        return Context(locale=locale, kind=kind, channel=channel, jargon=tuple(tone.jargon), block=tuple(block),
                       audience=runbook.audience(kind) if kind else "public",
                       own_contacts=(org.support_email, org.phone),
                       names=tuple(n for n in (incident.fields.get(COMPLAINANT, ""),) if n),
                       **plan_tone(self.plan.settings))

    def draft_post(self, incident_id: int, kind: str, actor: str, text: str | None = None,
                   locale: str | None = None, next_update: datetime | None = None, step: str = "",
                   words: dict[str, str] | None = None, signal_id: int | None = None,
                   person: str | None = None) -> PostRow:
        """Write a new draft: from the kind's template in every locale, or from the author's own text.

        `next_update` is a promise time the author chooses instead of the severity's cadence;
        `step` is the runbook step (trigger) its publication is to take, when there is a choice.
        A reply to one complaint (the inbox) names it (`signal_id`) and greets its `person`; a kind that needs the
        responder's own `words` (a refusal: reason and alternative) is refused without them.
        """
        text = textgate.clean(text, "text") if text is not None else None
        words = words_for(kind, words) if text is None else {}
        if text is None and kind not in self.plan.kinds():
            raise InvalidInput(f"no template for post kind '{kind}'; " + did_you_mean(kind, self.plan.kinds()), "kind")
        with self.change(incident_id) as work:
            post = self._draft_in(work, kind, actor, text, locale, next_update, step, words, signal_id, person)
        return post

    def _draft_in(self, work: Work, kind: str, actor: str, text: str | None, locale: str | None,
                  next_update: datetime | None, step: str, words: dict[str, str], signal_id: int | None,
                  person: str | None) -> PostRow:
        """`draft_post` inside a unit of work already open (the inbox declares and drafts in one transaction)."""
        self._check_ahead(next_update, work.clock)
        if text is None:
            drafted = self.render_post(work.incident, kind, next_update, work.clock, person, words)
        else:
            drafted = self._drafted_by_hand(text, locale or self.plan.settings.default_locale, next_update, work)
        if step and work.machine.runbook.step(work.incident.state, step) is None:
            raise InvalidInput(f"'{step}' is not a step the incident can take from its state", "step")
        event = work.note("post_drafted", actor, kind=kind, reason="by hand", **({"step": step} if step else {}),
                          **({"signal": signal_id} if signal_id is not None else {}))
        # a time the author chose, or wrote into the text, is theirs: publication does not move it
        told = customer_time(work.machine.runbook, work.incident, kind, work.clock.now())
        post = self._new_post(work, event, drafted, fixed=next_update is not None or text is not None
                              or told is not None)
        post.step, post.signal_id = step, signal_id
        return post

    def draft_for_step(self, incident_id: int, trigger: str, actor: str) -> PostRow:
        """Open the post that takes a public step (acknowledge, resolve…): the pending draft of its kind,
        now bound to the step, or a new draft from its template."""
        incident = self.incident(incident_id)
        step = self.plan.runbook(incident.runbook_id).step(incident.state, trigger)
        if step is None or not step.post:
            raise InvalidInput(f"'{trigger}' is not a step taken by a post from the incident's state", "trigger")
        pending = [p for p in self.posts(incident_id) if p.kind == step.post
                   and p.status in (approval.DRAFT, approval.IN_REVIEW, approval.APPROVED)]
        if not pending:
            return self.draft_post(incident_id, step.post, actor, step=trigger)
        with self.change_post(pending[-1].id) as (work, post):
            if post.step != trigger:
                post.step = trigger
                work.note("post_step_chosen", actor, post_id=post.id, kind=post.kind, step=trigger)
        return post

    def edit_post(self, post_id: int, text: str | None, actor: str, locale: str | None = None,
                  short: bool = False, next_update: datetime | None = None,
                  expected_version: int | None = None, together: tuple[str, ...] = ()) -> PostRow:
        """Replace a post's text (or its short form), or the next-update time it promises.

        Any change withdraws the approvals: what was approved is no longer what goes out. A new text leaves the
        other languages stale (publishing waits for them) except those in `together`, edited in the same save.
        """
        locale = locale or self.plan.settings.default_locale
        if locale not in self.plan.settings.locales:
            raise InvalidInput(f"'{locale}' is not a locale of the plan", "locale")
        if text is None and next_update is None:
            raise InvalidInput("give the new text, the next-update time, or both", "text")
        text = textgate.clean(text, "text") if text is not None else None
        with self.change_post(post_id, expected_version) as (work, post):
            approval.check_edit(post.status)
            self._check_ahead(next_update, work.clock)
            change: dict[str, Any] = {}
            before = post.next_update_at
            if text is not None:
                new_text = delivery.drill_labelled(text) if work.incident.is_drill else text
                which = "short_bodies" if short else "bodies"
                old = getattr(post, which).get(locale, "")
                setattr(post, which, {**getattr(post, which), locale: new_text})
                # the other languages fell behind: publishing waits until each is edited or confirmed unchanged
                post.stale_locales = stale_after_edit(
                    [loc for loc in self.plan.settings.locales if (getattr(post, which).get(loc) or "").strip()],
                    list(post.stale_locales or []), locale, old, new_text)
                post.stale_locales = [loc for loc in post.stale_locales if loc not in together]
                label = f"post {post.id} [{locale}{', short' if short else ''}]"
                change.update(locale=locale, short=short, diff=approval.text_diff(old, new_text, label))
                if next_update is None:
                    self._promise_from_text(post, locale, new_text, work.clock)
            if next_update is not None:
                # one value: the time moves in the record and in every language and channel of the text
                self._restate_promise(post, next_update, work.clock.now())
                post.promise_fixed = True
            if post.next_update_at != before:
                change.update(next_update_from=_iso(before), next_update_at=_iso(post.next_update_at))
            withdrawn = self._back_to_draft(post, actor)
            work.note("post_edited", actor, post_id=post.id, kind=post.kind, approvals_withdrawn=withdrawn, **change)
        return post

    def confirm_locale(self, post_id: int, locale: str, actor: str, expected_version: int | None = None) -> PostRow:
        """Say that the post's text in `locale` still says what the edited language says: it is no longer stale
        (the audit trail keeps who said so, and the text they confirmed)."""
        with self.change_post(post_id, expected_version) as (work, post):
            approval.check_edit(post.status)
            stale = list(post.stale_locales or [])
            if locale not in stale:
                raise InvalidInput(f"post {post.id} has no stale {locale} text"
                                   + (f"; stale: {', '.join(stale)}" if stale else ""), "locale")
            post.stale_locales = [loc for loc in stale if loc != locale]
            work.note("post_locale_confirmed", actor, post_id=post.id, kind=post.kind, locale=locale,
                      text=post.bodies.get(locale, ""))
        return post

    def redraft_post(self, post_id: int, actor: str, next_update: datetime | None = None) -> PostRow:
        """Write the post again from its templates: today's fields, a fresh next-update promise."""
        with self.change_post(post_id) as (work, post):
            approval.check_edit(post.status)
            self._check_ahead(next_update, work.clock)
            if post.kind in REQUIRED:  # its words were the responder's, not the template's: nothing to write again
                raise InvalidInput(f"a {post.kind.replace('_', ' ')} holds the responder's own words; edit its text, "
                                   "or write a new one from the inbox", "kind")
            drafted = self.render_post(work.incident, post.kind, next_update, work.clock)
            locale = self.plan.settings.default_locale
            diff = approval.text_diff(post.bodies.get(locale, ""), drafted.bodies.get(locale, ""),
                                      f"post {post.id} [{locale}]")
            post.bodies, post.short_bodies = drafted.bodies, drafted.short_bodies
            post.stale_locales = []  # every language written again from its template
            post.render_error, post.next_update_at = "\n".join(drafted.errors), drafted.promise
            post.promise_text, post.promise_fixed = drafted.promise_text, next_update is not None
            withdrawn = self._back_to_draft(post, actor)
            work.note("post_edited", actor, post_id=post.id, kind=post.kind, locale=locale, redrafted=True,
                      diff=diff, next_update_at=_iso(drafted.promise), approvals_withdrawn=withdrawn)
        return post

    def submit_post(self, post_id: int, actor: str) -> PostRow:
        """Put a draft forward for approval."""
        with self.change_post(post_id) as (work, post):
            approval.check_submit(post.status)
            if post.author in ("", SYSTEM_ACTOR):
                post.author = actor  # whoever puts a machine-drafted text forward answers for it
            post.status, post.review_comment = approval.IN_REVIEW, ""
            told = self._notify_approvers(work, post, actor)
            work.note("post_submitted", actor, post_id=post.id, kind=post.kind, approvers_told=told)
        return post

    def approve_post(self, post_id: int, actor: str) -> PostRow:
        """Approve a post in review; it is approved once the severity's policy is met."""
        with self.change_post(post_id) as (work, post):
            self._approve(work, post, actor)
        return post

    def approve_and_publish(self, post_id: int, actor: str) -> PostRow:
        """Approve a post in review and publish it in the same change, when this approval is the last the rules
        ask: one action for the approver. Refused whole (the approval too) if the post cannot go out yet."""
        with self.change_post(post_id) as (work, post):
            self._approve(work, post, actor)
            if post.status != approval.APPROVED:
                raise approval.ReviewError("this post needs another approval before it can go out: approve it, "
                                           "and the last approver publishes it")
            self._publish(work, post, actor)  # type: ignore[attr-defined]  # Publication, in the facade
        return post

    def _approve(self, work: Work, post: PostRow, actor: str) -> None:
        policy = self.policy(work.incident)
        approval.check_approve(policy, post.status, post.author, post.approvals, actor)
        post.approvals = [*post.approvals, {"by": actor, "at": work.clock.now().isoformat()}]
        if approval.approved_after(policy, post.author, post.approvals, self.required_approver(work.incident,
                                                                                              post.kind)):
            post.status = approval.APPROVED
        work.note("post_approved", actor, post_id=post.id, kind=post.kind, policy=policy,
                  approved=post.status == approval.APPROVED)

    def reject_post(self, post_id: int, actor: str, comment: str) -> PostRow:
        """Send a post back to its author with a comment; its approvals are withdrawn."""
        comment = textgate.clean(comment, "comment")
        with self.change_post(post_id) as (work, post):
            approval.check_reject(post.status, comment)
            post.status, post.approvals, post.publish_at = approval.DRAFT, [], None
            post.review_comment = comment.strip()
            work.note("post_rejected", actor, post_id=post.id, kind=post.kind, comment=comment.strip())
        return post

    def _drafted_by_hand(self, text: str, locale: str, next_update: datetime | None, work: Work) -> Drafted:
        """A hand-written (or API) text: the next-update time it promises is the time it names."""
        tz = self.plan.settings.organisation.time_zone
        found = promise.find_moment(text, tz, work.clock.now())
        if next_update is not None and (found is None or promise.disagreeing({locale: text}, next_update, tz)):
            raise InvalidInput("the text must say the next-update time you set (write it as HH:MM, e.g. "
                               f"'next update by {format_moment(next_update, locale, tz)}')", "next_update")
        body = delivery.drill_labelled(text) if work.incident.is_drill else text
        if found is None:
            return Drafted(bodies={locale: body})
        return Drafted(bodies={locale: body}, promise=next_update or found[0], promise_text={locale: found[1]})

    def _promise_from_text(self, post: PostRow, locale: str, text: str, clock: Clock) -> None:
        """An author who rewrote the time in the text moved the promise: read it back from the words."""
        said = (post.promise_text or {}).get(locale)
        if said and said in text:
            return
        found = promise.find_moment(text, self.plan.settings.organisation.time_zone, clock.now())
        if found is None:
            return  # no time left in the text: publishing says so for a post that owes one
        post.next_update_at, post.promise_fixed = found[0], True
        post.promise_text = {**(post.promise_text or {}), locale: found[1]}

    @staticmethod
    def _check_ahead(next_update: datetime | None, clock: Clock) -> None:
        if next_update is not None and next_update <= clock.now():
            raise InvalidInput("the next update must be promised for a time still ahead", "next_update")

    @staticmethod
    def _back_to_draft(post: PostRow, actor: str) -> list[str]:
        """A changed text is a new text: back to draft under its new author; returns who had approved it."""
        withdrawn = [a["by"] for a in post.approvals]
        post.author, post.approvals, post.status, post.publish_at = actor, [], approval.DRAFT, None
        return withdrawn

    def _new_post(self, work: Work, event: Event, drafted: Drafted, fixed: bool = False) -> PostRow:
        post = PostRow(incident_id=work.row.id, kind=event.payload["kind"], status=approval.DRAFT,
                       bodies=drafted.bodies, short_bodies=drafted.short_bodies, next_update_at=drafted.promise,
                       promise_text=drafted.promise_text, promise_fixed=fixed, channels={},
                       render_error="\n".join(drafted.errors), reason=event.payload.get("reason", ""),
                       author=event.actor, approvals=[], created_at=event.at, updated_at=event.at)
        work.session.add(post)
        return post

    def _draft_requested(self, work: Work) -> None:
        """Draft the posts the engine asked for, from the templates; one pending draft a kind."""
        if not work.drafts_asked:
            return
        pending = set() if work.new else set(work.session.scalars(select(PostRow.kind).where(
            PostRow.incident_id == work.row.id, PostRow.status != approval.PUBLISHED)))
        for event in work.drafts_asked:
            if event.payload["kind"] not in pending:  # the team edits the one draft, not a pile of copies
                pending.add(event.payload["kind"])
                drafted = self.render_post(work.incident, event.payload["kind"], clock=work.clock)
                told = customer_time(work.machine.runbook, work.incident, event.payload["kind"], work.clock.now())
                self._new_post(work, event, drafted, fixed=told is not None)  # the customer's time stays put

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

    def render_post(self, incident: Incident, kind: str, next_update: datetime | None = None,
                    clock: Clock | None = None, person: str | None = None,
                    words: dict[str, str] | None = None) -> Drafted:
        """The post's text (and short form) in every locale; a template error is kept, not raised.

        The text promises the next update one cadence period from now (moved to
        one period after publication when it goes out), or at `next_update` when
        the author chose the time; a final post promises none.
        A private reply greets its person: `person`, else the complainant the incident records.
        """
        runbook = self.plan.runbook(incident.runbook_id)
        now = (clock or self.clock).now()
        every = runbook.severity(incident.severity).update_every
        # a private reply names the customer's one "by when" (replies.py), else the cadence
        promised = next_update or customer_time(runbook, incident, kind, now) or now + every
        # a maintenance window's own times are its promises (engine/maintenance.py keeps them), not a cadence
        drafted = Drafted(promise=None if kind in FINAL_KINDS or runbook.maintenance is not None else promised)
        if person is None and runbook.audience(kind) == PRIVATE:
            person = addressee(incident.fields.get(COMPLAINANT, ""))
        for locale in self.plan.settings.locales:
            context = template_context(self.plan.settings, runbook, incident, locale=locale,
                                       now=now, next_update_at=promised, person=person, words=words)
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

