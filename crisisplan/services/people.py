"""Managing people: disable, enable, remove, change a role or a password; each one an admin action on record.

Whatever takes a person's rights away or changes how they sign in also ends their sessions (a new
session nonce), so a cookie made before stops working at once. The last active admin cannot be
disabled, removed or demoted: somebody must be left to manage people.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from crisisplan.clock import Clock
from crisisplan.errors import Conflict, InvalidInput, NotFound, did_you_mean
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.identity import check_password, check_role, new_nonce
from crisisplan.store.db import Database
from crisisplan.store.models import UserRow


class PeopleAdmin:
    """What an admin does to people's accounts (the CLI's `user …` commands and the console People page)."""

    db: Database
    clock: Clock

    def _note(self, session: Session, actor: str, action: str, /, **payload: Any) -> None:
        """Record the change in the admin audit chain, in the change's own transaction (all or nothing)."""
        note_admin_in(session, self.db, self.clock.now(), actor, action, payload)

    def disable_user(self, name: str, actor: str) -> None:
        """Keep a person out: they cannot log in, and every session they have ends now."""
        with self.db.write() as session:
            row = _person(session, name)
            _keep_an_admin(session, row, "disable")
            row.active, row.session_nonce = False, new_nonce()
            self._note(session, actor, "user_disabled", user=row.id, name=row.name)

    def enable_user(self, name: str, actor: str) -> None:
        """Let a disabled person log in again."""
        with self.db.write() as session:
            row = _person(session, name)
            row.active = True
            self._note(session, actor, "user_enabled", user=row.id, name=row.name)

    def remove_user(self, name: str, actor: str) -> None:
        """Delete a person's account; their id is never given to anybody else."""
        with self.db.write() as session:
            row = _person(session, name)
            _keep_an_admin(session, row, "remove")
            self._note(session, actor, "user_removed", user=row.id, name=row.name, role=row.role)
            session.delete(row)

    def set_role(self, name: str, role: str, actor: str) -> None:
        """Give a person another role; their sessions end, so the new role holds from the next login."""
        role = check_role(role)
        with self.db.write() as session:
            row = _person(session, name)
            if role != "admin":
                _keep_an_admin(session, row, "demote")
            before = row.role
            row.role, row.session_nonce = role, new_nonce()
            self._note(session, actor, "user_role_changed", user=row.id, name=row.name, before=before, role=role)

    def set_password(self, name: str, password: str | None, actor: str) -> str:
        """Give a person a new password (generated when not given, and returned); their sessions end."""
        password = check_password(password or secrets.token_urlsafe(12))
        with self.db.write() as session:
            row = _person(session, name)
            if row.sso_subject:
                raise InvalidInput(f"{row.name} signs in through the identity provider and has no password "
                                   "here to change", "name")
            row.password_hash = generate_password_hash(password, method="scrypt")
            row.session_nonce = new_nonce()
            # never the password, nor its hash: only that it changed
            self._note(session, actor, "user_password_changed", user=row.id, name=row.name)
        return password


def _person(session: Session, name: str) -> UserRow:
    row = session.scalars(select(UserRow).where(UserRow.name == name.strip()).with_for_update()).first()
    if row is None:
        names = list(session.scalars(select(UserRow.name)))
        raise NotFound(f"no user named '{name.strip()}'; " + did_you_mean(name, names))
    return row


def _keep_an_admin(session: Session, row: UserRow, what: str) -> None:
    """Refuse to leave nobody who can manage people."""
    if row.role != "admin" or not row.active:
        return
    others = session.scalar(select(func.count()).select_from(UserRow).where(
        UserRow.role == "admin", UserRow.active.is_(True), UserRow.id != row.id))
    if not others:
        raise Conflict(f"{row.name} is the last active admin; cannot {what} them until somebody else is admin")
