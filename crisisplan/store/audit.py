"""The tamper-evident audit trail: a SHA-256 hash chain per incident.

Each event's hash covers its incident, sequence number, time, actor, kind,
payload and the previous event's hash. The incident row keeps the chain's head
and length, so deleting the newest events is detected too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisplan.engine.incident import Event
from crisisplan.store.models import GENESIS, AuditEventRow, IncidentRow


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(incident_id: int, seq: int, at: datetime, actor: str, kind: str,
               payload_json: str, prev_hash: str) -> str:
    entry = canonical({"incident": incident_id, "seq": seq, "at": _stamp(at), "actor": actor,
                       "kind": kind, "payload": json.loads(payload_json), "prev": prev_hash})
    return hashlib.sha256(entry.encode("utf-8")).hexdigest()


def append(session: Session, incident: IncidentRow, events: list[Event]) -> None:
    """Add `events` to the incident's chain in the caller's transaction."""
    head, length = incident.chain_head, incident.chain_length
    for event in events:
        length += 1
        payload = canonical(event.payload)
        # the stored time is cut to microseconds, as the hash sees it
        at = event.at.astimezone(UTC)
        digest = event_hash(incident.id, length, at, event.actor, event.kind, payload, head)
        session.add(AuditEventRow(incident_id=incident.id, seq=length, at=at, actor=event.actor,
                                  kind=event.kind, payload=payload, prev_hash=head, hash=digest))
        head = digest
    incident.chain_head, incident.chain_length = head, length


@dataclass(frozen=True)
class Finding:
    incident_id: int
    seq: int
    message: str

    def __str__(self) -> str:
        return f"incident {self.incident_id}, event #{self.seq}: {self.message}"


def verify_incident(incident: IncidentRow, rows: list[AuditEventRow]) -> Finding | None:
    """The first thing wrong with one incident's chain, or None."""
    previous = GENESIS
    for expected, row in enumerate(rows, start=1):
        if row.seq != expected:
            return Finding(incident.id, expected,
                           f"event #{expected} is missing (found #{row.seq} in its place): "
                           "an event was deleted or renumbered")
        if row.prev_hash != previous:
            return Finding(incident.id, row.seq,
                           "does not follow the event before it: "
                           "an event before it was deleted, inserted or reordered")
        try:
            digest = event_hash(row.incident_id, row.seq, row.at, row.actor, row.kind,
                                row.payload, row.prev_hash)
        except (ValueError, TypeError):
            digest = ""
        if digest != row.hash:
            return Finding(incident.id, row.seq,
                           f"'{row.kind}' at {_stamp(row.at)} does not match its hash: it was edited")
        previous = row.hash
    if len(rows) != incident.chain_length or previous != incident.chain_head:
        seq = min(len(rows), incident.chain_length) + 1
        if len(rows) < incident.chain_length:
            why = f"the chain should have {incident.chain_length} events but has {len(rows)}: the newest were deleted"
        elif len(rows) > incident.chain_length:
            why = f"the chain has {len(rows)} events but recorded {incident.chain_length}: events were appended by hand"
        else:
            why = "the chain's head does not match the incident record"
        return Finding(incident.id, seq, why)
    return None


def verify(session: Session) -> tuple[int, int, list[Finding]]:
    """Check every chain. Returns (incidents checked, events checked, findings)."""
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
        finding = verify_incident(incident, by_incident.get(incident_id, []))
        if finding:
            findings.append(finding)
    return len(incidents), count, findings
