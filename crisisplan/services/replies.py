"""Private replies: who the one person behind a complaints incident is, how a private post reaches them, and the
one time they were told (the customer's "by when")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crisisplan.comms import approval
from crisisplan.comms.audience import PRIVATE, reply_address
from crisisplan.comms.email import reply_subject
from crisisplan.comms.markdown import to_text
from crisisplan.engine import Incident
from crisisplan.plan.schema import Runbook
from crisisplan.services.connector_outbox import answers_in_thread
from crisisplan.services.unit import UnitOfWork
from crisisplan.signals import SignalAction
from crisisplan.store.models import OutboxRow, PostRow, SignalRow

# the incident field that holds the customer's "by when" (ISO 8601): what every reply to them names
ANSWER_BY = "answer_by"
# the private incident field that holds who complained (their name, handle or address): never named in public
COMPLAINANT = "complainant"


@dataclass(frozen=True)
class Complainant:
    """The person a private post answers: the complaint that declared the incident (else its first one)."""

    signal_id: int
    channel: str
    author: str
    address: str | None  # an e-mail address to reply to, when they wrote from one
    locale: str
    subject: str
    thread: dict[str, Any] = field(default_factory=dict)  # their e-mail's Message-ID and References, when known


def complainant(session: Any, incident_id: int, signal_id: int | None = None) -> Complainant | None:
    """The one person behind an incident born of a complaint; None when no complaint belongs to it. A reply
    written from the inbox names its complaint (`signal_id`): its person, whoever declared the incident."""
    if signal_id is not None:
        rows = [r for r in (session.get(SignalRow, signal_id),) if r is not None]
    else:
        rows = list(session.scalars(select(SignalRow).where(
            SignalRow.incident_id == incident_id, SignalRow.source == "complaint").order_by(SignalRow.id)))
    row = next((r for r in rows if r.action == SignalAction.DECLARED), rows[0] if rows else None)
    if row is None:
        return None
    data = row.data or {}
    channel, author = str(data.get("channel", "")), str(data.get("author", ""))
    locale = str(data.get("reply_locale") or (data.get("triage") or {}).get("locale") or "")
    thread = data.get("thread") if isinstance(data.get("thread"), dict) else {}
    subject = reply_subject(str(thread.get("subject") or row.title[:70]))
    return Complainant(row.id, channel, author, reply_address(channel, author), locale, subject, thread)


def answer_by(incident: Incident) -> datetime | None:
    """The time the customer was told they hear from us by, when the complaint's triage set one."""
    value = (incident.fields.get(ANSWER_BY) or "").strip()
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def customer_time(runbook: Runbook, incident: Incident, kind: str, now: datetime) -> datetime | None:
    """The time a private reply of this kind promises: the customer's "by when" while it is still ahead (after it,
    the next reply takes the runbook's cadence like any post); None for other posts."""
    told = answer_by(incident) if runbook.audience(kind) == PRIVATE else None
    return told if told is not None and told > now else None


class ReplyReads(UnitOfWork):
    """How a private post reaches its one person, for the post page and the CLI."""

    def private_delivery(self, post: PostRow) -> dict[str, Any] | None:
        """None for a post that is not private; else to whom and how: `email` (an outbox row to their address,
        with its status) or `by_hand` (the text to copy and send on their channel)."""
        with self.db.read() as session:
            incident = self.incident(post.incident_id)
            if self.plan.runbook(incident.runbook_id).audience(post.kind) != PRIVATE:
                return None
            person = complainant(session, post.incident_id, post.signal_id)
            messages = list(session.scalars(select(OutboxRow).where(
                OutboxRow.post_id == post.id, OutboxRow.channel.in_(("email:reply", "bluesky:reply")))))
            in_thread = person is not None and answers_in_thread(session, self.plan.settings, post, person.signal_id)
            return self.private_of(post, person, messages, in_thread)

    def private_of(self, post: PostRow, person: Complainant | None, messages: list[OutboxRow],
                   in_thread: bool = False) -> dict[str, Any]:
        """`private_delivery` of a private post from rows already read: its complainant and its outbox rows
        (`in_thread`: publishing answers them in public under their Bluesky post, in the post's short words)."""
        locale = person.locale if person and person.locale in post.bodies else self.plan.settings.default_locale
        text = to_text(post.bodies.get(locale) or next(iter(post.bodies.values()), ""))
        found = {"text": text, "locale": locale, "channel": person.channel if person else "",
                 "to": (person.address or person.author) if person else "", "how": "by_hand", "status": ""}
        thread_row = next((m for m in messages if m.channel == "bluesky:reply"), None)
        if person and (in_thread or thread_row):
            short = (post.short_bodies or {}).get(locale)
            found.update(how="bluesky", text=to_text(short) if short else text,
                         status=thread_row.status if thread_row and post.status == approval.PUBLISHED else "")
        elif person and person.address:
            found["how"] = "email"
            if post.status == approval.PUBLISHED:
                row = next((m for m in messages if m.channel == "email:reply"), None)
                found["status"] = row.status if row else ""
        return found

    def customer_times(self, rows: list[SignalRow]) -> dict[int, dict[str, Any]]:
        """For each complaint that told its customer a time: `at` (that time) and `state`: `on_track`, `missed` (the
        incident's promise broke, or the time passed before any reply went out) or `passed` (no incident tracks
        it, and the time is gone: answer now)."""
        now, found, views = self.clock.now(), {}, {}
        for row in rows:
            told = (row.data or {}).get("answer_by")
            if row.source != "complaint" or not told:
                continue
            at = datetime.fromisoformat(told)
            state = "on_track" if at > now else "passed"
            if row.incident_id:
                if row.incident_id not in views:
                    views[row.incident_id] = (self.get(row.incident_id), self.incident(row.incident_id))
                view, incident = views[row.incident_id]
                replied = any(self.plan.runbook(incident.runbook_id).audience(k) == PRIVATE
                              for k in incident.published)
                if view.promise == "broken" or (at <= now and not replied):
                    state = "missed"
                elif at <= now:
                    state = "kept"
            found[row.id] = {"at": at, "state": state}
        return found

