"""The REST API: tokens, the incident and post flow, error codes, the OpenAPI document."""

from __future__ import annotations

import re

import pytest

from crisisplan.cli import main
from crisisplan.services.accounts import Accounts


@pytest.fixture
def tokens(services) -> dict[str, str]:
    accounts = Accounts(services.db)
    return {role: accounts.add_token(f"{role} script", role)[1] for role in ("viewer", "responder", "communicator",
                                                                               "approver")}


def call(client, method: str, path: str, token: str, **kwargs):
    return client.open("/api/v1" + path, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_the_incident_and_post_flow(client, tokens) -> None:
    made = call(client, "POST", "/incidents", tokens["responder"],
                json={"runbook": "outage", "severity": "sev2", "title": "Search slow", "components": ["website"]})
    assert made.status_code == 201 and made.get_json()["state"] == "detected"
    incident = made.get_json()
    assert call(client, "GET", "/incidents", tokens["viewer"]).get_json()[0]["id"] == incident["id"]
    posts = call(client, "GET", f"/incidents/{incident['id']}/posts", tokens["viewer"]).get_json()
    ack = posts[0]
    assert ack["kind"] == "acknowledge" and ack["short_bodies"]["en"]
    assert call(client, "POST", f"/posts/{ack['id']}/submit", tokens["communicator"]).status_code == 200
    assert call(client, "POST", f"/posts/{ack['id']}/approve", tokens["approver"]).get_json()["status"] == "approved"
    published = call(client, "POST", f"/posts/{ack['id']}/publish", tokens["communicator"]).get_json()
    assert published["status"] == "published" and published["channels"]["status_page"] == ""
    assert call(client, "GET", f"/incidents/{incident['id']}", tokens["viewer"]).get_json()["state"] == "acknowledged"
    # a public step is not fired by hand: it is taken by publishing its post
    refused = call(client, "POST", f"/incidents/{incident['id']}/trigger", tokens["responder"],
                   json={"trigger": "identify_cause", "fields": {"cause": "A full disk"}})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "trigger_not_allowed"
    assert "taken by publishing the 'cause' post" in refused.get_json()["error"]["message"]
    assert call(client, "POST", f"/incidents/{incident['id']}/fields", tokens["responder"],
                json={"fields": {"cause": "A full disk"}}).status_code == 200
    cause = call(client, "POST", f"/incidents/{incident['id']}/posts", tokens["communicator"], json={"kind": "cause"})
    assert cause.status_code == 201 and "A full disk" in cause.get_json()["bodies"]["en"]
    cause_id = cause.get_json()["id"]
    assert call(client, "POST", f"/posts/{cause_id}/submit", tokens["communicator"]).status_code == 200
    assert call(client, "POST", f"/posts/{cause_id}/approve", tokens["approver"]).get_json()["status"] == "approved"
    assert call(client, "POST", f"/posts/{cause_id}/publish", tokens["communicator"]).status_code == 200
    moved = call(client, "GET", f"/incidents/{incident['id']}", tokens["viewer"])
    assert moved.status_code == 200 and moved.get_json()["state"] == "cause_identified"
    timeline = call(client, "GET", f"/incidents/{incident['id']}/timeline", tokens["viewer"]).get_json()
    # two moves, each with its post: detected → acknowledged, acknowledged → cause_identified
    assert [e["kind"] for e in timeline].count("state_changed") == 2 and len(timeline[0]["hash"]) == 64
    components = call(client, "GET", "/components", tokens["viewer"]).get_json()
    assert {"name": "website", "label": "Website", "group": "Storefront", "status": "partial_outage"} in components


def test_error_codes(client, tokens) -> None:
    r = call(client, "POST", "/incidents", tokens["responder"], data="{not json", content_type="application/json")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "malformed"
    r = call(client, "POST", "/incidents", tokens["responder"], json={"runbook": "outage", "severity": "sev1"})
    assert r.status_code == 400 and r.get_json()["error"] == {"code": "missing", "message": "'title' is required",
                                                               "field": "title"}
    r = call(client, "POST", "/incidents", tokens["responder"], json={"runbook": "outage", "severity": 1, "title": "x"})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "severity"
    r = call(client, "POST", "/incidents", tokens["responder"],
             json={"runbook": "outage", "severity": "sev9", "title": "x"})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "severity"
    assert call(client, "GET", "/incidents/99", tokens["viewer"]).status_code == 404
    made = call(client, "POST", "/incidents", tokens["responder"],
                json={"runbook": "outage", "severity": "sev1", "title": "Down"}).get_json()
    r = call(client, "POST", f"/incidents/{made['id']}/trigger", tokens["responder"], json={"trigger": "resolve"})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "trigger_not_allowed"
    r = call(client, "POST", f"/incidents/{made['id']}/trigger", tokens["responder"],
             json={"trigger": "acknowledge", "expected_version": made["version"] - 1})
    assert r.status_code == 409 and "changed since you loaded it" in r.get_json()["error"]["message"]
    r = call(client, "POST", "/posts/1/approve", tokens["approver"])
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "review"
    assert call(client, "DELETE", "/incidents", tokens["viewer"]).status_code == 405


def test_openapi_documents_every_route(app, client) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    assert len(documented) == sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules()
                                  if r.rule.startswith("/api/v1/"))


def test_tokens_and_users_from_the_command_line(runner, client, services) -> None:
    made = runner.invoke(main, ["token", "add", "uptime robot", "--role", "viewer"])
    token = re.search(r"(cp_\S+)", made.output).group(1)
    assert call(client, "GET", "/incidents", token).status_code == 200
    assert runner.invoke(main, ["token", "revoke", "1"]).exit_code == 0
    assert call(client, "GET", "/incidents", token).status_code == 401
    added = runner.invoke(main, ["user", "add", "maria", "--role", "admin"])
    assert added.exit_code == 0 and "password: " in added.output
    wrong = runner.invoke(main, ["user", "add", "maria2", "--role", "boss"])
    assert wrong.exit_code == 1 and "unknown role 'boss'" in wrong.output and "Traceback" not in wrong.output


def test_demo_prepares_a_first_look_once(runner, services, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CRISISPLAN_INSTANCE", str(tmp_path))
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0 and re.search(r"declared a sample incident \(#\d+\)", first.output)
    password = (tmp_path / "admin-password.txt").read_text(encoding="utf-8").strip()
    assert f"admin password: {password}" in first.output
    assert oct((tmp_path / "admin-password.txt").stat().st_mode & 0o777) == "0o600"
    assert Accounts(services.db).authenticate("admin", password).role == "admin"
    second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0 and "declared" not in second.output
    # the sample incident, the past one with its review (tests/test_review.py checks that one) and the two
    # outages of the uptime history (services/sample_uptime.py), newest first
    assert [i.title for i in services.public_incidents()] == ["Search is slow for some customers",
                                                              "Card payments failed at checkout",
                                                              "The mobile app does not open",
                                                              "Some API requests fail"]
