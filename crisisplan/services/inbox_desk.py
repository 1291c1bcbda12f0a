"""The inbox: complaints by channel with who has each, the time left to the channel's promised first answer, the
replies written to them (private posts on the complaint's incident, through the post review flow), and after
resolution the customer's own answer to "is it fixed?"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select

from crisisplan import textgate
from crisisplan.comms import approval
from crisisplan.comms.audience import PRIVATE
from crisisplan.comms.reply_words import addressee, words_for
from crisisplan.duration import spoken_duration
from crisisplan.errors import InvalidInput, NotFound
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.replies import ANSWER_BY, COMPLAINANT
from crisisplan.services.unit import UnitOfWork
from crisisplan.signals import SignalAction
from crisisplan.signals.inbox import TopicWeeks, fix_verdict, topic_weeks
from crisisplan.signals.promise import channel_first_answer
from crisisplan.store.models import IncidentRow, OutboxRow, PostRow, SignalRow, UserRow

FIX_CHECK = "fix_check"  # the private post that asks whether it is fixed (complaints runbook, timer ask_fixed)
ANSWERS = ("fixed", "not_fixed", "unclear")  # unclear: they answered, in words the team reads
LISTED = 300  # the newest complaints the page shows; filters narrow these
STATES = ("unanswered", "answered", "all")
RESPONSIVENESS_KEPT = timedelta(seconds=60)


@dataclass
class InboxItem:
    """One complaint as the inbox shows it."""

    signal: SignalRow
    name: str | None  # how a reply greets them
    due: datetime  # the first answer as the customer was told it (else the channel's promise, in staffed hours)
    response: timedelta | None  # that promise, as the plan says it (None: the channel is not in the plan)
    answered_at: datetime | None  # when the first reply reached them: delivered, or published to send by hand
    replies: list[dict[str, Any]] = field(default_factory=list)  # {id, kind, status, published_at}
    asked_fixed_at: datetime | None = None  # when "is it fixed?" went out to them
    kinds: list[str] = field(default_factory=list)  # the private replies that can go out from its incident's state

    @property
    def trolling(self) -> bool:
        """Judged trolling (the team's override first): the plan says not to feed it, so no answer is due."""
        data = self.signal.data or {}
        judged = (data.get("override") or {}).get("legitimacy") or (data.get("triage") or {}).get("legitimacy")
        return judged == "trolling"

    @property
    def waiting(self) -> bool:
        """Owed an answer and not answered yet."""
        return self.answered_at is None and not self.trolling

    @property
    def promise(self) -> str:
        """The channel's first-answer promise in words."""
        return spoken_duration(self.response) if self.response else "4 h (the channel is not in the plan)"

    @property
    def owner(self) -> str:
        """Who has it ("" for nobody)."""
        return str((self.signal.data.get("owner") or {}).get("name", ""))

    @property
    def fix(self) -> dict[str, Any]:
        """Their answer to "is it fixed?": answer, note, by, via, at (empty until they answer)."""
        return self.signal.data.get("fix") or {}


@dataclass
class InboxPage:
    """The inbox page's figures, read in three statements whatever the number of complaints."""

    items: list[InboxItem]
    channels: list[str]
    topics: list[TopicWeeks]
    shown: int  # complaints read before the filters
    filters: dict[str, str]
    responsiveness: list[dict[str, Any]]  # per channel, the last 30 days (ResponsivenessReads)


class InboxDesk(UnitOfWork):
    """Who has each complaint, the replies to it, and whether the customer says it is fixed."""

    def inbox(self, channel: str = "", state: str = "unanswered", owner: str = "", topic: str = "",
              me: str = "") -> InboxPage:
        """The complaints, newest first, filtered by channel, state (unanswered, answered, all), owner (a name,
        `me`, or `nobody`) and topic; with the topics of the last 7 days against the 7 before."""
        state = state if state in STATES else "unanswered"
        now = self.clock.now()
        with self.db.read() as session:
            # 1: the newest complaints, each with its incident's state and posts (a row a post)
            newest = select(SignalRow.id).where(SignalRow.source == "complaint").order_by(SignalRow.id.desc()) \
                .limit(LISTED)
            joined = session.execute(
                select(SignalRow, IncidentRow.runbook_id, IncidentRow.state, PostRow.id, PostRow.kind, PostRow.status,
                       PostRow.published_at, PostRow.signal_id, OutboxRow.status, OutboxRow.delivered_at)
                .outerjoin(IncidentRow, IncidentRow.id == SignalRow.incident_id)
                .outerjoin(PostRow, PostRow.incident_id == SignalRow.incident_id)
                .outerjoin(OutboxRow, and_(OutboxRow.post_id == PostRow.id, OutboxRow.channel.like("%:reply")))
                .where(SignalRow.id.in_(newest)).order_by(SignalRow.id.desc(), PostRow.id)).all()
            # 2: the complaints of the last 30 days: the topics week on week, and responsiveness's own input
            recent = self.recent_complaints(session, 30, now)
            kept = self.__dict__.get("_inbox_responsiveness")
            if kept is None or not timedelta(0) <= now - kept[0] < RESPONSIVENESS_KEPT:
                # a 30-day aggregate: read again (its own statements) at most once a minute, as the status page is
                kept = self.__dict__["_inbox_responsiveness"] = (now, self.responsiveness_in(session, recent, now))
            responsiveness = kept[1]
            session.expunge_all()
        rows: dict[int, list[Any]] = {}
        for found in joined:
            rows.setdefault(found[0].id, []).append(found)
        # an incident's posts written before the inbox named complaints answer the complaint that declared it, else
        # its first one (as responsiveness counts them)
        first: dict[int, int] = {}
        declared: dict[int, int] = {}
        for signal_id in sorted(rows):
            signal = rows[signal_id][0][0]
            if signal.incident_id:
                first.setdefault(signal.incident_id, signal_id)
                if signal.action == SignalAction.DECLARED:
                    declared.setdefault(signal.incident_id, signal_id)
        declaring = {**first, **declared}
        items = [self._item(found, declaring) for found in rows.values()]
        who = me if owner == "me" else owner

        def keep(item: InboxItem) -> bool:
            data = item.signal.data
            return ((not channel or data.get("channel") == channel)
                    and (state == "all" or (item.waiting if state == "unanswered" else item.answered_at is not None))
                    and (not owner or (item.owner == "" if owner == "nobody" else item.owner == who))
                    and (not topic or item.signal.group_key == f"topic:{topic}"))

        labels = {c.name: c.label for c in self.plan.settings.components}
        moments = [(at, str((data or {}).get("triage", {}).get("topic", "general"))) for _, at, data, drill in recent
                   if not drill]  # a drill's complaints are no pattern of ours
        topics = [TopicWeeks(labels.get(t.topic, t.topic), t.this_week, t.last_week)
                  for t in topic_weeks(moments, now)]
        channels = sorted({str(i.signal.data.get("channel", "")) for i in items}
                          | {c.name for c in self.plan.settings.support})
        return InboxPage([i for i in items if keep(i)], channels, topics, len(rows),
                         {"channel": channel, "state": state, "owner": owner, "topic": topic}, responsiveness)

    def _item(self, found: list[Any], declaring: dict[int, int]) -> InboxItem:
        """A complaint with its replies, from its rows (signal, runbook, state, then one post a row): the private
        posts written to it (or, written before the inbox named complaints, to the one that declared its
        incident)."""
        row = found[0][0]
        data = row.data or {}
        support = {c.name: c.response for c in self.plan.settings.support}
        response = support.get(str(data.get("channel", "")))
        # the time the customer was told (their holding reply or escalation), else the channel's promise counted
        # the same way: the countdown never disagrees with what they read
        told = data.get(ANSWER_BY)
        due = (datetime.fromisoformat(str(told)) if told
               else channel_first_answer(self.plan.settings, str(data.get("channel", "")), row.at))
        item = InboxItem(row, addressee(str(data.get("author", "")), _display_name(data)), due, response, None)
        runbook = self.plan.runbook(found[0].runbook_id or self.plan.settings.signals.complaints.runbook)
        state = found[0].state or runbook.initial  # a reply declares its incident: it starts there
        for _, _, _, post_id, kind, status, published_at, signal_id, sending, delivered_at in found:
            mine = signal_id == row.id or (signal_id is None and declaring.get(row.incident_id) == row.id)
            if post_id is None or not mine or runbook.audience(kind) != PRIVATE:
                continue
            # it reached them when the outbox delivered it (as responsiveness counts); a reply with no outbox row
            # is sent by hand from the post page, and its publication is all the record knows
            out = None if status != approval.PUBLISHED else published_at if sending is None else delivered_at
            item.replies.append({"id": post_id, "kind": kind, "status": status, "published_at": published_at,
                                 "sending": sending or ("by hand" if status == approval.PUBLISHED else ""),
                                 "reached": out})
            if out is not None:
                if item.answered_at is None or out < item.answered_at:
                    item.answered_at = out
                if kind == FIX_CHECK:
                    item.asked_fixed_at = out
        # the kinds of reply that can go out to them from where their case stands (the runbook says)
        item.kinds = [k for k, audience in runbook.audiences.items()
                      if audience == PRIVATE and state in runbook.publishable_in(k)]
        return item

    def responders(self) -> list[str]:
        """The names of the people a complaint can be handed to: everyone active who may respond."""
        with self.db.read() as session:
            return sorted(name for name, role in session.execute(
                select(UserRow.name, UserRow.role).where(UserRow.active.is_(True))) if role != "viewer")

    def take_signal(self, signal_id: int, actor: str, owner: str | None = None) -> SignalRow:
        """Who has this complaint: `actor` takes it, or hands it to `owner` (a person who may respond; "" gives it
        back to nobody). Recorded in the audit trail."""
        owner = actor if owner is None else textgate.clean(owner, "owner", 200, one_line=True).strip()
        with self.db.write() as session:
            row = _complaint_row(session, signal_id)
            if owner:
                person = session.scalars(select(UserRow).where(UserRow.name == owner, UserRow.active.is_(True))).first()
                if person is None or person.role == "viewer":
                    raise InvalidInput(f"'{owner}' is nobody who may answer complaints (a responder or above)",
                                       field="owner")
            before = (row.data.get("owner") or {}).get("name", "")
            now = self.clock.now()
            note_admin_in(session, self.db, now, actor, "complaint_owner",
                          {"signal": row.id, "owner": owner, "before": before})
            row.data = {**row.data, "owner": {"name": owner, "by": actor, "at": now.isoformat()} if owner else {}}
            return row

    def reply_to_signal(self, signal_id: int, kind: str, actor: str, text: str | None = None,
                        words: dict[str, str] | None = None) -> PostRow:
        """Draft a private reply to one complaint, addressed to its person by name: a post of a private kind on the
        complaint's incident (declared now on the complaints runbook when it has none), reviewed and published
        like every post. A kind that needs the responder's own words (a refusal: reason and alternative) is
        refused without them, naming the field. All or nothing: a refused reply declares nothing."""
        text = textgate.clean(text, "text") if text is not None and text.strip() else None
        with self.db.read() as session:
            row = _complaint_row(session, signal_id)
            runbook_id = session.scalar(select(IncidentRow.runbook_id).where(IncidentRow.id == row.incident_id)) \
                if row.incident_id else self.plan.settings.signals.complaints.runbook
            session.expunge(row)
        runbook = self.plan.runbook(runbook_id)
        private = sorted(k for k, audience in runbook.audiences.items() if audience == PRIVATE)
        if kind not in private:
            where = f"incident {row.incident_id} ({runbook.title})" if row.incident_id else runbook.title
            raise InvalidInput(f"a reply to one person is one of {', '.join(private) or 'no kind'} on {where}; "
                               f"'{kind}' is not", field="kind")
        words = words_for(kind, words) if text is None else {}
        data = row.data or {}
        person = addressee(str(data.get("author", "")), _display_name(data))
        locale = str(data.get("reply_locale") or (data.get("triage") or {}).get("locale") or "")
        locale = locale if locale in self.plan.settings.locales else self.plan.settings.default_locale
        args = (kind, actor, text, locale, None, "", words, signal_id, person)
        if row.incident_id:
            with self.change(row.incident_id) as work:
                post = _in_their_language(self._draft_in(work, *args), locale, words)
                self._own(work.session, signal_id, actor, work.clock.now())
            return post
        declared = self._declare_for(runbook_id, row)
        with self.declaring(declared, self.clock) as work:
            signal = work.session.get(SignalRow, signal_id)
            signal.incident_id, signal.action = work.row.id, SignalAction.DECLARED
            work.note("complaint_attached", actor, signal=signal_id, channel=data.get("channel", ""),
                      author=data.get("author", ""), reach=data.get("reach", 0), reason="a reply from the inbox")
            # the declaration drafted this kind already (the holding reply): that draft is the reply, greeting them
            # by the name the inbox knows (a display name the incident does not hold)
            post = next((p for p in work.session.scalars(select(PostRow).where(
                PostRow.incident_id == work.row.id, PostRow.kind == kind)) if text is None), None)
            if post is None:
                post = self._draft_in(work, *args)
            else:
                again = self.render_post(work.incident, kind, None, work.clock, person, words)
                post.bodies, post.short_bodies, post.signal_id = again.bodies, again.short_bodies, signal_id
                work.note("post_drafted", actor, kind=kind, reason="the reply to a complaint", post_id=post.id,
                          signal=signal_id)
            _in_their_language(post, locale, words)
            self._own(work.session, signal_id, actor, work.clock.now())
        return post

    def _declare_for(self, runbook_id: str, row: SignalRow) -> Any:
        """The engine's declaration of one person's complaint, as triage would have declared it."""
        data, settings = row.data or {}, self.plan.settings
        runbook = self.plan.runbook(runbook_id)
        triage = data.get("triage") or {}
        severity = str((data.get("proposal") or {}).get("severity") or runbook.severities[-1].name)
        author = str(data.get("author", "")).strip()
        fields = {"assessment": "; ".join(triage.get("reasons", [])) or "answered from the inbox"}
        if author:
            fields[COMPLAINANT] = author
        if data.get(ANSWER_BY):
            fields[ANSWER_BY] = str(data[ANSWER_BY])
        labels = {c.name: c.label for c in settings.components}
        topic = str(triage.get("topic", "general"))
        if topic in labels:
            fields["topic"] = labels[topic]
        title = f"Complaint on {data.get('channel', '?')} from {author or 'someone'} ({int(data.get('reach', 0)):,} " \
                "followers)"
        return self.machine(runbook_id).declare(self.clock, severity=severity, title=title, actor="inbox",
                                                components=[topic] if topic in labels else [], fields=fields)

    def _own(self, session: Any, signal_id: int, actor: str, now: datetime) -> None:
        """Whoever answers a complaint nobody had takes it (kept with the complaint; the reply is in the chain)."""
        signal = session.get(SignalRow, signal_id)
        if not (signal.data.get("owner") or {}).get("name"):
            signal.data = {**signal.data, "owner": {"name": actor, "by": actor, "at": now.isoformat()}}

    def record_fix_answer(self, signal_id: int, answer: str, actor: str, note: str = "",
                          via: str = "console") -> SignalRow:
        """The customer's answer to "is it fixed?" (`fixed`, `not_fixed` or `unclear`, their words in `note`), kept with
        their complaint and in its incident's audit chain."""
        if answer not in ANSWERS:
            raise InvalidInput(f"the answer is {' or '.join(ANSWERS)}", field="answer")
        note = textgate.clean(note, "note").strip()
        with self.db.read() as session:
            incident_id = _complaint_row(session, signal_id).incident_id
        if not incident_id:
            raise InvalidInput(f"complaint {signal_id} has no incident, so nobody asked whether it is fixed",
                               field="answer")
        with self.change(incident_id) as work:
            row = work.session.get(SignalRow, signal_id)
            now = work.clock.now()
            work.note("fix_answered", actor, signal=signal_id, answer=answer, via=via, note=note)
            row.data = {**row.data, "fix": {"answer": answer, "note": note, "by": actor, "via": via,
                                            "at": now.isoformat()}}
        return row

    def _fix_checks_asked(self) -> dict[int, datetime]:
        """The incidents whose "is it fixed?" question went out, and when."""
        with self.db.read() as session:
            return dict(session.execute(
                select(PostRow.incident_id, PostRow.published_at).where(
                    PostRow.kind == FIX_CHECK, PostRow.status == approval.PUBLISHED)).all())

    def _fix_answer_from(self, signal_id: int, asked: dict[int, datetime]) -> None:
        """A complaint from someone who was asked whether it is fixed (`asked`: `_fix_checks_asked`), on the same
        channel (and thread, when both know theirs), after they were asked and before they answered: their words
        are the answer."""
        if not asked:
            return
        with self.db.read() as session:
            new = session.get(SignalRow, signal_id)
            earlier = list(session.scalars(select(SignalRow).where(
                SignalRow.source == "complaint", SignalRow.incident_id.in_(asked), SignalRow.id != signal_id)
                .order_by(SignalRow.id.desc())))
        data = new.data or {}
        for row in earlier:
            old = row.data or {}
            if (old.get("channel") != data.get("channel") or old.get("author") != data.get("author")
                    or old.get("fix") or asked[row.incident_id] > new.at or not _same_thread(old, data)):
                continue
            locale = str((data.get("triage") or {}).get("locale") or "en")
            verdict = fix_verdict(str(data.get("text", "")), locale)  # unclear: the team reads it and says
            self.record_fix_answer(row.id, verdict, "inbox", str(data.get("text", ""))[:500], via=f"signal {signal_id}")
            return


def _in_their_language(post: PostRow, locale: str, words: dict[str, str]) -> PostRow:
    """A reply with the responder's own words (a refusal's reason and alternative) only in the language of the one
    person it goes to: those words are in one language, and the other templates would wrap them in another."""
    if words and locale in post.bodies:
        post.bodies = {locale: post.bodies[locale]}
        post.short_bodies = {k: v for k, v in (post.short_bodies or {}).items() if k == locale}
        post.promise_text = {k: v for k, v in (post.promise_text or {}).items() if k == locale}
    return post


def _complaint_row(session: Any, signal_id: int) -> SignalRow:
    row = session.get(SignalRow, signal_id)
    if row is None or row.source != "complaint":
        raise NotFound(f"no complaint {signal_id}")
    return row


def _display_name(data: dict[str, Any]) -> str:
    """The author's display name, when the connector that brought the complaint knew it."""
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    return str(data.get("author_name") or extra.get("author_name") or "")


def _same_thread(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two complaints are in one conversation, as far as their connectors say: the same thread root when
    both name one (a Bluesky root post, an e-mail's first Message-ID); otherwise the same person is enough."""
    def root(data: dict[str, Any]) -> str:
        thread = data.get("thread") or (data.get("extra") or {}).get("thread") or {}
        found = (thread.get("root") or thread.get("root_uri") or "") if isinstance(thread, dict) else ""
        return str(found.get("uri", "") if isinstance(found, dict) else found)  # Bluesky's {uri, cid}: the uri

    return not (root(old) and root(new)) or root(old) == root(new)
