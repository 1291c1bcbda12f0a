"""Sign-in with the organisation's identity provider (OpenID Connect, authorization code flow with PKCE).

Settings (environment, or the same keys without `CRISISPLAN_` in the app's config):
`CRISISPLAN_OIDC_ISSUER`, `CRISISPLAN_OIDC_CLIENT_ID`, `CRISISPLAN_OIDC_CLIENT_SECRET`,
`CRISISPLAN_OIDC_ROLES` (`group=role,…`), `CRISISPLAN_OIDC_ROLE_CLAIM` (default `groups`),
`CRISISPLAN_OIDC_SCOPE` (default `openid profile email`), `CRISISPLAN_OIDC_LABEL` (the button's words),
`CRISISPLAN_OIDC_REDIRECT_URI` (default: this site's `/login/sso/callback`), and
`CRISISPLAN_LOCAL_PASSWORDS=off` to refuse passwords altogether.

authlib keeps the state, the nonce and the PKCE verifier in the session and checks the ID token
(signature from the provider's keys, issuer, audience, expiry, nonce).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, request, session, url_for
from joserfc.errors import JoseError

from crisisplan.errors import CrisisplanError
from crisisplan.services.sso import SsoRefused, display_name, parse_role_map, role_from_claims
from crisisplan.web import CSP, accounts
from crisisplan.web.auth import _form, _safe_next, bp, sign_in

SETTINGS = {"OIDC_ISSUER": "", "OIDC_CLIENT_ID": "", "OIDC_CLIENT_SECRET": "", "OIDC_ROLES": "",
            "OIDC_ROLE_CLAIM": "groups", "OIDC_SCOPE": "openid profile email", "OIDC_LABEL": "single sign-on",
            "OIDC_REDIRECT_URI": "", "LOCAL_PASSWORDS": "on"}


def init_app(app: Flask) -> None:
    """Read the settings; when an issuer is set, register the provider (its metadata is read on first use)."""
    for key, default in SETTINGS.items():
        app.config.setdefault(key, os.environ.get(f"CRISISPLAN_{key}", default))
    if isinstance(app.config["LOCAL_PASSWORDS"], str):
        app.config["LOCAL_PASSWORDS"] = app.config["LOCAL_PASSWORDS"].strip().lower() not in ("off", "0", "no",
                                                                                                "false")
    issuer = app.config["OIDC_ISSUER"].rstrip("/")
    if not issuer:
        if not app.config["LOCAL_PASSWORDS"]:
            raise CrisisplanError("CRISISPLAN_LOCAL_PASSWORDS=off needs an identity provider "
                                  "(CRISISPLAN_OIDC_ISSUER): nobody could log in")
        return
    missing = [f"CRISISPLAN_{key}" for key in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not app.config[key]]
    if missing:
        raise CrisisplanError(f"CRISISPLAN_OIDC_ISSUER is set but {' and '.join(missing)} not")
    app.config["OIDC_ROLE_MAP"] = parse_role_map(app.config["OIDC_ROLES"])
    oauth = OAuth(app)
    app.extensions["oidc"] = oauth.register(
        "oidc", client_id=app.config["OIDC_CLIENT_ID"], client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": app.config["OIDC_SCOPE"], "code_challenge_method": "S256", "timeout": 10})
    app.config["OIDC_ISSUER"] = issuer


@bp.after_request
def _allow_the_provider(response: Any) -> Any:
    """The login form's POST is answered with a redirect to the provider: CSP's form-action must allow it."""
    issuer = current_app.config.get("OIDC_ISSUER")
    if issuer and "oidc" in current_app.extensions and request.endpoint in ("auth.login", "auth.sso_start"):
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(issuer))
        response.headers["Content-Security-Policy"] = CSP.replace("form-action 'self'",
                                                                  f"form-action 'self' {origin}")
    return response


def _client() -> Any:
    client = current_app.extensions.get("oidc")
    if client is None:
        abort(404)
    return client


@bp.route("/login/sso", methods=["POST"])
def sso_start() -> Any:
    """Off to the identity provider (a POST with the form's CSRF token: no page elsewhere can start it)."""
    session["sso_next"] = _safe_next(request.form.get("next"))
    redirect_uri = current_app.config["OIDC_REDIRECT_URI"] or url_for("auth.sso_callback", _external=True)
    try:
        return _client().authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, KeyError) as error:
        current_app.logger.warning("identity provider unreachable: %s", error)
        return _form("The identity provider cannot be reached just now; try again in a minute.", 502)


@bp.route("/login/sso/callback")
def sso_callback() -> Any:
    """Back from the identity provider: check what it says, then sign the person in with their mapped role."""
    client, config = _client(), current_app.config
    try:
        token = client.authorize_access_token(claims_options={"iss": {"essential": True,
                                                                      "values": [config["OIDC_ISSUER"]]}})
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise SsoRefused("the identity provider sent no ID token")
        if client.load_server_metadata().get("userinfo_endpoint"):
            # providers that follow OIDC Core strictly give the scope's claims (groups) only here
            extra = dict(client.userinfo(token=token))
            if extra.get("sub") == claims["sub"]:
                claims = {**extra, **claims}
    except (AuthlibBaseError, JoseError, requests.RequestException, SsoRefused) as error:
        current_app.logger.warning("sign-in through the identity provider failed: %s", error)
        return _form(f"The identity provider did not sign you in ({_why(error)}).", 401)
    role = role_from_claims(claims, config["OIDC_ROLE_CLAIM"], config["OIDC_ROLE_MAP"])
    if role is None:
        return _form("Your account at the identity provider is in no group that may use crisisplan; "
                     "ask an admin.", 403)
    try:
        account = accounts().sso_login(config["OIDC_ISSUER"], str(claims["sub"]), display_name(claims), role)
    except SsoRefused as error:
        return _form(str(error), 403)
    sign_in(account)
    return redirect(session.pop("sso_next", None) or url_for("console.dashboard"))


def _why(error: Exception) -> str:
    if isinstance(error, AuthlibBaseError) and getattr(error, "error", None):
        return str(error.error)
    return type(error).__name__ if not isinstance(error, SsoRefused) else str(error)
