"""The outbox as people see it: counts, the messages with their attempts, dead letters, retry, delivery."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from crisisplan.comms import approval
from crisisplan.comms.audience import PUBLIC
from crisisplan.comms.channels import CHANNELS, render
from crisisplan.comms.delivery import PRIMARY, text_for
from crisisplan.engine import Incident
from crisisplan.errors import NotFound
from crisisplan.publish import outbox
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.models import OutboxRow, PostRow

# what each delivery state means: the only words the CLI and the console use for a published post's channels
PUBLISHED, NOT_CONNECTED, QUEUED, DELIVERED, FAILED, WITHHELD = (
    "published", "not connected", "queued", "delivered", "failed", "withheld")
NO_CONNECTOR = {"sms": "nothing in crisisplan sends SMS", "social_short": "no social network is connected",
                "social_long": "no social network is connected"}


@dataclass(frozen=True)
class ChannelDelivery:
    """Where one channel of a published post stands, told as it is: published (the status page), not connected
    (nothing sends it: `text` is for copying by hand), queued, delivered, failed (with the reason), or withheld
    (a finding kept it off that channel)."""

    channel: str  # a channel of comms.channels, or "webhook:<name>" for a JSON webhook
    label: str
    state: str
    detail: str  # one line that says it, for people
    total: int = 0  # messages owed on this channel
    delivered: int = 0
    queued: int = 0
    failed: int = 0
    delivered_at: datetime | None = None  # the last one delivered
    reason: str = ""  # why it failed, or why it is withheld
    retry_ids: tuple[int, ...] = ()  # the failed messages (`crisisplan outbox retry ID`)
    text: str = ""  # not connected: the text to copy and send by hand

    def as_dict(self) -> dict[str, object]:
        """For `--json`."""
        return {"channel": self.channel, "label": self.label, "state": self.state, "detail": self.detail,
                "total": self.total, "delivered": self.delivered, "queued": self.queued, "failed": self.failed,
                "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
                "reason": self.reason, "retry": list(self.retry_ids), **({"text": self.text} if self.text else {})}


def _moment(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else ""


def _state_of(channel: str, label: str, rows: list[OutboxRow]) -> ChannelDelivery:
    """The one state of a channel's messages: failed if any failed, else queued if any wait, else delivered."""
    done = [r for r in rows if r.status == outbox.OutboxStatus.DELIVERED]
    dead = [r for r in rows if r.status == outbox.OutboxStatus.DEAD]
    retrying = [r for r in rows if r.status == outbox.OutboxStatus.PENDING and r.attempts]
    waiting = [r for r in rows if r.status == outbox.OutboxStatus.PENDING and not r.attempts]
    last = max((r.delivered_at for r in done if r.delivered_at), default=None)
    counts = {"total": len(rows), "delivered": len(done), "queued": len(waiting) + len(retrying),
              "failed": len(dead) + len(retrying), "delivered_at": last}
    of = f"{len(done)} of {len(rows)} delivered"
    if dead or retrying:
        failing = (dead or retrying)[-1]
        reason = failing.log[-1]["result"] if failing.log else "not delivered"
        then = (f"given up on {len(dead)}: retry" if dead else
                f"trying again from {_moment(min(r.next_attempt_at for r in retrying))}")
        return ChannelDelivery(channel, label, FAILED, f"failed: {reason} ({of}; {then})", reason=reason,
                               retry_ids=tuple(r.id for r in dead + retrying), **counts)
    if waiting:
        return ChannelDelivery(channel, label, QUEUED, f"queued: {len(waiting)} message(s) waiting ({of})", **counts)
    return ChannelDelivery(channel, label, DELIVERED, f"delivered to {len(done)} at {_moment(last)}", **counts)


class OutboxCommands(UnitOfWork):
    """The outbox: what is owed, what was delivered, the dead letters."""

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

    def outbox_messages(self, status: str | None = None) -> list[OutboxRow]:
        """Every message owed to a webhook or a subscriber, oldest first, with its delivery attempts (one status
        only if given: pending, delivered or dead)."""
        with self.db.read() as session:
            query = select(OutboxRow).order_by(OutboxRow.id)
            return list(session.scalars(query.where(OutboxRow.status == status) if status else query))

    def retry_message(self, message_id: int) -> None:
        """Put a dead message back in the queue, to be tried again from now."""
        outbox.retry(self.db, message_id, self.clock.now())

    def deliver_due(self, *, lease: timedelta | None = None, stopping: Callable[[], bool] = lambda: False,
                    limit: int = 200) -> outbox.Result:
        """Deliver one batch of due messages (webhooks, e-mails): delivered, retried later, or dead."""
        return outbox.deliver_due(self.db, self.plan.settings, self.clock.now(), lease=lease or outbox.LEASE,
                                  stopping=stopping, limit=limit)

    def post_delivery(self, post_id: int) -> list[ChannelDelivery]:
        """Each channel of a published public post as it is, from its outbox messages and the plan's webhooks:
        the status page published; e-mail, chat and each JSON webhook queued, delivered or failed; a channel
        nothing sends (SMS, social networks, chat without a webhook, e-mail without subscribers) not connected,
        with the text to copy. Empty for a post not published, or not public (it goes on no public channel)."""
        with self.db.read() as session:
            post = session.get(PostRow, post_id)
            if post is None:
                raise NotFound(f"no post {post_id}; `crisisplan posts INCIDENT` lists them")
            session.expunge(post)
        incident = self.incident(post.incident_id)
        if post.status != approval.PUBLISHED or self.plan.runbook(incident.runbook_id).audience(post.kind) != PUBLIC:
            return []
        with self.db.read() as session:
            rows = list(session.scalars(select(OutboxRow).where(OutboxRow.post_id == post_id).order_by(OutboxRow.id)))
            session.expunge_all()
        return self.delivery_of(post, incident, rows)

    def delivery_of(self, post: PostRow, incident: Incident, messages: list[OutboxRow]) -> list[ChannelDelivery]:
        """`post_delivery` from rows already read: the post, its incident and every outbox row of the post."""
        settings = self.plan.settings
        if post.status != approval.PUBLISHED or self.plan.runbook(incident.runbook_id).audience(post.kind) != PUBLIC:
            return []
        owed = (f"post-{post.id}-webhook-", f"post-{post.id}-subscriber-", f"post-{post.id}-bluesky-post")
        rows = [r for r in messages if r.idempotency_key.startswith(owed)]
        withheld = dict(post.channels or {})
        locale = settings.default_locale
        by_channel = {name: [r for r in rows if r.channel == name] for name in {r.channel for r in rows}}
        chat_hooks = [h for h in settings.webhooks if h.format == "slack" and (h.drills or not incident.is_drill)]
        result = []
        for channel, spec in CHANNELS.items():
            text = render(text_for(post.bodies, post.short_bodies or {}, locale, channel), channel).text
            if channel == PRIMARY:
                result.append(ChannelDelivery(channel, spec.label, PUBLISHED,
                                              f"published on the status page at {_moment(post.published_at)}"))
                continue
            if withheld.get(channel):
                result.append(ChannelDelivery(channel, spec.label, WITHHELD, f"withheld: {withheld[channel]}",
                                              reason=withheld[channel]))
                continue
            mine = (by_channel.get("email:post", []) if channel == "email" else
                    [r for h in chat_hooks for r in by_channel.get(f"webhook:{h.name}", [])] if channel == "chat"
                    else by_channel.get("bluesky:post", []) if channel == "social_short" else [])
            if mine:
                result.append(_state_of(channel, spec.label, mine))
                continue
            why = NO_CONNECTOR.get(channel) or {
                "email": "no confirmed subscriber to send it to" if not incident.is_drill else
                "a drill goes to no subscriber",
                "chat": "no chat webhook in plan.yaml"}.get(channel, "nothing sends it")
            result.append(ChannelDelivery(channel, spec.label, NOT_CONNECTED,
                                          f"not connected: {why}; copy the text and post it by hand", text=text))
        for hook in settings.webhooks:
            mine = by_channel.get(f"webhook:{hook.name}", [])
            if hook.format == "json" and mine:
                result.append(_state_of(f"webhook:{hook.name}", f"Webhook {hook.name}", mine))
        return result

    def retry_delivery(self, post_id: int, channel: str) -> list[int]:
        """Put every failed message of one channel of a post back in the queue, from now; returns their ids."""
        ids = next((list(c.retry_ids) for c in self.post_delivery(post_id) if c.channel == channel), [])
        for message_id in ids:
            outbox.retry(self.db, message_id, self.clock.now())
        return ids
