"""Idempotency keys on the declare and publish APIs: the same key with the same body gets the first answer
again and changes nothing; the same key with another body is refused.

The key is reserved before the request runs (its own short transaction), so two copies of one request sent at
once cannot both declare: the second is told the first is still at work (409). A request that is refused, or
fails, gives its key back: nothing was applied, so sending it again is right.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from crisisplan.errors import Conflict, InvalidInput
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.idempotency import IdempotencyRow


@dataclass(frozen=True)
class Replay:
    """The answer the first request with this key got."""

    status: int
    body: str


class IdempotencyCommands(UnitOfWork):
    """Keys clients send so that a retry never declares or publishes twice."""

    def idempotency_begin(self, scope: str, key: str, route: str, fingerprint: str) -> Replay | None:
        """Reserve `key` for this request (None: go ahead), or the first answer to replay; refused when the key
        was used with another request, or when its first request is still running."""
        if not 1 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
            raise InvalidInput("Idempotency-Key must be 1 to 200 printable ASCII characters", "Idempotency-Key")
        try:
            with self.db.write() as session:
                session.add(IdempotencyRow(scope=scope, key=key, route=route, fingerprint=fingerprint, status=0,
                                           body="", created_at=self.clock.now()))
            return None
        except IntegrityError:
            pass
        with self.db.read() as session:
            row = session.scalars(select(IdempotencyRow).where(IdempotencyRow.scope == scope,
                                                               IdempotencyRow.key == key)).one_or_none()
        if row is None:  # given back between the two reads: this request may take it
            return self.idempotency_begin(scope, key, route, fingerprint)
        if row.route != route or row.fingerprint != fingerprint:
            raise InvalidInput(f"this Idempotency-Key was used for another request ({row.route}, another body); "
                               "use a new key for a new request", "Idempotency-Key")
        if row.status == 0:
            raise Conflict("the first request with this Idempotency-Key is still being handled; "
                           "ask again in a moment for its answer")
        return Replay(row.status, row.body)

    def idempotency_finish(self, scope: str, key: str, status: int, body: str) -> None:
        """Keep the answer of a request that succeeded, for its retries; give the key back otherwise."""
        with self.db.write() as session:
            where = (IdempotencyRow.scope == scope, IdempotencyRow.key == key)
            if 200 <= status < 300:
                session.execute(update(IdempotencyRow).where(*where).values(status=status, body=body))
            else:
                session.execute(delete(IdempotencyRow).where(*where))
