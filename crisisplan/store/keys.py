"""The audit trail's keys, kept outside the database.

Two kinds: the HMAC-SHA256 keys that key every chain (somebody who can write the
database but not read these cannot forge a chain that verifies), and the Ed25519
key that signs the checkpoints written outside the database.

HMAC keys come from `CRISISPLAN_AUDIT_KEYS` (`id:hex,id:hex`, the first one is
current; for several hosts) or from `<instance>/audit-keys.json`, created on first
use with mode 0600. Rotation adds a new current key and keeps the old ones, so
every event still verifies with the key it names. The signing key is
`CRISISPLAN_AUDIT_SIGNING_KEY` (a PEM file's path) or `<instance>/audit-signing.pem`.
Without an instance folder (a scratch database) the keys live in memory only.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from crisisplan.errors import CrisisplanError

_LOADING = threading.Lock()
KEYS_FILE = "audit-keys.json"
SIGNING_FILE = "audit-signing.pem"


def _create_private(path: Path, content: bytes) -> None:
    """Write a new secret file readable by its owner only; never replaces one that exists (FileExistsError).

    The content goes to a scratch file first and is linked into place whole, so a process starting at the
    same moment never reads a half-written key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(scratch, path)  # atomic, and refuses to replace an existing file
    finally:
        scratch.unlink(missing_ok=True)


def _new_key_id(taken: set[str]) -> str:
    number = len(taken) + 1
    while f"k{number}" in taken:
        number += 1
    return f"k{number}"


@dataclass
class AuditKeys:
    """The keys of one installation: HMAC keys by id (one current) and the checkpoint signing key."""

    instance: Path | None
    hmac_keys: dict[str, bytes] = field(default_factory=dict)
    current: str = ""
    from_environment: bool = False
    _signing: object | None = None
    _public: str = ""

    @classmethod
    def load(cls, instance: Path | None) -> AuditKeys:
        """The keys from the environment, else the instance folder (created on first use), else in memory."""
        keys = cls(instance)
        configured = os.environ.get("CRISISPLAN_AUDIT_KEYS", "").strip()
        if configured:
            keys._parse_environment(configured)
        elif instance is not None:
            keys._load_file(instance / KEYS_FILE)
        else:
            keys.hmac_keys, keys.current = {"scratch": secrets.token_bytes(32)}, "scratch"
        return keys

    def _parse_environment(self, configured: str) -> None:
        for number, item in enumerate(part.strip() for part in configured.split(",") if part.strip()):
            key_id, _, secret = item.partition(":")
            try:
                value = bytes.fromhex(secret)
            except ValueError:
                value = b""
            if not key_id or len(value) < 16:
                raise CrisisplanError("CRISISPLAN_AUDIT_KEYS: each key is ID:HEX with at least 16 bytes "
                                      "(32 hex digits), e.g. k1:$(openssl rand -hex 32)")
            self.hmac_keys[key_id] = value
            if number == 0:
                self.current = key_id
        self.from_environment = True

    def _load_file(self, path: Path) -> None:
        if not path.exists():
            # another process may create it first: then read theirs
            with contextlib.suppress(FileExistsError):
                _create_private(path, json.dumps({"current": "k1", "keys": {"k1": secrets.token_hex(32)}}).encode())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.hmac_keys = {k: bytes.fromhex(v) for k, v in data["keys"].items()}
            self.current = data["current"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CrisisplanError(f"{path}: not a readable audit key file ({error})") from None
        if self.current not in self.hmac_keys:
            raise CrisisplanError(f"{path}: the current key '{self.current}' is not among its keys")

    def key(self, key_id: str) -> bytes | None:
        """The HMAC key with this id, or None when this installation does not know it."""
        return self.hmac_keys.get(key_id)

    def rotate(self) -> str:
        """Make a new HMAC key current, keeping the old ones for the events they signed; returns its id."""
        if self.from_environment or self.instance is None:
            raise CrisisplanError("the audit keys come from CRISISPLAN_AUDIT_KEYS: rotate by putting a new "
                                  "ID:HEX first in that list and keeping the old ones after it")
        path = self.instance / KEYS_FILE
        key_id = _new_key_id(set(self.hmac_keys))
        self.hmac_keys[key_id], self.current = secrets.token_bytes(32), key_id
        data = {"current": key_id, "keys": {k: v.hex() for k, v in self.hmac_keys.items()}}
        scratch = path.with_name(f".{path.name}.rotated.{secrets.token_hex(4)}")
        _create_private(scratch, json.dumps(data).encode())
        os.replace(scratch, path)  # the whole new file, or the old one
        return key_id

    # the checkpoint signing key ------------------------------------------------------------------
    def signing_key(self):  # -> Ed25519PrivateKey
        """The Ed25519 key that signs checkpoints (created on first use in the instance folder)."""

        with _LOADING:  # one key per installation, whichever thread asks first
            if self._signing is None:
                self._signing = self._load_signing_key()
            return self._signing

    def _load_signing_key(self):  # -> Ed25519PrivateKey
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        configured = os.environ.get("CRISISPLAN_AUDIT_SIGNING_KEY", "").strip()
        path = Path(configured) if configured else (self.instance / SIGNING_FILE if self.instance else None)
        if path is None:
            return Ed25519PrivateKey.generate()
        if not path.exists() and not configured:
            fresh = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            with contextlib.suppress(FileExistsError):
                _create_private(path, fresh)
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise CrisisplanError(f"{path}: not a readable Ed25519 private key in PEM ({error})") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise CrisisplanError(f"{path}: the checkpoint signing key must be Ed25519")
        return loaded

    def public_key_text(self) -> str:
        """The checkpoint signing key's public half, base64 of its 32 raw bytes (safe to publish)."""
        from cryptography.hazmat.primitives import serialization

        if not self._public:
            raw = self.signing_key().public_key().public_bytes(serialization.Encoding.Raw,
                                                               serialization.PublicFormat.Raw)
            self._public = base64.b64encode(raw).decode()
        return self._public


def public_key_id(public_key_text: str) -> str:
    """A short name for a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(base64.b64decode(public_key_text)).hexdigest()[:16]
