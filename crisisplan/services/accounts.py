"""People and API tokens: who may do what.

Roles are ordered; each one may do what the roles before it may, and more:
viewer reads, responder runs incidents, communicator writes and publishes
posts, approver reviews them, admin manages people and tokens.
Passwords are hashed with scrypt (werkzeug); tokens are random, shown once,
and stored as their SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from crisisplan.clock import Clock, SystemClock
from crisisplan.errors import Conflict, InvalidInput, NotFound
from crisisplan.services import logins
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.identity import (
    REFUSED,
    ROLES,
    Account,
    AddressRefused,
    LoginRefused,
    check_password,
    check_role,
    new_nonce,
)
from crisisplan.services.people import PeopleAdmin
from crisisplan.services.sso import SsoAccounts
from crisisplan.services.views import SYSTEM_ACTOR
from crisisplan.store.db import Database
from crisisplan.store.models import TokenRow, UserRow

__all__ = ["REFUSED", "ROLES", "Account", "Accounts", "AddressRefused", "LoginRefused", "check_password",
           "check_role"]
# a hash to check against when the name is unknown (or has no password), so every answer takes as long
_DUMMY_HASH = generate_password_hash("not a password of anyone's", method="scrypt")

class Accounts(PeopleAdmin, SsoAccounts):
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
        password = check_password(password or secrets.token_urlsafe(12))
        with self.db.write() as session:
            if session.scalars(select(UserRow).where(UserRow.name == name)).first():
                raise Conflict(f"a user named '{name}' exists already")
            row = UserRow(name=name, role=role, password_hash=generate_password_hash(password, method="scrypt"),
                          created_at=self.clock.now(), active=True, session_nonce=new_nonce())
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
            return (Account(row.id, row.name, row.role, session=row.session_nonce, locale=row.locale)
                    if row and row.active else None)

    def set_locale(self, user_id: int, locale: str, known: list[str]) -> None:
        """The language a person reads the console in: one of the plan's `known` locales, or "" for the
        browser's choice."""
        if locale and locale not in known:
            raise InvalidInput(f"'{locale[:16]}' is not a language of the plan ({', '.join(known)})", "locale")
        with self.db.write() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                raise NotFound("no such person")
            row.locale = locale

    def session_account(self, user_id: int, nonce: str) -> Account | None:
        """Who a session cookie stands for: None when the person is gone or disabled, or the session
        was ended (logout, new password, new role) since the cookie was made."""
        account = self.user(user_id)
        if account is None or not account.session or not hmac.compare_digest(account.session, nonce):
            return None
        return account

    def end_sessions(self, user_id: int) -> None:
        """Log this person out everywhere: every cookie made before stops working."""
        with self.db.write() as session:
            row = session.get(UserRow, user_id)
            if row is not None:
                row.session_nonce = new_nonce()

    def authenticate(self, name: str, password: str, address: str = "") -> Account:
        """The account for a name and password typed at `address`.

        Every failure, whatever it is (unknown name, wrong password, disabled, waiting after
        failures), gets the same words and checks one password hash, so neither the answer
        nor its time tells which names exist.
        """
        now, name = self.clock.now(), name.strip()
        with self.db.read() as session:
            until = logins.blocked(session, logins.address_key(address), now)
            if until is not None:
                raise AddressRefused(until)
            waiting = logins.blocked(session, logins.pair_key(name, address), now) is not None
            row = session.scalars(select(UserRow).where(UserRow.name == name)).first()
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        matches = check_password_hash(stored, password) and stored is not _DUMMY_HASH
        with self.db.write() as session:
            current = session.get(UserRow, row.id) if matches and row is not None else None
            if current is not None and current.active and not waiting:
                logins.succeed(session, name, address)
                current.session_nonce = current.session_nonce or new_nonce()
                return Account(current.id, current.name, current.role, session=current.session_nonce)
            if not waiting:  # a try while waiting is not counted: the wait would only grow for its owner
                logins.fail(session, name, address, now)
        raise LoginRefused(REFUSED)

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
