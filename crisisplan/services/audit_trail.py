"""The audit trail as a whole: the admin chain, verifying every chain (and against the checkpoints outside the
database), the published checkpoints, key rotation and keying events from before keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisplan.errors import CrisisplanError, InvalidInput
from crisisplan.services.unit import UnitOfWork
from crisisplan.store import admin_chain, audit, checkpoints
from crisisplan.store.audit_models import AdminEventRow
from crisisplan.store.db import Database
from crisisplan.store.models import AuditEventRow, IncidentRow


def note_admin_in(session: Session, db: Database, at: Any, actor: str, action: str,
                  payload: dict[str, Any]) -> None:
    """Record an admin action in the admin chain inside the caller's transaction (all or nothing with it)."""
    admin_chain.append(session, db.audit_keys, at, actor, action, payload, lock=not db.is_sqlite)


@dataclass
class AuditReport:
    """What `audit verify` found: counts, and every finding (chains, and the checkpoints when given)."""

    incidents: int
    events: int
    admin_events: int
    findings: list[audit.Finding] = field(default_factory=list)
    checkpoint_lines: int = 0
    checkpoint_problems: list[str] = field(default_factory=list)
    unanchored: int = 0  # incidents with events that no checkpoint names

    @property
    def ok(self) -> bool:
        """Whether nothing is wrong."""
        return not self.findings and not self.checkpoint_problems


class AuditTrail(UnitOfWork):
    """The admin chain and the checks of every chain."""

    def note_admin(self, actor: str, action: str, /, **payload: Any) -> None:
        """Record one admin action (who, what, the details) in the admin chain, in a transaction of its own."""
        with self.db.write() as session:
            note_admin_in(session, self.db, self.clock.now(), actor, action, payload)

    def _note_admin(self, session: Session, actor: str, action: str, /, **payload: Any) -> None:
        """Record an admin action in the transaction of the change it belongs to."""
        note_admin_in(session, self.db, self.clock.now(), actor, action, payload)

    def admin_events(self, limit: int = 200) -> list[AdminEventRow]:
        """The admin actions, newest first."""
        with self.db.read() as session:
            return admin_chain.events(session, limit)

    def verify_admin_audit(self) -> tuple[int, audit.Finding | None]:
        """The admin chain alone: (actions checked, the first thing wrong or None)."""
        with self.db.read() as session:
            return admin_chain.verify(session, self.db.audit_keys)

    def verify_audit(self) -> tuple[int, int, list[audit.Finding]]:
        """Check every chain for tampering: (incidents checked, events checked, what is wrong)."""
        report = self.audit_report()
        return report.incidents, report.events + report.admin_events, report.findings

    def audit_report(self, checkpoint_file: Path | None = None, public_key: str | None = None) -> AuditReport:
        """Check every incident's chain and the admin chain with the keys, and, given a checkpoint file,
        that the database still holds every head it anchored (signed by `public_key`, default this
        installation's)."""
        keys = self.db.audit_keys
        with self.db.read() as session:
            incidents, events, findings = audit.verify(session, keys)
            admin_count, admin_finding = admin_chain.verify(session, keys)
            report = AuditReport(incidents, events, admin_count, findings + ([admin_finding] if admin_finding else []))
            if checkpoint_file is not None:
                try:
                    with checkpoint_file.open("rb") as handle:
                        claims = checkpoints.read_claims(handle, public_key or keys.public_key_text(),
                                                         str(checkpoint_file))
                except OSError as error:
                    raise InvalidInput(f"{checkpoint_file}: cannot read the checkpoints ({error.strerror})",
                                       "checkpoints") from None
                anchored, report.unanchored = checkpoints.compare(session, claims)
                report.findings += anchored
                report.checkpoint_lines, report.checkpoint_problems = claims.lines, claims.problems
        return report

    def own_checkpoints(self) -> Path | None:
        """This installation's checkpoint file, when it has written one."""
        log = self.db.checkpoints
        return log.path if log is not None and log.path.exists() else None

    def checkpoint_log(self, start: int = 1) -> tuple[str, str]:
        """The published checkpoints from line `start` on (a copy kept elsewhere fetches only what it lacks):
        (those lines, the public key that signs them)."""
        log = self.db.checkpoints
        return (log.text(start) if log else ""), self.db.audit_keys.public_key_text()

    def rotate_audit_key(self, actor: str) -> str:
        """Start keying new events with a new key (old events keep verifying with theirs); returns its id."""
        key_id = self.db.audit_keys.rotate()
        self.note_admin(actor, "audit_key_rotated", key=key_id)
        return key_id

    def seal_unkeyed(self, actor: str) -> int:
        """Key, once, the events written before crisisplan kept an audit key, after checking their plain
        SHA-256 chain; returns how many were keyed. Refuses when an old chain is already broken."""
        keys = self.db.audit_keys
        sealed = 0
        with self.db.write() as session:
            for row in session.scalars(select(IncidentRow).order_by(IncidentRow.id)):
                rows = list(session.scalars(select(AuditEventRow).where(AuditEventRow.incident_id == row.id)
                                            .order_by(AuditEventRow.seq)))
                if all(r.key_id for r in rows):
                    continue
                finding = audit.verify_incident(row, rows, keys, unkeyed_ok=True)
                if finding:
                    raise CrisisplanError(f"not keyed: {finding}")
                head = audit.GENESIS
                for event in rows:
                    digest = audit.event_hash(row.id, event.seq, event.at, event.actor, event.kind, event.payload,
                                              head, keys.current, keys)
                    sealed += int(not event.key_id)
                    event.prev_hash, event.hash, event.key_id = head, digest, keys.current
                    head = digest
                row.chain_head = head
                audit.note_head(session, f"incident:{row.id}", row.chain_length, head)
            if sealed:
                note_admin_in(session, self.db, self.clock.now(), actor, "audit_sealed", {"events": sealed})
        return sealed
