"""The admin chain: every admin action (people, tokens, subscribers removed, component statuses set by hand,
triage overrides) in a keyed hash chain of its own, hashed like an incident's (store/audit.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisplan.store.audit import (
    Finding,
    UnknownKey,
    _head_finding,
    canonical,
    check_link,
    note_head,
    seal,
    stamp,
)
from crisisplan.store.audit_models import AdminEventRow, ChainHeadRow
from crisisplan.store.keys import AuditKeys
from crisisplan.store.models import GENESIS

CHAIN = "admin"


def admin_hash(seq: int, at: datetime, actor: str, action: str, payload_json: str, prev_hash: str,
               key_id: str, keys: AuditKeys | None) -> str:
    entry = {"chain": CHAIN, "seq": seq, "at": stamp(at), "actor": actor, "action": action,
             "payload": json.loads(payload_json), "prev": prev_hash}
    return seal(entry, key_id, keys)


def _head(session: Session, lock: bool) -> ChainHeadRow:
    query = select(ChainHeadRow).where(ChainHeadRow.name == CHAIN)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query).one_or_none()
    if row is None:
        row = ChainHeadRow(name=CHAIN, head=GENESIS, length=0)
        session.add(row)
    return row


def append(session: Session, keys: AuditKeys, at: datetime, actor: str, action: str,
           payload: dict[str, Any], lock: bool = True) -> AdminEventRow:
    """Add one admin action to the admin chain, in the caller's transaction (locks the chain's head)."""
    head = _head(session, lock)
    seq = head.length + 1
    at = at.astimezone(UTC)
    text = canonical(payload)
    digest = admin_hash(seq, at, actor, action, text, head.head, keys.current, keys)
    row = AdminEventRow(seq=seq, at=at, actor=actor, action=action, payload=text, prev_hash=head.head,
                        hash=digest, key_id=keys.current)
    session.add(row)
    head.head, head.length = digest, seq
    note_head(session, CHAIN, seq, digest)
    return row


def events(session: Session, limit: int | None = None) -> list[AdminEventRow]:
    """The admin actions, newest first."""
    query = select(AdminEventRow).order_by(AdminEventRow.seq.desc())
    return list(session.scalars(query.limit(limit) if limit else query))


def verify(session: Session, keys: AuditKeys | None) -> tuple[int, Finding | None]:
    """Check the admin chain: (events checked, the first thing wrong or None)."""
    rows = list(session.scalars(select(AdminEventRow).order_by(AdminEventRow.seq)))
    head = session.get(ChainHeadRow, CHAIN)
    previous = GENESIS
    for expected, row in enumerate(rows, start=1):
        try:
            digest: str | None = admin_hash(row.seq, row.at, row.actor, row.action, row.payload, row.prev_hash,
                                            row.key_id, keys)
        except UnknownKey:
            digest = None
        except (ValueError, TypeError):
            digest = ""
        finding = check_link(CHAIN, expected, row.seq, row.prev_hash, previous, digest, row.hash, row.key_id,
                             f"'{row.action}' at {stamp(row.at)}")
        if finding:
            return len(rows), finding
        previous = row.hash
    length, last = (head.length, head.head) if head else (0, GENESIS)
    return len(rows), _head_finding(CHAIN, len(rows), previous, length, last)
