"""E-mail subscribers: double opt-in, one-click unsubscribe, the list."""

from __future__ import annotations

import json
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from crisisplan.errors import InvalidInput, NotFound
from crisisplan.publish import mail
from crisisplan.publish.outbox import OutboxStatus
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.models import (
    OutboxRow,
    SubscriberRow,
)


class SubscriberStatus(StrEnum):
    """A subscription: waiting for its confirmation, confirmed (gets posts), or ended."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class SubscriberCommands(UnitOfWork):
    """E-mail subscribers: signing up, confirming, leaving, and the list the comms lead manages."""

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
        self._deliverable(email)
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
                row = SubscriberRow(email=email, components=sorted(set(components)), locale=locale,
                                    status=SubscriberStatus.PENDING, token=secrets.token_urlsafe(24), created_at=now)
                session.add(row)
                session.flush()
            elif row.status == SubscriberStatus.CONFIRMED:
                return row  # already getting them; say nothing more than to anybody else
            else:
                if row.status == SubscriberStatus.UNSUBSCRIBED:
                    row.token = secrets.token_urlsafe(24)  # old links stay dead
                row.status, row.components, row.locale = SubscriberStatus.PENDING, sorted(set(components)), locale
                if row.confirmation_sent_at and now - row.confirmation_sent_at < timedelta(minutes=10):
                    return row
            row.confirmation_sent_at = now
            session.add(OutboxRow(post_id=None, channel="email:confirm", target=email,
                                  payload=json.dumps({"subscriber": row.id, "locale": locale, "token": row.token,
                                                      "components": row.components}),
                                  idempotency_key=f"confirm-{row.id}-{int(now.timestamp())}",
                                  status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now, log=[]))
            return row

    def _deliverable(self, email: str) -> None:
        """Refuse now an address our SMTP server could never take, rather than fail each message later: a domain
        that has no IDNA form, or a name before the @ beyond ASCII when the server does not offer SMTPUTF8."""
        try:
            mail.envelope_address(email, smtputf8=True)
        except mail.Undeliverable as error:
            raise InvalidInput(str(error), field="email") from None
        if not email.rpartition("@")[0].isascii() and mail.offers_smtputf8(self.plan.settings) is False:
            raise InvalidInput(f"'{email[:80]}' has characters beyond ASCII before the @, which our mail server "
                               "cannot deliver (it does not offer SMTPUTF8); please use another address",
                               field="email")

    def _subscriber_by_token(self, session: Any, token: str) -> SubscriberRow:
        row = session.scalars(select(SubscriberRow).where(SubscriberRow.token == token)).one_or_none()
        if row is None or not token:
            raise NotFound("this link is not valid any more; subscribe again from the status page")
        return row

    def subscriber(self, token: str) -> SubscriberRow:
        """The subscription a link belongs to; a link that is not valid any more is refused."""
        with self.db.read() as session:
            return self._subscriber_by_token(session, token)

    def confirm_subscription(self, token: str) -> SubscriberRow:
        """Confirm a subscription from the link in its e-mail, so posts start coming; confirming twice is fine."""
        with self.db.write() as session:
            row = self._subscriber_by_token(session, token)
            if row.status == SubscriberStatus.UNSUBSCRIBED:
                raise NotFound("this address left the list; subscribe again from the status page")
            if row.status == SubscriberStatus.PENDING:
                row.status, row.confirmed_at = SubscriberStatus.CONFIRMED, self.clock.now()
            return row

    def unsubscribe(self, token: str) -> SubscriberRow:
        """One click, no login: the token in the link is the proof. Leaving twice is fine."""
        with self.db.write() as session:
            row = self._subscriber_by_token(session, token)
            if row.status != SubscriberStatus.UNSUBSCRIBED:
                row.status, row.unsubscribed_at = SubscriberStatus.UNSUBSCRIBED, self.clock.now()
            return row

    def remove_subscriber(self, subscriber_id: int, actor: str) -> SubscriberRow:
        """Take someone off the list by hand: they get no more posts (the admin chain keeps who did it)."""
        with self.db.write() as session:
            row = session.get(SubscriberRow, subscriber_id)
            if row is None:
                raise NotFound(f"no subscriber {subscriber_id}")
            # the subscriber's id only: an address is personal data, and the chain can never forget it
            note_admin_in(session, self.db, self.clock.now(), actor, "subscriber_removed", {"subscriber": row.id})
            if row.status != SubscriberStatus.UNSUBSCRIBED:
                row.status, row.unsubscribed_at = SubscriberStatus.UNSUBSCRIBED, self.clock.now()
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

