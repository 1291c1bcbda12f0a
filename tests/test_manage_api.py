"""The Statuspage-compatible manage API (v1): a client written for Statuspage declares, updates and resolves
an incident that runs through its runbook, and sets component statuses, with `Authorization: OAuth`."""

from __future__ import annotations

import json

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
        "body": "We are sorry: some payments fail at checkout. We are looking into it. Next update by 10:30.",
        "component_ids": [checkout]}})
    assert created.status_code == 201, created.get_json()
    incident = created.get_json()
    assert incident["status"] == "investigating" and incident["impact"] == "minor"
    assert incident["metadata"]["crisisplan"]["runbook"] == "outage"
    assert incident["metadata"]["crisisplan"]["severity"] == "sev3"
    assert incident["metadata"]["crisisplan"]["state"] == "acknowledged"  # the body was the acknowledgement
    assert [c["id"] for c in incident["components"]] == [checkout]
    assert [u["body"] for u in incident["incident_updates"]] == [
        "We are sorry: some payments fail at checkout. We are looking into it. Next update by 10:30."]
    assert "some payments fail at checkout" in client.get(f"/incidents/{incident['id']}").get_data(as_text=True)
    # the promise the body names is the one tracked: 10:30 in Madrid in January is 09:30 UTC
    assert services.get(int(incident["id"])).deadline("next_update").isoformat() == "2026-01-01T09:30:00+00:00"

    identified = api.call("PATCH", f"/incidents/{incident['id']}", {"incident": {
        "status": "identified", "body": "An expired certificate at our payment provider. Next update by 11:00.",
        "metadata": {"crisisplan": {"fields": {"cause": "The payment provider's certificate expired"}}}}})
    assert identified.status_code == 200, identified.get_json()
    assert identified.get_json()["status"] == "identified"
    view = services.get(int(incident["id"]))
    assert view.state == "cause_identified" and view.fields["cause"] == "The payment provider's certificate expired"

    resolved = api.call("PUT", f"/incidents/{incident['id']}.json", {"incident": {
        "status": "resolved", "body": "Payments work again. We are sorry for the trouble."}})
    body = resolved.get_json()
    assert body["status"] == "resolved" and body["resolved_at"] and len(body["incident_updates"]) == 3
    assert api.call("GET", "/incidents/unresolved").get_json() == []
    timeline = [(e.kind, e.actor) for e in services.timeline(int(incident["id"]))]
    assert ("declared", "token:deploy-bot") in timeline and ("state_changed", "token:deploy-bot") in timeline


def test_a_body_is_never_taken_as_the_confirmed_cause(api, services) -> None:
    created = api.call("POST", "/incidents", {"incident": {
        "name": "Slow search", "impact_override": "minor",
        "body": "We are sorry: search is slow. Next update by 10:30."}}).get_json()
    answer = api.call("PATCH", f"/incidents/{created['id']}", {"incident": {
        "status": "identified", "body": "Maybe the database? Next update by 11:00."}})
    assert answer.status_code == 422 and "field 'cause' must be set" in answer.get_json()["error"]
    assert "cause" not in services.get(int(created["id"])).fields


def _snapshot(services, incident_id: int):
    view = services.get(incident_id)
    posts = [(p.id, p.kind, p.status, dict(p.bodies), p.version) for p in services.posts(incident_id)]
    chain = [(e.seq, e.kind, e.hash) for e in services.timeline(incident_id)]
    return view.version, view.state, dict(view.fields), posts, chain, services.component_overrides()


def test_a_refused_change_changes_nothing(api, services) -> None:
    created = api.call("POST", "/incidents", {"incident": {"name": "Checkout errors", "impact_override": "minor"}})
    number = int(created.get_json()["id"])
    before = _snapshot(services, number)
    refused = [
        # straight to resolved: the way goes through the cause, which needs its field, then 'resolve' waits for
        # a published acknowledgement: nothing of it may stay behind
        {"status": "resolved", "body": "Fixed.", "metadata": {"crisisplan": {"fields": {"cause": "A bad config"}}},
         "components": {_id("component", "checkout"): "partial_outage"}},
        {"status": "identified", "body": "We found it. Next update by 11:00."},  # no cause in metadata
        {"body": "We are looking into it."},  # a non-final post must say when the next update comes
        # refused at the last step, after the acknowledgement in the plan's words went out in the same transaction
        {"status": "monitoring", "body": "A fix is in; we are watching it.",
         "metadata": {"crisisplan": {"fields": {"fix": "Rolled back"}}}},
    ]
    for change in refused:
        answer = api.call("PATCH", f"/incidents/{number}", {"incident": change})
        assert answer.status_code == 422, (change, answer.get_json())
        assert _snapshot(services, number) == before, change


def test_a_trusted_client_drives_a_major_incident_alone(app, client, services) -> None:
    _, bot = Accounts(services.db, services.clock).add_token("statuspage-bot", "communicator")
    page = client.get("/api/v2/summary.json").get_json()["page"]["id"]

    def call(method: str, path: str, incident: dict):
        answer = client.open(f"/v1/pages/{page}{path}", method=method, json={"incident": incident},
                             headers={"Authorization": f"OAuth {bot}"})
        assert answer.status_code in (200, 201), answer.get_json()
        return answer.get_json()

    created = call("POST", "/incidents", {"name": "Checkout slow", "impact_override": "major",
                                          "body": "We are sorry: checkout is slow. Next update by 10:30."})
    assert created["metadata"]["crisisplan"]["severity"] == "sev2"  # one approval: the plan trusts this token
    number = created["id"]
    call("PATCH", f"/incidents/{number}", {"status": "identified", "body": "A full disk. Next update by 11:00.",
                                          "metadata": {"crisisplan": {"fields": {"cause": "A disk filled up"}}}})
    call("PATCH", f"/incidents/{number}", {"status": "monitoring", "body": "Space freed; watching. Next by 11:30.",
                                          "metadata": {"crisisplan": {"fields": {"fix": "Freed space"}}}})
    done = call("PATCH", f"/incidents/{number}", {"status": "resolved", "body": "Checkout is fast again. Sorry."})
    assert done["status"] == "resolved" and len(done["incident_updates"]) == 4
    assert "waiting_for_approval" not in done["metadata"]["crisisplan"]
    trusted = [json.loads(e.payload) for e in services.timeline(int(number)) if e.kind == "post_approved"]
    assert len(trusted) == 4 and all("statuspage-bot" in t["trusted"] and "sev2" in t["trusted"] for t in trusted)


def test_a_severe_incident_waits_for_its_approvers(api, services) -> None:
    created = api.call("POST", "/incidents", {"incident": {
        "name": "Site down", "components": {_id("component", "website"): "major_outage"},
        "body": "We are sorry: the shop is down. We are on it. Next update by 10:15."}}).get_json()
    crisisplan = created["metadata"]["crisisplan"]
    assert crisisplan["severity"] == "sev1" and created["incident_updates"] == []
    assert [p["status"] for p in crisisplan["posts_waiting"]] == ["in_review"]
    assert crisisplan["waiting_for_approval"] == [crisisplan["posts_waiting"][0]["id"]]
    # the status in the answer is the one in force: nothing was said in public yet
    assert crisisplan["state"] == "detected" and created["status"] == "investigating"
    moved = api.call("PATCH", f"/incidents/{created['id']}", {"incident": {
        "status": "identified", "body": "A broken release. Next update by 10:45.",
        "metadata": {"crisisplan": {"fields": {"cause": "A broken release"}}}}}).get_json()
    assert moved["metadata"]["crisisplan"]["state"] == "detected" and moved["status"] == "investigating"
    assert moved["metadata"]["crisisplan"]["waiting_for_approval"]


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
    assert cause.status_code == 422 and "field 'cause' must be set" in cause.get_json()["error"]
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
