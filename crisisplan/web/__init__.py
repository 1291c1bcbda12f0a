"""The web app: operator console, public status page, REST API, accounts.

`create_app(config)` builds one app over one plan and one database; every
blueprint calls the same `Services` the CLI uses.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from crisisplan.services import Services, instance_dir
from crisisplan.services.accounts import Accounts
from crisisplan.web import gate

csrf = CSRFProtect()

# What the browser may load: our own files only; no inline script, no frames.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


SESSIONLESS = ("public", "feeds", "statusapi", "cap", "api", "subscribe", "manageapi", "hooks", "checkpoints",
               "maintenance", "uptime")


class _Sessions(SecureCookieSessionInterface):
    """No session on public pages: no cookie and no `Vary: Cookie`, so a CDN keeps one copy for everybody."""

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if request.blueprint in SESSIONLESS or request.endpoint == "static":
            return
        super().save_session(app, session, response)


def _secret_key(instance: Path) -> str:
    """CRISISPLAN_SECRET_KEY, else a random key kept in the instance folder (created once, mode 600)."""
    if os.environ.get("CRISISPLAN_SECRET_KEY"):
        return os.environ["CRISISPLAN_SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    app = Flask(__name__)
    gate.init_app(app)  # first: the blueprints' <int:...> routes take its bounded ids
    app.session_interface = _Sessions()
    services = config.pop("SERVICES", None) or Services.open(
        config.pop("PLAN_DIR", None), config.pop("DATABASE_URL", None), config.pop("CLOCK", None))
    instance = instance_dir(services.plan.root)
    app.config.update(
        SECRET_KEY=config.pop("SECRET_KEY", None) or _secret_key(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure cookies need HTTPS; set CRISISPLAN_SECURE_COOKIES=1 behind TLS (any real deployment)
        SESSION_COOKIE_SECURE=os.environ.get("CRISISPLAN_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session: a long incident must not expire forms
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(config)
    app.config.setdefault("TICK_SECONDS", float(os.environ.get("CRISISPLAN_TICK_SECONDS", "0")))
    app.config.setdefault("PUBLISH_CHECKPOINTS", os.environ.get("CRISISPLAN_PUBLISH_CHECKPOINTS") == "1")
    app.extensions["crisisplan"] = services
    if app.config["TICK_SECONDS"] > 0:
        _start_ticker(app, services, app.config["TICK_SECONDS"])
    app.extensions["accounts"] = Accounts(services.db, services.clock)
    if os.environ.get("CRISISPLAN_TONE_WARM_UP") == "1":  # `crisisplan serve`: the console's first live check is quick
        import threading

        from crisisplan.comms.tone import warm_up
        threading.Thread(target=warm_up, args=(tuple(services.plan.settings.locales),), name="tone-warm-up",
                         daemon=True).start()

    csrf.init_app(app)
    from crisisplan.web import api, auth, cap, console, feeds, hooks, manageapi, public, statusapi, subscribe
    from crisisplan.web.checkpoints import bp as checkpoints_bp
    from crisisplan.web.maintenance import bp as maintenance_bp
    from crisisplan.web.uptime import bp as uptime_bp

    auth.init_app(app)
    from crisisplan.web import i18n  # the console in the reader's language

    i18n.init_app(app)
    from crisisplan.web import sso  # the identity provider's routes, on the auth blueprint

    sso.init_app(app)
    for blueprint in (auth.bp, console.bp, public.bp, subscribe.bp, feeds.bp, statusapi.bp, cap.bp, api.bp,
                      manageapi.bp, hooks.bp, checkpoints_bp, maintenance_bp, uptime_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)  # tokens, not cookies: no CSRF to fear there
    csrf.exempt(subscribe.bp)  # no session to ride on; see subscribe.py
    csrf.exempt(manageapi.bp)  # tokens, like the API
    csrf.exempt(hooks.bp)
    # without organisation.status_url, the hosts the feeds may name (a forged Host is refused, never cached)
    app.config.setdefault("PUBLIC_HOSTS", [h.strip().lower() for h in
                                           os.environ.get("CRISISPLAN_PUBLIC_HOSTS", "").split(",") if h.strip()])
    app.wsgi_app = public.FastPath(  # type: ignore[method-assign]
        app.wsgi_app, lambda: public.cache(app), lambda: not services.plan.settings.organisation.status_url)
    from crisisplan.web import proxy

    proxy.wrap(app, app.config)  # outermost: every layer sees the client's address

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"org": services.plan.settings.organisation, "account": g.get("account")}
    return app


def _start_ticker(app: Flask, services: Services, every: float) -> None:
    """Fire due timers (drafts, reminders, escalations, drill injects, scheduled posts) and deliver the
    outbox beside the web app: what `crisisplan worker` does in its own process.

    Several server processes may all tick: each change locks its incident and checks
    its version, so a timer fires once whoever gets there first.
    """
    import threading
    import time

    def loop() -> None:
        while True:
            time.sleep(every)
            try:
                services.tick()
                while True:  # until the outbox has nothing due: a post to many subscribers is many batches
                    done = services.deliver_due()
                    if not done.delivered + done.retried + done.dead:
                        break
            except Exception:  # noqa: BLE001 - the ticker must outlive any one bad incident
                app.logger.exception("tick failed; trying again in %s s", every)

    threading.Thread(target=loop, name="crisisplan-ticker", daemon=True).start()


def services() -> Services:
    return current_app.extensions["crisisplan"]


def accounts() -> Accounts:
    return current_app.extensions["accounts"]


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"
