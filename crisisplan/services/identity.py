"""Who is acting, the roles there are, and what a refused login says: shared by the account modules."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from crisisplan.errors import CrisisplanError, InvalidInput, did_you_mean

ROLES = ("viewer", "responder", "communicator", "approver", "admin")
MIN_PASSWORD = 10
# every failed login gets these words, whatever failed: they never say whether a name exists
REFUSED = "Login failed: wrong name or password, or too many attempts. Wait a few minutes and try again."


class LoginRefused(CrisisplanError):
    """The login failed; the message never says why, so it never says which names exist."""


class AddressRefused(LoginRefused):
    """Too many failed logins from this address, whatever the names: refused until the window ends."""

    def __init__(self, until: datetime):
        self.until = until
        super().__init__(REFUSED)


@dataclass(frozen=True)
class Account:
    """Who is acting, as the web layer sees it (a person or a token)."""

    id: int
    name: str
    role: str
    via_token: bool = False
    # the person's current session nonce: a cookie that carries another one is logged out
    session: str = ""
    locale: str = ""  # the console's language this person chose ("": the browser's, else the plan's default)

    def may(self, role: str) -> bool:
        """Whether this person or token holds the role, or one that may do more."""
        return ROLES.index(self.role) >= ROLES.index(role)


def check_role(role: str) -> str:
    """The role, when it is one crisisplan knows; otherwise say which roles there are."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}'; roles are {', '.join(ROLES)}; " + did_you_mean(role, ROLES),
                           "role")
    return role


def check_password(password: str) -> str:
    """The password, when it is long enough to keep."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters", "password")
    return password


def new_nonce() -> str:
    """A fresh session nonce: every cookie that carries the old one stops working."""
    return secrets.token_hex(16)
