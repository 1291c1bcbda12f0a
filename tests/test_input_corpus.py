"""The input gate: a corpus of hostile and odd inputs against every route of the app gives no answer of 500.

Issue 18 failure 6 lists about fifty inputs that answered 500; each is here, with more. Every route comes from
`app.url_map`, called by the role that may use it (an admin's session for the console, an admin token for the
APIs, the Alertmanager secret for the hook), so the inputs reach the code behind the checks. Run it on
PostgreSQL too: `eval "$(bash scripts/postgres.sh start)"` then this file (NUL bytes and long titles differ).
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from flask import got_request_exception

from crisisplan.services.accounts import Accounts
from tests.walk import publish_reviewed
from tests.web import login

HOOK_TOKEN = "corpus-alertmanager-secret"

# ids: beyond what SQLite (2^63) and PostgreSQL (2^31) hold, negative, not ASCII digits
BAD_IDS = [str(2**63), str(2**63 + 1), str(2**31), str(2**31 - 1), str(10**40), "-1", "0", "²", "١٢", "1e3",
           "%00", "9" * 400]

# what any field may receive: every text is tried in every field of every form and JSON body
TEXTS = [
    "", " ", "\x00", "a\x00b", "ctrl\u000bvt\u001bESC", "\ud800", "x\udfffy", "\u202etxt.exe", "zero\u200bwidth",
    "²", "1²", "-1", str(2**63), str(2**64), "1e309", "NaN", "0x10",
    "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "0000-00-00", "2026-02-30T10:00:00Z", "10:99",
    "T" * 301, "T" * 70_000, "é" * 5000, "<script>alert(1)</script>", "{{ 7*7 }}", "' OR 1=1 --",
    "../../etc/passwd", "jörg@example.com", "a@b", "@", "\r\nBcc: x@y.z",
]
# what a JSON value may be where a string (or a number) is expected
VALUES = [None, True, 0, -1, 2**63, 2**64, 10**400, 1.5, float("inf"), [], {}, ["x"], {"a": "b"}, [[[]]]]
KEYS = ["title", "name", "text", "body", "email", "password", "severity", "runbook", "trigger", "field", "value",
        "fields", "components", "component_ids", "status", "comment", "at", "next_update", "next_update_at",
        "publish_at", "item", "done", "role", "person", "locale", "lang", "version", "expected_version", "kind",
        "channel", "reach", "author", "link", "id", "drill", "titles", "translations", "scenario", "speed",
        "incident", "component", "metadata", "impact_override", "short", "query", "csv", "action", "reason",
        "alerts", "groupKey", "groupLabels", "commonLabels", "message_id", "token", "fields-impact", "cause",
        "remove", "limit", "page", "all", "q", "when", "override", "decision", "scenario_id", "label", "count"]


def _encoded(values: dict[str, str]) -> str:
    """A form or query string as a client would send it, lone surrogates as their (invalid) UTF-8 bytes."""
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in values.items())


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def corpus_app(app, services, monkeypatch):
    monkeypatch.setenv("CRISISPLAN_ALERTMANAGER_TOKEN", HOOK_TOKEN)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer to count here, not a crash of the test
    app.logger.disabled = True  # the failures list names each one
    from crisisplan.web import auth

    if hasattr(auth, "throttle"):  # hundreds of refused logins here must not lock the tests that follow out
        monkeypatch.setattr(auth, "throttle", type(auth.throttle)())
    _, token = Accounts(services.db, services.clock).add_token("corpus", "admin")
    view = services.declare("outage", "sev2", "Checkout fails", "rudi", ["checkout"])
    post = services.posts(view.id)[0]
    publish_reviewed(services, post.id)
    return app, token, view.id, post.id


def _routes(app):
    """Every route and method; logging out comes last, so the session holds for the others."""
    rules = sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"),
                   key=lambda r: r.endpoint == "auth.logout")
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule, ids: dict[str, str], page_id: str, default: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(2)
        return {"page_id": page_id}.get(name) or ids.get(name, default)

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule.rule)


def _headers(rule, token: str) -> dict[str, str]:
    if rule.rule.startswith("/hooks/"):
        return {"Authorization": f"Bearer {HOOK_TOKEN}"}
    if rule.rule.startswith("/v1/"):
        return {"Authorization": f"OAuth {token}"}
    if rule.rule.startswith("/api/v1"):
        return {"Authorization": f"Bearer {token}"}
    return {}


def _csrf(client) -> str:
    page = client.get("/console/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


class Calls:
    def __init__(self, client, token: str, incident: int, post: int, page_id: str):
        self.client, self.token, self.page_id = client, token, page_id
        self.ids = {"incident_id": str(incident), "post_id": str(post), "message_id": "1", "signal_id": "1",
                    "runbook_id": "outage", "name": "en/acknowledge.md.j2", "token": "x", "channel": "email",
                    "component_id": "x", "filename": "x"}
        self.failures: list[str] = []
        self.count = 0
        self.errors: list[str] = []
        got_request_exception.connect(self._crashed, client.application, weak=False)

    def _crashed(self, _sender, exception: BaseException, **_extra) -> None:
        self.errors.append(f"{type(exception).__name__}: {str(exception)[:160]}")

    def call(self, rule, method: str, url: str, **kwargs) -> None:
        headers = {**_headers(rule, self.token), **kwargs.pop("headers", {})}
        answer = self.client.open(url, method=method, headers=headers, **kwargs)
        self.count += 1
        if answer.status_code >= 500:
            what = kwargs.get("data") or kwargs.get("json")
            error = self.errors[-1] if self.errors else ""
            self.failures.append(f"{method} {url[:80]} {str(what)[:100]!r} -> {answer.status_code} {error}")
        if url.startswith("/console/") and "/login" in answer.headers.get("Location", ""):
            self.failures.append(f"{method} {url[:80]} -> sent to the login page: the input never reached the view")
        if url.startswith(("/api/", "/v1/")) and answer.status_code >= 400 and not answer.is_json:
            self.failures.append(f"{method} {url[:80]} -> {answer.status_code} in {answer.content_type}, not JSON")
        answer.close()


def test_no_input_in_the_corpus_gets_a_500_from_any_route(corpus_app) -> None:
    app, token, incident, post = corpus_app
    client = app.test_client()
    login(client, "ada")
    page_id = client.get("/api/v2/summary.json").get_json()["page"]["id"]
    calls = Calls(client, token, incident, post, page_id)
    csrf = _csrf(client)
    routes = list(_routes(app))
    assert len(routes) > 80  # the whole app, not a handful

    # every id a path can carry
    for rule, method in routes:
        for name in rule.arguments:
            for bad in BAD_IDS:
                url = _url(rule, {**calls.ids, name: bad}, page_id, "1")
                calls.call(rule, method, url, data={"csrf_token": csrf} if method != "GET" else None)

    # every text and every JSON value in every field, as a form and as JSON
    for rule, method in routes:
        url = _url(rule, calls.ids, page_id, "1")
        if method == "GET":
            for text in TEXTS[:20]:
                calls.call(rule, method, url, query_string=_encoded({k: text for k in KEYS[:30]}))
            continue
        for text in TEXTS:
            calls.call(rule, method, url, data=_encoded({"csrf_token": csrf, **{k: text for k in KEYS}}),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
            calls.call(rule, method, url, json={k: text for k in KEYS})
            calls.call(rule, method, url, json={"incident": {k: text for k in KEYS},
                                                "component": {k: text for k in KEYS}})
        for value in VALUES:
            calls.call(rule, method, url, data=json.dumps({k: value for k in KEYS}),
                       headers={"Content-Type": "application/json"})
            calls.call(rule, method, url, json={"incident": {k: value for k in KEYS},
                                                "metadata": {"crisisplan": {k: value for k in KEYS}}})
        for raw in (_deep(1000), _deep(100_000), '{"a":' * 1000 + "1" + "}" * 1000, '"\\ud800"', "{", "\xff\xfe",
                    '{"title": "x\\u0000y"}', '{"fields": {"\\u0000": "x"}}'):
            calls.call(rule, method, url, data=raw, headers={"Content-Type": "application/json"})
    assert calls.count > 5000
    kinds = sorted({f"{f.split()[0]} {f.split()[1][:40]} {f.split(' -> ')[-1][:90]}" for f in calls.failures})
    assert calls.failures == [], f"{len(calls.failures)} answers of 500, of {len(kinds)} kinds:\n" + "\n".join(kinds)


def test_large_bodies_are_refused_plainly(corpus_app) -> None:
    """A CSV field over 128 KB, 1.9 MB to the linter from the lowest role, 3 MB to the API (413 in JSON)."""
    app, token, _incident, _post = corpus_app
    client = app.test_client()
    login(client, "ada")
    csrf = _csrf(client)
    field = "x" * (200 * 1024)
    answer = client.post("/console/signals/import", data={
        "csrf_token": csrf, "csv": f"channel,text,author\nemail,{field},someone\n"})
    assert answer.status_code < 500
    login(client, "vera")  # the lowest role may lint
    answer = client.post("/console/lint", json={"text": "We are sorry. " * 140_000, "kind": "acknowledge"},
                         headers={"X-CSRFToken": _csrf(client)})
    assert answer.status_code == 422 and answer.get_json()["error"]["field"] == "text"
    answer = client.post("/api/v1/incidents", data="x" * (3 * 1024 * 1024),
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.is_json and answer.get_json()["error"]["code"] == "too_large"


def test_unknown_api_routes_answer_the_documented_json_error(corpus_app) -> None:
    app, token, _incident, _post = corpus_app
    client = app.test_client()
    for path in ("/api/v1/nothing", "/api/v1/incidents/1/nothing", "/api/v1/incidents/%C2%B2"):
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 404 and answer.is_json, path
        assert set(answer.get_json()["error"]) == {"code", "message", "field"}
    answer = client.delete("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 405 and answer.get_json()["error"]["code"] == "method_not_allowed"
