"""Checkpoints: the heads of the audit chains, signed and kept outside the database.

After every transaction that grows a chain, one line is appended to a file
(`<instance>/audit-checkpoints.jsonl`, or `CRISISPLAN_AUDIT_CHECKPOINTS`): the
chains it changed with their length and head hash, the time, the SHA-256 of the
line before, and an Ed25519 signature over all of it. Each line is a promise
that the chain had at least that many events and began with exactly those. A copy
of the file (or of the public `/audit/checkpoints`) therefore shows what the
database cannot take back: a chain rewritten (even with the key), an incident
deleted, a database restored from an older copy. Only names, lengths, hashes and
signatures are in it: nothing of what the events say.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crisisplan.store.audit import Finding
from crisisplan.store.keys import AuditKeys, public_key_id

FILE_NAME = "audit-checkpoints.jsonl"
GENESIS = "0" * 64
log = logging.getLogger(__name__)


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _last_line(handle) -> bytes:  # noqa: ANN001 - a binary file open for reading
    """The last complete line of a file, read from its end."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    block, data = 4096, b""
    position = end
    while position > 0:
        position = max(0, position - block)
        handle.seek(position)
        data = handle.read(end - position)
        if data.rstrip(b"\n").count(b"\n") >= 1:
            break
    lines = data.rstrip(b"\n").split(b"\n")
    return lines[-1] if lines and lines[-1] else b""


class CheckpointLog:
    """The append-only file of signed checkpoints of one installation."""

    def __init__(self, path: Path, keys: AuditKeys):
        self.path = path
        self.keys = keys

    def write(self, chains: dict[str, tuple[int, str]], at: datetime | None = None) -> None:
        """Append one signed checkpoint naming these chains' lengths and heads."""
        signing = self.keys.signing_key()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        with os.fdopen(descriptor, "r+b") as handle:
            # one writer at a time across processes, so each line names the one before it
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            last = _last_line(handle)
            number = json.loads(last)["n"] + 1 if last else 1
            entry = {"n": number, "at": (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
                     "chains": {name: {"length": length, "head": head}
                                for name, (length, head) in sorted(chains.items())},
                     "prev": hashlib.sha256(last).hexdigest() if last else GENESIS,
                     "signer": self.keys.public_key_text()}
            entry["sig"] = base64.b64encode(signing.sign(_canonical(entry))).decode()
            handle.seek(0, os.SEEK_END)
            handle.write(_canonical(entry) + b"\n")
            handle.flush()
            if os.environ.get("CRISISPLAN_AUDIT_FSYNC", "1") != "0":  # benchmarks/audit_chain.py: its cost
                os.fsync(handle.fileno())

    def safely(self, chains: dict[str, tuple[int, str]]) -> None:
        """Write a checkpoint after a commit; a failure is logged, never undoes the change that was saved."""
        try:
            self.write(chains)
        except Exception as error:  # noqa: BLE001 - the change is committed; the next checkpoint covers it
            log.warning("could not write the audit checkpoint to %s: %s", self.path, error)

    def text(self, start: int = 1) -> str:
        """The file from its line `start` on, as published (empty before the first checkpoint)."""
        try:
            with self.path.open(encoding="utf-8") as handle:
                return "".join(line for number, line in enumerate(handle, start=1) if number >= start)
        except FileNotFoundError:
            return ""


@dataclass
class Claims:
    """What a checkpoint file promises: per chain, length -> (head, when); and what is wrong with the file."""

    chains: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lines: int = 0


def _verify_signature(entry: dict, trusted: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    body = {k: v for k, v in entry.items() if k != "sig"}
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(trusted)).verify(
            base64.b64decode(entry["sig"]), _canonical(body))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


def read_claims(lines: Iterable[bytes], trusted_key: str, source: str) -> Claims:
    """Check a checkpoint file's signatures and links; gather what it claims about each chain."""
    claims = Claims()
    previous = GENESIS
    for number, raw in enumerate((line.rstrip(b"\n") for line in lines), start=1):
        if not raw.strip():
            continue
        claims.lines += 1
        where = f"{source}:{number}"
        try:
            entry = json.loads(raw)
            chains = entry["chains"]
        except (ValueError, KeyError, TypeError):
            claims.problems.append(f"{where}: not a checkpoint line")
            continue
        if entry.get("signer") != trusted_key:
            claims.problems.append(f"{where}: signed by key {public_key_id(str(entry.get('signer') or 'AA=='))}, "
                                   f"not by the trusted key {public_key_id(trusted_key)}")
            continue
        if not _verify_signature(entry, trusted_key):
            claims.problems.append(f"{where}: the signature does not match: the line was altered")
            continue
        if entry.get("prev") != previous:
            claims.problems.append(f"{where}: does not follow the line before it: a line was removed or reordered")
        previous = hashlib.sha256(raw).hexdigest()
        for name, state in chains.items():
            claims.chains.setdefault(name, {})[int(state["length"])] = (str(state["head"]), str(entry["at"]))
    return claims


def compare(session, claims: Claims) -> tuple[list[Finding], int]:  # noqa: ANN001 - a Session
    """What the database contradicts in the checkpoints (newest claim of each chain), and how many of its
    chains no checkpoint names (written before checkpoints, or while the file could not be written)."""
    from sqlalchemy import func, select

    from crisisplan.store.admin_chain import CHAIN
    from crisisplan.store.audit_models import AdminEventRow
    from crisisplan.store.models import AuditEventRow, IncidentRow

    findings: list[Finding] = []
    for name, by_length in sorted(claims.chains.items()):
        length = max(by_length)
        head, at = by_length[length]
        if name == CHAIN:
            chain: int | str = CHAIN
            found = session.scalar(select(AdminEventRow.hash).where(AdminEventRow.seq == length))
            have = session.scalar(select(func.count()).select_from(AdminEventRow))
        elif name.startswith("incident:") and name[9:].isdigit():
            chain = int(name[9:])
            if session.get(IncidentRow, chain) is None:
                findings.append(Finding(chain, length, f"the incident is gone from the database; the checkpoint "
                                        f"of {at} saw it with {length} events: it was deleted"))
                continue
            found = session.scalar(select(AuditEventRow.hash).where(AuditEventRow.incident_id == chain,
                                                                    AuditEventRow.seq == length))
            have = session.scalar(select(func.count()).select_from(AuditEventRow)
                                  .where(AuditEventRow.incident_id == chain))
        else:
            continue
        if found is None:
            findings.append(Finding(chain, length, f"the database has {have} events where the checkpoint of {at} "
                                    f"saw {length}: it was rolled back or its newest events deleted"))
        elif found != head:
            findings.append(Finding(chain, length, f"event #{length} is not the one the checkpoint of {at} saw: "
                                    "the chain was rewritten"))
    named = {int(n[9:]) for n in claims.chains if n.startswith("incident:") and n[9:].isdigit()}
    with_events = set(session.scalars(select(AuditEventRow.incident_id).distinct()))
    return findings, len(with_events - named)
