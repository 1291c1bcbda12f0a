"""People signed in by the organisation's identity provider (OpenID Connect): their role from a claim.

The web layer runs the protocol (authlib: authorization code flow with PKCE, the ID token checked);
this module decides who that is here. A person is known by the provider's issuer and subject, never
by a name alone, so an account at the provider cannot take over a local account that has the same
name. Their role follows the provider's groups at every sign-in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from crisisplan.clock import Clock
from crisisplan.errors import CrisisplanError, InvalidInput
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.identity import ROLES, Account, check_role, new_nonce
from crisisplan.store.db import Database
from crisisplan.store.models import UserRow


class SsoRefused(CrisisplanError):
    """The identity provider signed somebody in whom crisisplan does not let in; the message says why."""


def parse_role_map(text: str) -> dict[str, str]:
    """`group=role,group=role` (the CRISISPLAN_OIDC_ROLES setting) as a mapping, each role checked."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        group, sep, role = item.rpartition("=")
        if not sep or not group.strip():
            raise InvalidInput(f"CRISISPLAN_OIDC_ROLES: '{item}' is not group=role", "CRISISPLAN_OIDC_ROLES")
        mapping[group.strip()] = check_role(role.strip())
    return mapping


def role_from_claims(claims: dict[str, Any], claim: str, mapping: dict[str, str]) -> str | None:
    """The highest role any of the person's groups (the `claim`: a list, or one string) maps to."""
    values = claims.get(claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return None
    roles = [mapping[value] for value in values if isinstance(value, str) and value in mapping]
    return max(roles, key=ROLES.index) if roles else None


def display_name(claims: dict[str, Any]) -> str:
    """The name a person shows under here: their user name at the provider, else e-mail, else subject."""
    for key in ("preferred_username", "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    raise SsoRefused("the identity provider named nobody (no subject in the ID token)")


class SsoAccounts:
    """Sign-in through the identity provider: find or create the person, keep their role in step."""

    db: Database
    clock: Clock

    def sso_login(self, issuer: str, subject: str, name: str, role: str) -> Account:
        """The account of the provider's person `subject`, created on first sign-in; their role updated."""
        key, actor, now = f"{issuer}|{subject}", f"sso:{issuer}", self.clock.now()
        check_role(role)
        with self.db.write() as session:
            row = session.scalars(select(UserRow).where(UserRow.sso_subject == key)).first()
            if row is None:
                if session.scalars(select(UserRow.id).where(UserRow.name == name)).first() is not None:
                    raise SsoRefused(f"an account named '{name}' exists here already and is not linked to your "
                                     "identity provider account; ask an admin to remove or rename it")
                row = UserRow(name=name, role=role, password_hash="", created_at=now, active=True,
                              session_nonce=new_nonce(), sso_subject=key)
                session.add(row)
                session.flush()
                note_admin_in(session, self.db, now, actor, "user_added",
                              {"user": row.id, "name": name, "role": role, "via": "sso"})
            elif not row.active:
                raise SsoRefused("your account here is disabled; ask an admin")
            elif row.role != role:
                note_admin_in(session, self.db, now, actor, "user_role_changed",
                              {"user": row.id, "name": row.name, "before": row.role, "role": role, "via": "sso"})
                row.role, row.session_nonce = role, new_nonce()
            row.session_nonce = row.session_nonce or new_nonce()
            return Account(row.id, row.name, row.role, session=row.session_nonce)
