"""Log in and out; who may do what in the console."""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from crisisplan.services.accounts import Account, AddressRefused, LoginRefused
from crisisplan.web import accounts
from crisisplan.web.vocabulary import say

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to use the console."
login_manager.session_protection = "strong"


class WebUser(UserMixin):
    def __init__(self, account: Account):
        self.account = account
        # the cookie carries the id and the person's session nonce: a new nonce logs every old cookie out
        self.id = f"{account.id}:{account.session}"


@login_manager.user_loader
def _load(user_id: str) -> WebUser | None:
    number, _, nonce = user_id.partition(":")
    if not number.isdigit() or len(number) > 18 or not nonce:
        return None
    account = accounts().session_account(int(number), nonce)
    return WebUser(account) if account else None


class Throttle:
    """At most `limit` events a key (an address) in `window` seconds, in this process (public subscriptions)."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        with self._lock:
            recent = self._failures.get(key, deque())
            while recent and recent[0] < time.monotonic() - self.window:
                recent.popleft()
            return len(recent) >= self.limit

    def fail(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, deque()).append(time.monotonic())


def sign_in(account: Account) -> None:
    """Start a session for a person who proved who they are (password or identity provider)."""
    login_user(WebUser(account))
    flash(_("Logged in as %(name)s (%(role)s).", name=account.name, role=say(account.role)))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)

    @app.before_request
    def _who() -> None:
        # The public page never touches the session: no cookie, no `Vary: Cookie`, one cached copy for all.
        if request.blueprint in ("console", "auth") and current_user.is_authenticated:
            g.account = current_user.account


def require(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only people logged in with `role` or a higher one."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.account.may(role):
                abort(403, f"this needs the {role} role; you are {current_user.account.role}")
            return view(*args, **kwargs)

        guarded.required_role = role  # type: ignore[attr-defined]  # read by the route-access test
        return guarded

    return wrap


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("console.dashboard")


def _form(error: str = "", status: int = 200) -> Any:
    return render_template("auth/login.html", error=error, next=request.values.get("next", ""),
                           no_users=not error and not accounts().has_users(),
                           passwords=current_app.config.get("LOCAL_PASSWORDS", True),
                           sso=current_app.config.get("OIDC_LABEL") if "oidc" in current_app.extensions else None
                           ), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    # Only a POST logs in: GET and HEAD (Flask answers HEAD with this view; monitors send it) show the form.
    if request.method != "POST":
        return _form()
    if not current_app.config.get("LOCAL_PASSWORDS", True):
        return _form("Passwords are turned off here: sign in through your organisation's identity provider.",
                     403)
    try:
        account = accounts().authenticate(request.form.get("name", ""), request.form.get("password", ""),
                                          request.remote_addr or "")
    except AddressRefused as refused:
        response = current_app.make_response(_form(str(refused), 429))
        response.headers["Retry-After"] = str(max(1, int((refused.until - accounts().clock.now())
                                                         .total_seconds())))
        return response
    except LoginRefused as error:
        return _form(str(error), 401)
    sign_in(account)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    # ends every session of this person, not only this cookie: a copied cookie dies with it
    if current_user.is_authenticated:
        accounts().end_sessions(current_user.account.id)
    logout_user()
    return redirect(url_for("auth.login"))
