"""Log in and out; who may do what in the console."""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from crisisplan.services.accounts import Account, LoginRefused
from crisisplan.web import accounts

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Log in to use the console."
login_manager.session_protection = "strong"

# Per client address: no more than this many failed logins in the window, whatever the names tried.
IP_FAILURES, IP_WINDOW = 20, 15 * 60


class WebUser(UserMixin):
    def __init__(self, account: Account):
        self.account = account
        self.id = str(account.id)


@login_manager.user_loader
def _load(user_id: str) -> WebUser | None:
    account = accounts().user(int(user_id)) if user_id.isdigit() else None
    return WebUser(account) if account else None


class Throttle:
    """At most `limit` events a key (an address) in `window` seconds."""

    def __init__(self, limit: int = IP_FAILURES, window: float = IP_WINDOW) -> None:
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


throttle = Throttle()


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""),
                               no_users=not accounts().has_users())
    address = request.remote_addr or "?"
    if throttle.blocked(address):
        return render_template("auth/login.html", error="too many failed attempts from your address; "
                               "wait a few minutes", next="", no_users=False), 429
    try:
        account = accounts().authenticate(request.form.get("name", ""), request.form.get("password", ""))
    except LoginRefused as error:
        throttle.fail(address)
        return render_template("auth/login.html", error=str(error), next=request.form.get("next", ""),
                               no_users=False), 401
    login_user(WebUser(account))
    flash(f"Logged in as {account.name} ({account.role}).")
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"))
