"""The tamper-evident audit trail: a keyed hash chain per incident.

Each event's hash is an HMAC-SHA256, under a key kept outside the database
(store/keys.py), of its incident, sequence number, time, actor, kind, payload,
the previous event's hash and the key's id. The incident row keeps the chain's
head and length, so deleting the newest events is detected too. Somebody who can
write the database but not read the key cannot make an edited chain verify; the
checkpoints (store/checkpoints.py) anchor the heads outside the database, so even
a rewrite with the key, a deleted incident or a restored old copy shows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisplan.engine.incident import Event
from crisisplan.store.keys import AuditKeys
from crisisplan.store.models import GENESIS, AuditEventRow, IncidentRow

__all__ = ["GENESIS", "Finding", "UnknownKey", "append", "canonical", "event_hash", "seal", "verify",
           "verify_incident"]


class UnknownKey(Exception):
    """An event names a key this installation does not hold."""


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def seal(entry: dict[str, Any], key_id: str, keys: AuditKeys | None) -> str:
    """The hash of one chain entry: HMAC-SHA256 under the named key; plain SHA-256 for key "" (before keys)."""
    if not key_id:
        return hashlib.sha256(canonical(entry).encode("utf-8")).hexdigest()
    key = keys.key(key_id) if keys is not None else None
    if key is None:
        raise UnknownKey(key_id)
    return hmac.new(key, canonical({**entry, "key": key_id}).encode("utf-8"), hashlib.sha256).hexdigest()


def event_hash(incident_id: int, seq: int, at: datetime, actor: str, kind: str,
               payload_json: str, prev_hash: str, key_id: str = "", keys: AuditKeys | None = None) -> str:
    entry = {"incident": incident_id, "seq": seq, "at": stamp(at), "actor": actor,
             "kind": kind, "payload": json.loads(payload_json), "prev": prev_hash}
    return seal(entry, key_id, keys)


def note_head(session: Session, chain: str, length: int, head: str) -> None:
    """Remember a chain's new head for the checkpoint written once this transaction commits."""
    session.info.setdefault("audit_heads", {})[chain] = (length, head)


def append(session: Session, incident: IncidentRow, events: list[Event], keys: AuditKeys) -> None:
    """Add `events` to the incident's chain in the caller's transaction, keyed with the current key."""
    head, length = incident.chain_head, incident.chain_length
    for event in events:
        length += 1
        payload = canonical(event.payload)
        # the stored time is cut to microseconds, as the hash sees it
        at = event.at.astimezone(UTC)
        digest = event_hash(incident.id, length, at, event.actor, event.kind, payload, head, keys.current, keys)
        session.add(AuditEventRow(incident_id=incident.id, seq=length, at=at, actor=event.actor,
                                  kind=event.kind, payload=payload, prev_hash=head, hash=digest,
                                  key_id=keys.current))
        head = digest
    incident.chain_head, incident.chain_length = head, length
    if events:
        note_head(session, f"incident:{incident.id}", length, head)


@dataclass(frozen=True)
class Finding:
    incident_id: int | str  # an incident's id, or the name of another chain ("admin")
    seq: int
    message: str

    def __str__(self) -> str:
        where = f"incident {self.incident_id}" if isinstance(self.incident_id, int) else f"{self.incident_id} chain"
        return f"{where}, event #{self.seq}: {self.message}"


def check_link(chain: int | str, expected: int, seq: int, prev_hash: str, previous: str,
               digest: str | None, stored: str, key_id: str, label: str, unkeyed_ok: bool = False) -> Finding | None:
    """What is wrong with one link of a chain (number, link to the one before, hash, key), or None."""
    if seq != expected:
        return Finding(chain, expected, f"event #{expected} is missing (found #{seq} in its place): "
                       "an event was deleted or renumbered")
    if prev_hash != previous:
        return Finding(chain, seq, "does not follow the event before it: "
                       "an event before it was deleted, inserted or reordered")
    if digest is None:
        return Finding(chain, seq, f"{label} names key '{key_id}', which this installation does not hold "
                       "(add it back to the audit keys) or which was forged")
    if not key_id and not unkeyed_ok:
        return Finding(chain, seq, f"{label} is not keyed: written before crisisplan kept an audit key, "
                       "or rewritten without the key (`crisisplan audit seal` keys old events once)")
    if not hmac.compare_digest(digest, stored):
        return Finding(chain, seq, f"{label} does not match its hash: it was edited")
    return None


def _digest_of(row: AuditEventRow, keys: AuditKeys | None) -> str | None:
    try:
        return event_hash(row.incident_id, row.seq, row.at, row.actor, row.kind, row.payload, row.prev_hash,
                          row.key_id, keys)
    except UnknownKey:
        return None
    except (ValueError, TypeError):
        return ""


def verify_incident(incident: IncidentRow, rows: list[AuditEventRow], keys: AuditKeys | None = None,
                    unkeyed_ok: bool = False) -> Finding | None:
    """The first thing wrong with one incident's chain, or None (`unkeyed_ok`: events from before keys pass
    when their plain SHA-256 chain holds, as `audit seal` needs before keying them)."""
    previous = GENESIS
    for expected, row in enumerate(rows, start=1):
        finding = check_link(incident.id, expected, row.seq, row.prev_hash, previous, _digest_of(row, keys),
                             row.hash, row.key_id, f"'{row.kind}' at {stamp(row.at)}", unkeyed_ok)
        if finding:
            return finding
        previous = row.hash
    return _head_finding(incident.id, len(rows), previous, incident.chain_length, incident.chain_head)


def _head_finding(chain: int | str, count: int, last: str, length: int, head: str) -> Finding | None:
    if count == length and last == head:
        return None
    seq = min(count, length) + 1
    if count < length:
        why = f"the chain should have {length} events but has {count}: the newest were deleted"
    elif count > length:
        why = f"the chain has {count} events but recorded {length}: events were appended by hand"
    else:
        why = "the chain's head does not match its record"
    return Finding(chain, seq, why)


def verify(session: Session, keys: AuditKeys | None = None) -> tuple[int, int, list[Finding]]:
    """Check every incident's chain. Returns (incidents checked, events checked, findings)."""
    findings: list[Finding] = []
    incidents = {row.id: row for row in session.scalars(select(IncidentRow))}
    by_incident: dict[int, list[AuditEventRow]] = {}
    count = 0
    for row in session.scalars(select(AuditEventRow).order_by(AuditEventRow.incident_id,
                                                                AuditEventRow.seq)):
        by_incident.setdefault(row.incident_id, []).append(row)
        count += 1
    for incident_id in sorted(set(by_incident) - set(incidents)):
        findings.append(Finding(incident_id, 1, "events exist for an incident that does not"))
    for incident_id, incident in sorted(incidents.items()):
        finding = verify_incident(incident, by_incident.get(incident_id, []), keys)
        if finding:
            findings.append(finding)
    return len(incidents), count, findings
