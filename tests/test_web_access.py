"""Every route of the app: anonymous visitors and the wrong role are refused everywhere but the public parts."""

from __future__ import annotations

import re

import pytest

from crisisplan.services.accounts import ROLES
from tests.web import csrf, login

PUBLIC = {"public.status_page", "public.incident_page", "public.history", "static", "auth.login", "auth.logout",
          "api.openapi", "public.favicon",
          "feeds.page_feed", "feeds.incident_feed", "cap.cap_index", "cap.cap_alert", "subscribe.form",
          "subscribe.ask", "subscribe.confirm", "subscribe.leave",
          "hooks.alertmanager",  # its own token from the environment: tests/test_alertmanager.py
          "checkpoints.checkpoints", "checkpoints.public_key",  # public when published: tests/test_audit_anchor.py
          "maintenance.ics", "uptime.uptime_json",  # the windows' calendar, the uptime JSON: tests/test_maintenance.py
          "auth.sso_start", "auth.sso_callback"}  # signing in through the identity provider: tests/test_sso.py
SAMPLE = {"incident_id": "1", "post_id": "1", "runbook_id": "outage", "name": "en/update.md.j2",
          "filename": "style.css", "token": "t0ken", "message_id": "1", "page_id": "p", "component_id": "c",
          "signal_id": "1", "channel": "email", "action_id": "1"}
TOKEN_GUARDED = ("api.", "manageapi.")  # bearer / OAuth tokens, no session


def routes(app) -> list[tuple[str, str, str]]:
    result = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            result.append((rule.endpoint, method, path))
    return result


@pytest.fixture
def seeded(services) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana", ["checkout"])
    assert view.id == 1 and services.posts(1)[0].id == 1


def public(endpoint: str) -> bool:
    return endpoint in PUBLIC or endpoint.startswith("statusapi.")  # the Statuspage-shaped public JSON


def test_every_route_is_known(app) -> None:
    endpoints = {e for e, _, _ in routes(app)}
    for endpoint in {e for e in endpoints if not public(e)}:
        view = app.view_functions[endpoint]
        assert endpoint.startswith("api.") or getattr(view, "required_role", None) in ROLES, endpoint


def test_anonymous_visitors_get_only_the_public_parts(app, client, seeded) -> None:
    token = csrf(client)  # a valid form token: what refuses is the missing login, not the missing token
    for endpoint, method, path in routes(app):
        if public(endpoint):
            continue
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        if endpoint.startswith("api."):
            assert response.status_code == 401, (method, path)
            assert response.get_json()["error"]["code"] == "unauthenticated"
        elif endpoint.startswith("manageapi."):  # Statuspage's error shape
            assert response.status_code == 401 and "OAuth" in response.get_json()["error"], (method, path)
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], (method, path)


def test_each_role_restricted_route_refuses_the_role_below(app, client, seeded) -> None:
    by_role = {"viewer": "vera", "responder": "rudi", "communicator": "carmen", "approver": "lena", "admin": "ada"}
    checked = 0
    for endpoint, method, path in routes(app):
        if public(endpoint) or endpoint.startswith(TOKEN_GUARDED):
            continue
        needed = app.view_functions[endpoint].required_role
        if needed == "viewer":
            continue
        below = ROLES[ROLES.index(needed) - 1]
        login(client, by_role[below])
        response = client.open(path, method=method, data={"csrf_token": csrf(client, "/console/")})
        assert response.status_code == 403, (below, method, path, response.status_code)
        checked += 1
    assert checked >= 15


def test_each_api_route_refuses_the_role_below(app, client, services, seeded) -> None:
    from crisisplan.services.accounts import Accounts
    from crisisplan.web.api import OPERATIONS

    tokens = {role: Accounts(services.db).add_token(role, role)[1] for role in ROLES}
    checked = 0
    for path, operations in OPERATIONS.items():
        for method, operation in operations.items():
            if "security" not in operation:
                continue
            needed = re.search(r"the (\w+) role", operation["description"]).group(1)
            url = "/api/v1" + re.sub(r"\{\w+\}", "1", path)
            if needed != "viewer":
                below = ROLES[ROLES.index(needed) - 1]
                response = client.open(url, method=method.upper(), json={},
                                       headers={"Authorization": f"Bearer {tokens[below]}"})
                assert response.status_code == 403, (below, method, url)
                assert response.get_json()["error"]["code"] == "forbidden"
                checked += 1
            bad = client.open(url, method=method.upper(), headers={"Authorization": "Bearer cp_nope"})
            assert bad.status_code == 401
    # every API route that changes something: declare, trigger, fields, signals, draft, edit, confirm-locale,
    # submit, approve, reject, publish
    assert checked == 11


def test_every_page_renders_for_an_admin(app, client, seeded) -> None:
    login(client, "ada")
    pages = 0
    for endpoint, method, path in routes(app):
        if method == "GET" and endpoint.startswith(("console.", "auth.")):
            response = client.get(path)
            # incident 1 is no drill and post 1 is not published: no sandbox, no CAP document
            # and no identity provider configured: no SSO callback
            wanted = 404 if endpoint in ("console.drill_sandbox", "console.post_cap", "auth.sso_callback") else 200
            assert response.status_code == wanted, (path, response.status_code)
            pages += 1
    # login, dashboard, declare, incident (+ diagram, sandbox, injects), timeline (+ .md), post (+ CAP),
    # plan (+ diagram, template), drills, people; review (+ .md, .html, .pdf, .json), actions (+ .csv, .json),
    # metrics (+ .csv); the admin chain (audit); the SSO callback; the inbox; the person's own account (language)
    assert pages == 33
