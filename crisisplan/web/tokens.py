"""Who calls an API: the token in the `Authorization` header, checked the same way for every API.

The REST API takes `Bearer <token>`; the Statuspage-compatible API takes `OAuth <token>` as well.
A refusal raises `Unauthenticated` (401) or `Forbidden` (403) from `crisisplan.web.errors`, which
each API answers in its own shape. The Alertmanager hook checks one shared secret with `carries`.
"""

from __future__ import annotations

import hmac

from flask import g, request

from crisisplan.services.accounts import Account
from crisisplan.web import accounts
from crisisplan.web.errors import Forbidden, Unauthenticated


def presented(schemes: tuple[str, ...] = ("Bearer",)) -> str | None:
    """The token the request sends in one of `schemes`, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme in schemes and token else None


def authenticate(role: str, schemes: tuple[str, ...] = ("Bearer",)) -> Account:
    """The account of the request's API token, if it has `role` or a higher one; it is `g.account` from now on."""
    token = presented(schemes)
    if token is None:
        raise Unauthenticated(f"send a token: Authorization: {schemes[0]} <token> "
                              "(crisisplan token add NAME --role ROLE)")
    account = accounts().token_account(token)
    if account is None:
        raise Unauthenticated("unknown or revoked token")
    if not account.may(role):
        raise Forbidden(f"this needs the {role} role; the token has {account.role}")
    g.account = account
    return account


def carries(secret: str) -> bool:
    """Whether the request sends `Authorization: Bearer <secret>` (compared in constant time)."""
    token = presented()
    return token is not None and hmac.compare_digest(token.encode(), secret.encode())
