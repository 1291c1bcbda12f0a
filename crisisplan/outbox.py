"""Deliver the outbox: claim due messages, send them, retry with backoff, give up into the dead letters.

A claim is a short lease (`locked_until`): a worker that dies mid-send leaves the
message to be claimed again when the lease runs out, and the idempotency key
lets the receiver drop the repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from crisisplan.plan.schema import PlanSettings
from crisisplan.store.db import Database
from crisisplan.store.models import OutboxRow

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
    delay = min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_RETRY)
    return delay * (1 + random.uniform(0, 0.1))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def claim(db: Database, now: datetime, limit: int = 50) -> list[OutboxRow]:
    """Take a lease on due messages; no two workers hold the same one."""
    with db.write() as session:
        query = (select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now,
                                         or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now))
                 .order_by(OutboxRow.next_attempt_at).limit(limit))
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        for row in rows:
            row.locked_until = now + LEASE
        return rows


def send(row: OutboxRow, settings: PlanSettings, now: datetime) -> tuple[bool, str]:
    """POST one message; (delivered, what happened)."""
    body = row.payload.encode()
    timestamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", "User-Agent": "crisisplan",
               "Idempotency-Key": row.idempotency_key, "X-Crisisplan-Timestamp": timestamp}
    hook = next((h for h in settings.webhooks if row.channel == f"webhook:{h.name}"), None)
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


def record(db: Database, row_id: int, ok: bool, what: str, now: datetime, give_up_after: timedelta) -> str:
    """Keep the attempt in the message's log; the message is delivered, retried later, or dead."""
    with db.write() as session:
        row = session.get(OutboxRow, row_id)
        row.attempts += 1
        row.log = [*row.log, {"at": now.isoformat(), "result": what}]
        row.locked_until = None
        if ok:
            row.status, row.delivered_at = "delivered", now
        elif now - row.created_at >= give_up_after:
            row.status = "dead"
        else:
            row.next_attempt_at = now + backoff(row.attempts)
        return row.status


def deliver_due(db: Database, settings: PlanSettings, now: datetime) -> Result:
    result = Result()
    for row in claim(db, now):
        ok, what = send(row, settings, now)
        status = record(db, row.id, ok, what, now, settings.delivery.give_up_after)
        if status == "delivered":
            result.delivered += 1
        elif status == "dead":
            result.dead += 1
        else:
            result.retried += 1
    return result


def retry(db: Database, row_id: int, now: datetime) -> None:
    """A dead letter back in the queue, from now."""
    from crisisplan.errors import NotFound

    with db.write() as session:
        row = session.get(OutboxRow, row_id)
        if row is None:
            raise NotFound(f"no message {row_id}; `crisisplan outbox list` shows them")
        row.status, row.next_attempt_at, row.created_at, row.locked_until = "pending", now, now, None
