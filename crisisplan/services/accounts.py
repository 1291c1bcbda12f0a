"""People and API tokens: who may do what.

Roles are ordered; each one may do what the roles before it may, and more:
viewer reads, responder runs incidents, communicator writes and publishes
posts, approver reviews them, admin manages people and tokens.
Passwords are hashed with scrypt (werkzeug); tokens are random, shown once,
and stored as their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from crisisplan.clock import Clock, SystemClock
from crisisplan.errors import Conflict, CrisisplanError, InvalidInput, NotFound, did_you_mean
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.views import SYSTEM_ACTOR
from crisisplan.store.db import Database
from crisisplan.store.models import TokenRow, UserRow

ROLES = ("viewer", "responder", "communicator", "approver", "admin")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 10
# a hash to check against when the name is unknown, so both cases take as long
_DUMMY_HASH = generate_password_hash("not a password of anyone's", method="scrypt")


class LoginRefused(CrisisplanError):
    """Wrong name or password, or too many attempts; the message never says which name exists."""


@dataclass(frozen=True)
class Account:
    """Who is acting, as the web layer sees it (a person or a token)."""

    id: int
    name: str
    role: str
    via_token: bool = False

    def may(self, role: str) -> bool:
        """Whether this person or token holds the role, or one that may do more."""
        return ROLES.index(self.role) >= ROLES.index(role)


def check_role(role: str) -> str:
    """The role, when it is one crisisplan knows; otherwise say which roles there are."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}'; roles are {', '.join(ROLES)}; " + did_you_mean(role, ROLES),
                           "role")
    return role


class Accounts:
    """The people and API tokens that may use crisisplan: adding them, signing them in, revoking tokens."""

    def __init__(self, db: Database, clock: Clock | None = None):
        self.db = db
        self.clock = clock or SystemClock()

    def note_admin(self, session: Session, actor: str, action: str, /, **payload: Any) -> None:
        """Record an admin action on people or tokens in the admin chain, in the same transaction."""
        note_admin_in(session, self.db, self.clock.now(), actor, action, payload)

    # people ------------------------------------------------------------------
    def has_users(self) -> bool:
        """Whether anybody has an account yet (until then, the first admin has to be created)."""
        with self.db.read() as session:
            return session.scalars(select(UserRow.id).limit(1)).first() is not None

    def add_user(self, name: str, role: str, password: str | None = None,
                 actor: str = SYSTEM_ACTOR) -> tuple[Account, str]:
        """Create a person; returns the account and the password (generated when not given)."""
        name, role = name.strip(), check_role(role)
        if not name:
            raise InvalidInput("a user needs a name", "name")
        password = password or secrets.token_urlsafe(12)
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", "password")
        with self.db.write() as session:
            if session.scalars(select(UserRow).where(UserRow.name == name)).first():
                raise Conflict(f"a user named '{name}' exists already")
            row = UserRow(name=name, role=role, password_hash=generate_password_hash(password, method="scrypt"),
                          created_at=self.clock.now(), failed_logins=0, active=True)
            session.add(row)
            session.flush()
            self.note_admin(session, actor, "user_added", user=row.id, name=row.name, role=row.role)
            return Account(row.id, row.name, row.role), password

    def users(self) -> list[UserRow]:
        """Every person with an account, by name."""
        with self.db.read() as session:
            return list(session.scalars(select(UserRow).order_by(UserRow.name)))

    def user(self, user_id: int) -> Account | None:
        """The person with this id, or None when there is no such person or their account is disabled."""
        with self.db.read() as session:
            row = session.get(UserRow, user_id)
            return Account(row.id, row.name, row.role) if row and row.active else None

    def authenticate(self, name: str, password: str) -> Account:
        """The account for a name and password; throttled after repeated failures."""
        now = self.clock.now()
        refused = LoginRefused("wrong name or password")
        with self.db.write() as session:
            row = session.scalars(select(UserRow).where(UserRow.name == name.strip())).first()
            if row is None or not row.active:
                check_password_hash(_DUMMY_HASH, password)
                raise refused
            if row.locked_until and row.locked_until > now:
                raise LoginRefused(f"too many failed attempts; try again after {_minutes(row.locked_until - now)}")
            if check_password_hash(row.password_hash, password):
                row.failed_logins, row.locked_until = 0, None
                return Account(row.id, row.name, row.role)
            # count the failure: committed when this block ends, then refuse
            row.failed_logins += 1
            if row.failed_logins >= MAX_FAILURES:
                row.failed_logins, row.locked_until = 0, now + LOCKOUT
        raise refused

    # tokens ------------------------------------------------------------------
    def add_token(self, name: str, role: str, actor: str = SYSTEM_ACTOR) -> tuple[int, str]:
        """A new API token: (id, the token). The token is not kept and cannot be shown again."""
        role = check_role(role)
        if not name.strip():
            raise InvalidInput("a token needs a name that says who uses it", "name")
        token = "cp_" + secrets.token_urlsafe(32)
        with self.db.write() as session:
            row = TokenRow(name=name.strip(), role=role, token_hash=_digest(token), created_at=self.clock.now(),
                           revoked=False)
            session.add(row)
            session.flush()
            self.note_admin(session, actor, "token_added", token=row.id, name=row.name, role=row.role)
            return row.id, token

    def revoke_token(self, token_id: int, actor: str = SYSTEM_ACTOR) -> None:
        """Stop an API token from working, for good."""
        with self.db.write() as session:
            row = session.get(TokenRow, token_id)
            if row is None:
                raise NotFound(f"no token {token_id}")
            row.revoked = True
            self.note_admin(session, actor, "token_revoked", token=row.id, name=row.name)

    def tokens(self) -> list[TokenRow]:
        """Every API token made, revoked ones too, oldest first (never the token itself: it is not kept)."""
        with self.db.read() as session:
            return list(session.scalars(select(TokenRow).order_by(TokenRow.id)))

    def token_account(self, token: str) -> Account | None:
        """Who an API token acts as, or None when the token is unknown or revoked."""
        with self.db.read() as session:
            row = session.scalars(select(TokenRow).where(TokenRow.token_hash == _digest(token))).first()
            if row is None or row.revoked:
                return None
            return Account(row.id, f"token:{row.name}", row.role, via_token=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _minutes(delta: timedelta) -> str:
    return f"{max(1, round(delta.total_seconds() / 60))} minute(s)"
