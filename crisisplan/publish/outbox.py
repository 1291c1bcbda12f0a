"""Deliver the outbox: claim due messages, send them, retry with backoff, give up into the dead letters.

A claim is a short lease (`locked_until`): a worker that dies mid-send leaves the
message to be claimed again when the lease runs out, and the idempotency key
lets the receiver drop the repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update

from crisisplan.plan.schema import PlanSettings
from crisisplan.publish import connectors
from crisisplan.publish.mail import Mailer
from crisisplan.store.db import Database
from crisisplan.store.models import OutboxRow


class OutboxStatus(StrEnum):
    """A message's state: waiting (or retrying), delivered, or given up on (a dead letter)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


LEASE = timedelta(seconds=60)
TIMEOUT_S = 10
FIRST_RETRY, LONGEST_RETRY = timedelta(seconds=5), timedelta(hours=1)


@dataclass
class Result:
    delivered: int = 0
    retried: int = 0
    dead: int = 0


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … up to an hour, with a tenth of jitter so retries do not march in step."""
    # the exponent stops growing long after the cap is reached: 5 s * 2^59 would overflow a timedelta
    delay = min(FIRST_RETRY * 2 ** min(max(0, attempts - 1), 20), LONGEST_RETRY)
    return delay * (1 + random.uniform(0, 0.1))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def claim(db: Database, now: datetime, limit: int = 200, lease: timedelta = LEASE) -> list[OutboxRow]:
    """Take a lease on due messages; no two workers hold the same one."""
    with db.write() as session:
        query = (select(OutboxRow).where(OutboxRow.status == OutboxStatus.PENDING, OutboxRow.next_attempt_at <= now,
                                         or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now))
                 .order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit))
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            row.locked_until = now + lease
        return rows


def release(db: Database, ids: list[int]) -> None:
    """Give back what was claimed but not tried (shutting down, or the lease running short)."""
    if ids:
        with db.write() as session:
            session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids)).values(locked_until=None))


def send_webhook(row: OutboxRow, settings: PlanSettings, now: datetime) -> tuple[bool, str]:
    """POST one message; (delivered, what happened)."""
    body = row.payload.encode()
    timestamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", "User-Agent": "crisisplan",
               "Idempotency-Key": row.idempotency_key, "X-Crisisplan-Timestamp": timestamp}
    hook = next((h for h in settings.webhooks if row.channel == f"webhook:{h.name}"), None)
    if hook and hook.format == "pagerduty":
        # the routing key is a secret: it lives in the environment, never in the outbox row
        key = os.environ.get(hook.routing_key_env, "")
        if not key:
            return False, f"the PagerDuty routing key ${hook.routing_key_env} is not set"
        body = json.dumps({"routing_key": key, **json.loads(row.payload)}, ensure_ascii=False).encode()
    if hook and hook.secret_env:
        secret = os.environ.get(hook.secret_env, "")
        if not secret:
            return False, f"the signing secret ${hook.secret_env} is not set"
        headers["X-Crisisplan-Signature"] = signature(secret, timestamp, body)
    request = urllib.request.Request(row.target, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return False, f"no answer: {getattr(error, 'reason', error)}"


def record(db: Database, row: OutboxRow, ok: bool, what: str, now: datetime, give_up_after: timedelta,
           permanent: bool = False) -> str:
    """Keep the attempt in the message's log; the message is delivered, retried later, or dead."""
    attempts, log = row.attempts + 1, [*row.log, {"at": now.isoformat(), "result": what}]
    if ok:
        values: dict[str, object] = {"status": OutboxStatus.DELIVERED, "delivered_at": now}
    elif permanent or now - row.created_at >= give_up_after:
        values = {"status": OutboxStatus.DEAD}
    else:
        values = {"status": OutboxStatus.PENDING, "next_attempt_at": now + backoff(attempts)}
    with db.write() as session:
        session.execute(update(OutboxRow).where(OutboxRow.id == row.id)
                        .values(attempts=attempts, log=log, locked_until=None, **values))
    return str(values["status"])


def deliver_due(db: Database, settings: PlanSettings, now: datetime, *, lease: timedelta = LEASE,
                stopping: Callable[[], bool] = lambda: False, limit: int = 200) -> Result:
    """Claim a batch and try each message once. Stops early, giving back what it holds, when asked to stop
    or when half the lease is gone (slow receivers), so no other worker ever takes a message still in hand."""
    result = Result()
    rows = claim(db, now, limit, lease)
    started = time.monotonic()
    mailer = Mailer(db, settings)
    links = _Links(settings)
    recorded: set[int] = set()
    try:
        for row in rows:
            if stopping() or time.monotonic() - started > lease.total_seconds() / 2:
                break
            ok, what, permanent = _attempt(row, mailer, settings, now, links)
            status = record(db, row, ok, what, now, settings.delivery.give_up_after, permanent)
            recorded.add(row.id)
            key = status if status in (OutboxStatus.DELIVERED, OutboxStatus.DEAD) else "retried"
            setattr(result, key, getattr(result, key) + 1)
    finally:
        # whatever stopped the round (asked to, out of time, the database gone), the rest goes back at once
        try:
            release(db, [r.id for r in rows if r.id not in recorded])
        finally:
            mailer.close()
    return result


class _Links:
    """The plan's connectors, built the first time a round has a message for one (their SDKs load only then)."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings, self.built = settings, None

    def __call__(self) -> dict:
        if self.built is None:
            self.built = connectors.configured(self.settings)
        return self.built


def _attempt(row: OutboxRow, mailer: Mailer, settings: PlanSettings, now: datetime,
             links: Callable[[], dict] = dict) -> tuple[bool, str, bool]:
    """Try one message: (delivered, what happened, permanent). A message that cannot even be built or sent
    (a broken payload, an address no encoder takes) fails alone and for good: the rest of the batch goes on."""
    try:
        if row.channel.startswith("email:"):
            return mailer.send(row)
        if connectors.is_connector_channel(row.channel):  # bluesky:post, bluesky:reply…
            return connectors.deliver(row.channel, row.payload, row.idempotency_key, links())
        return (*send_webhook(row, settings, now), False)
    except Exception as error:  # noqa: BLE001 - one bad message must never stall the others
        mailer.close()  # the connection may be mid-command
        return False, f"cannot be sent: {type(error).__name__}: {str(error)[:300]}", True


def retry(db: Database, row_id: int, now: datetime) -> None:
    """A dead letter back in the queue, from now."""
    from crisisplan.errors import NotFound

    with db.write() as session:
        row = session.get(OutboxRow, row_id)
        if row is None:
            raise NotFound(f"no message {row_id}; `crisisplan outbox list` shows them")
        row.status, row.next_attempt_at, row.created_at, row.locked_until = OutboxStatus.PENDING, now, now, None
