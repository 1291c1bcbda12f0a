"""Failed logins, counted in the database so that every server process and worker sees the same counts.

Two limits, neither of which a stranger can use to keep somebody out:

- one name from one address: after `PAIR_FREE` failures that name waits a while from that address
  (1 minute, then twice as long after each further failure, at most 15); the same name from
  another address, its owner's, is not held up;
- one address, whatever the names: `ADDRESS_FAILURES` failures in `ADDRESS_WINDOW` and it is refused
  until the window ends (a guesser spraying names).

Keys are SHA-256 digests: a password typed into the name field is not kept in clear.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from crisisplan.store.models import LoginLimitRow

PAIR_FREE = 5
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=15)
PAIR_FORGET = timedelta(hours=1)  # a name and address with no failure for this long starts again at 0
ADDRESS_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)  # rows with no failure for a day are deleted


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def pair_key(name: str, address: str) -> str:
    """The limit of one name tried from one address."""
    return _digest("pair", name, address)


def address_key(address: str) -> str:
    """The limit of one address, whatever names it tries."""
    return _digest("address", address)


def blocked(session: Session, key: str, now: datetime) -> datetime | None:
    """Until when the key is refused, or None when it may try now."""
    until = session.scalars(select(LoginLimitRow.blocked_until).where(LoginLimitRow.key == key)).first()
    return until if until is not None and until > now else None


def _row(session: Session, key: str, now: datetime) -> LoginLimitRow:
    """The key's row, created when missing and locked for this transaction (concurrent failures add up)."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    session.execute(insert(LoginLimitRow).values(key=key, failures=0, window_start=now, last_failure_at=now)
                    .on_conflict_do_nothing(index_elements=["key"]))
    return session.scalars(select(LoginLimitRow).where(LoginLimitRow.key == key).with_for_update()
                           .execution_options(populate_existing=True)).one()


def fail(session: Session, name: str, address: str, now: datetime) -> None:
    """Count one failed login of `name` from `address`, in the caller's transaction."""
    pair = _row(session, pair_key(name, address), now)
    if now - pair.last_failure_at > PAIR_FORGET:
        pair.failures, pair.window_start = 0, now
    pair.failures += 1
    pair.last_failure_at = now
    if pair.failures >= PAIR_FREE:
        pair.blocked_until = now + min(MAX_DELAY, FIRST_DELAY * 2 ** (pair.failures - PAIR_FREE))
    spot = _row(session, address_key(address), now)
    if now - spot.window_start >= ADDRESS_WINDOW:
        spot.failures, spot.window_start, spot.blocked_until = 0, now, None
    spot.failures += 1
    spot.last_failure_at = now
    if spot.failures >= ADDRESS_FAILURES:
        spot.blocked_until = spot.window_start + ADDRESS_WINDOW
    session.execute(delete(LoginLimitRow).where(LoginLimitRow.last_failure_at < now - KEEP))


def succeed(session: Session, name: str, address: str) -> None:
    """Forget the failures of `name` from `address` (the address's own count stays)."""
    session.execute(delete(LoginLimitRow).where(LoginLimitRow.key == pair_key(name, address)))
