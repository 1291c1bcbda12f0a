"""The Statuspage-compatible manage API (v1): a client written for Statuspage declares, updates and resolves
an incident that runs through its runbook, and sets component statuses, with `Authorization: OAuth`."""

from __future__ import annotations

import pytest

from crisisplan.services.accounts import Accounts
from crisisplan.web.statusapi import _id


@pytest.fixture
def api(app, client, services):
    tokens = Accounts(services.db, services.clock)
    _, writer = tokens.add_token("deploy-bot", "communicator")
    _, reader = tokens.add_token("dashboard", "viewer")
    page = client.get("/api/v2/summary.json").get_json()["page"]["id"]

    class Api:
        base = f"/v1/pages/{page}"

        def call(self, method: str, path: str, json=None, token: str = writer, scheme: str = "OAuth"):
            return client.open(self.base + path, method=method, json=json,
                               headers={"Authorization": f"{scheme} {token}"})

    Api.reader, Api.writer = reader, writer
    return Api()


def test_a_statuspage_client_runs_an_incident_through_the_runbook(api, client, services) -> None:
    checkout = _id("component", "checkout")
    created = api.call("POST", "/incidents.json", {"incident": {
        "name": "Checkout errors", "status": "investigating", "impact_override": "minor",
        "body": "We are sorry: some payments fail at checkout. We are looking into it.",
        "component_ids": [checkout]}})
    assert created.status_code == 201, created.get_json()
    incident = created.get_json()
    assert incident["status"] == "investigating" and incident["impact"] == "minor"
    assert incident["metadata"]["crisisplan"]["runbook"] == "outage"
    assert incident["metadata"]["crisisplan"]["severity"] == "sev3"
    assert [c["id"] for c in incident["components"]] == [checkout]
    assert [u["body"] for u in incident["incident_updates"]] == [
        "We are sorry: some payments fail at checkout. We are looking into it."]
    assert "some payments fail at checkout" in client.get(f"/incidents/{incident['id']}").get_data(as_text=True)

    identified = api.call("PATCH", f"/incidents/{incident['id']}", {"incident": {
        "status": "identified", "body": "An expired certificate at our payment provider. Renewing it now."}})
    assert identified.status_code == 200, identified.get_json()
    assert identified.get_json()["status"] == "identified"
    view = services.get(int(incident["id"]))
    assert view.state == "cause_identified" and "expired certificate" in view.fields["cause"]

    resolved = api.call("PUT", f"/incidents/{incident['id']}.json", {"incident": {
        "status": "resolved", "body": "Payments work again. We are sorry for the trouble."}})
    body = resolved.get_json()
    assert body["status"] == "resolved" and body["resolved_at"] and len(body["incident_updates"]) == 3
    assert api.call("GET", "/incidents/unresolved").get_json() == []
    timeline = [(e.kind, e.actor) for e in services.timeline(int(incident["id"]))]
    assert ("declared", "token:deploy-bot") in timeline and ("state_changed", "token:deploy-bot") in timeline


def test_a_severe_incident_waits_for_its_approvers(api, services) -> None:
    created = api.call("POST", "/incidents", {"incident": {
        "name": "Site down", "components": {_id("component", "website"): "major_outage"},
        "body": "We are sorry: the shop is down. We are on it."}}).get_json()
    crisisplan = created["metadata"]["crisisplan"]
    assert crisisplan["severity"] == "sev1" and created["incident_updates"] == []
    assert [p["status"] for p in crisisplan["posts_waiting"]] == ["in_review"]


def test_mistakes_get_one_clear_message(api, client) -> None:
    assert client.get(api.base + "/incidents").status_code == 401
    assert "unknown or revoked" in api.call("GET", "/incidents", token="nope").get_json()["error"]
    reader = api.call("POST", "/incidents", {"incident": {"name": "x"}}, token=api.reader, scheme="Bearer")
    assert reader.status_code == 403 and "communicator" in reader.get_json()["error"]
    assert api.call("GET", "/incidents", token=api.reader).status_code == 200
    for method, path in (("PATCH", "/incidents/1"), ("PUT", "/incidents/1.json"),
                         ("PATCH", f"/components/{_id('component', 'payments')}")):
        assert api.call(method, path, {}, token=api.reader).status_code == 403, (method, path)
    wrong_page = client.get("/v1/pages/nopage/incidents", headers={"Authorization": "OAuth " + api.writer})
    assert wrong_page.status_code == 404 and "no page 'nopage'" in wrong_page.get_json()["error"]
    cases = [
        ({"incident": {"name": ""}}, 422, "name"),
        ({"incident": {"name": "x", "component_ids": ["warp"]}}, 422, "no component 'warp'"),
        ({"incident": {"name": "x", "status": "postmortem"}}, 422, "status must be one of"),
        ({"incident": {"name": "x", "metadata": {"crisisplan": {"runbook": "nope"}}}}, 422, "no runbook 'nope'"),
        ({"name": "x"}, 400, '"incident"'),
    ]
    for payload, status, words in cases:
        answer = api.call("POST", "/incidents", payload)
        assert answer.status_code == status and words in answer.get_json()["error"], (payload, answer.get_json())
    bad_json = client.post(api.base + "/incidents", data="{nope", content_type="application/json",
                           headers={"Authorization": "OAuth " + api.writer})
    assert bad_json.status_code == 400 and "must be JSON" in bad_json.get_json()["error"]
    incident = api.call("POST", "/incidents", {"incident": {"name": "Slow search", "impact_override": "minor"}})
    number = incident.get_json()["id"]
    rename = api.call("PATCH", f"/incidents/{number}", {"incident": {"name": "Renamed"}})
    assert rename.status_code == 422 and "keeps the name" in rename.get_json()["error"]
    cause = api.call("PATCH", f"/incidents/{number}", {"incident": {"status": "identified"}})
    assert cause.status_code == 422 and "needs the field 'cause'" in cause.get_json()["error"]
    assert api.call("GET", "/incidents/999").status_code == 404


def test_components_can_be_set_by_hand_and_the_worse_status_wins(api, client) -> None:
    payments = _id("component", "payments")
    listed = api.call("GET", "/components.json").get_json()
    assert {c["name"] for c in listed} >= {"Payments", "Storefront"}
    changed = api.call("PATCH", f"/components/{payments}", {"component": {"status": "under_maintenance"}})
    assert changed.status_code == 200 and changed.get_json()["status"] == "under_maintenance"
    public = client.get("/api/v2/components.json").get_json()["components"]
    assert next(c for c in public if c["id"] == payments)["status"] == "under_maintenance"
    assert "Under maintenance" in client.get("/").get_data(as_text=True)
    api.call("PATCH", f"/components/{payments}", {"component": {"status": "major_outage"}})
    assert client.get("/api/v2/status.json").get_json()["status"]["indicator"] == "critical"
    api.call("PATCH", f"/components/{payments}.json", {"component": {"status": "operational"}})
    assert client.get("/api/v2/status.json").get_json()["status"]["indicator"] == "none"
    group = _id("group", "Storefront")
    assert api.call("PATCH", f"/components/{group}", {"component": {"status": "major_outage"}}).status_code == 422
    renamed = api.call("PATCH", f"/components/{payments}", {"component": {"name": "Pay"}})
    assert renamed.status_code == 422 and "plan.yaml" in renamed.get_json()["error"]
    wrong = api.call("PATCH", f"/components/{payments}", {"component": {"status": "on_fire"}})
    assert wrong.status_code == 422 and "status must be one of" in wrong.get_json()["error"]
