"""Idempotency keys on the declare and publish APIs: the same key with the same body gets the first answer
again and changes nothing; the same key with another body is refused.

The key is reserved before the request runs (its own short transaction), under a lease: a copy sent while the
first is at work is told so (409). The request then runs in ONE transaction with its answer: either both are
kept, or neither. So a process killed in the middle leaves the key reserved with nothing applied, and once the
lease has run out (`LEASE`) a retry takes the key over and runs the request; the first holder, if it was only
slow, finds its lease gone when it comes to keep its answer and is undone (409), so the request is applied once.
A request that is refused, or fails, gives its key back. Keys are forgotten after `KEEP` (purged on write).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from crisisplan.errors import Conflict, InvalidInput
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.idempotency import IdempotencyRow

LEASE = timedelta(seconds=float(os.environ.get("CRISISPLAN_IDEMPOTENCY_LEASE_S", "60")))
KEEP = timedelta(hours=24)  # a retry comes within minutes; a day later the same key is a new request


@dataclass(frozen=True)
class Replay:
    """The answer the first request with this key got."""

    status: int
    body: str


@dataclass(frozen=True)
class Lease:
    """This request holds the key: it may run, and keep its answer, while the lease is still its own."""

    scope: str
    key: str
    mark: str


class IdempotencyCommands(UnitOfWork):
    """Keys clients send so that a retry never declares or publishes twice."""

    def idempotency_begin(self, scope: str, key: str, route: str, fingerprint: str) -> Replay | Lease:
        """Reserve `key` for this request (a Lease: go ahead), or the first answer to replay; refused when the
        key was used with another request, or when its first request is still running (and its lease fresh)."""
        if not 1 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
            raise InvalidInput("Idempotency-Key must be 1 to 200 printable ASCII characters", "Idempotency-Key")
        for _ in range(3):  # the key can be given back or purged between two reads: look again
            now, mark = self.clock.now(), secrets.token_hex(16)
            try:
                with self.db.write() as session:
                    session.execute(delete(IdempotencyRow).where(IdempotencyRow.created_at < now - KEEP))
                    session.add(IdempotencyRow(scope=scope, key=key, route=route, fingerprint=fingerprint,
                                               status=0, body="", created_at=now, lease=mark, leased_at=now))
                return Lease(scope, key, mark)
            except IntegrityError:
                pass
            with self.db.read() as session:
                row = session.scalars(select(IdempotencyRow).where(IdempotencyRow.scope == scope,
                                                                   IdempotencyRow.key == key)).one_or_none()
            if row is None:
                continue
            if row.route != route or row.fingerprint != fingerprint:
                raise InvalidInput(f"this Idempotency-Key was used for another request ({row.route}, another "
                                   "body); use a new key for a new request", "Idempotency-Key")
            if row.status != 0:
                return Replay(row.status, row.body)
            if row.leased_at is not None and now - row.leased_at < LEASE:
                raise Conflict("the first request with this Idempotency-Key is still being handled; "
                               "ask again in a moment for its answer")
            if self._take_over(row, mark, now):  # its holder died (or is far too slow): nothing of it was kept
                return Lease(scope, key, mark)
        raise Conflict("this Idempotency-Key is being taken by another request at this moment; ask again")

    def _take_over(self, row: IdempotencyRow, mark: str, now: object) -> bool:
        """Move the lease of a key whose holder let it run out to this request; False if somebody was quicker."""
        with self.db.write() as session:
            moved = session.execute(update(IdempotencyRow).where(
                IdempotencyRow.id == row.id, IdempotencyRow.status == 0, IdempotencyRow.lease == row.lease)
                .values(lease=mark, leased_at=now))
            return moved.rowcount == 1

    @contextmanager
    def idempotency_applying(self, lease: Lease) -> Iterator[Callable[[int, str], None]]:
        """Run the request and keep its answer in one transaction: inside, `keep(status, body)` stores the answer
        (only while the lease is still this request's: else the whole request is undone, 409)."""

        def keep(status: int, body: str) -> None:
            kept = session.execute(update(IdempotencyRow).where(
                IdempotencyRow.scope == lease.scope, IdempotencyRow.key == lease.key,
                IdempotencyRow.lease == lease.mark, IdempotencyRow.status == 0).values(status=status, body=body))
            if kept.rowcount != 1:
                raise Conflict("this request took longer than its Idempotency-Key's lease and a retry took the key "
                               "over; nothing of this one was applied — the retry's answer is the one")

        with self.db.batch() as session:
            yield keep

    def idempotency_release(self, lease: Lease) -> None:
        """Give the key back after a refusal or a failure (nothing was applied): sending it again is right."""
        with self.db.write() as session:
            session.execute(delete(IdempotencyRow).where(IdempotencyRow.scope == lease.scope,
                                                         IdempotencyRow.key == lease.key,
                                                         IdempotencyRow.lease == lease.mark,
                                                         IdempotencyRow.status == 0))
