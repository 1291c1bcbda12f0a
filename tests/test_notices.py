"""People are reached: an escalation on the simulated clock arrives as an e-mail to the duty manager (real SMTP)
and as a PagerDuty Events API v2 event at a local HTTP receiver; when the deadline is met or the incident is
over, the same dedup_key is resolved. Everything goes through the outbox, written with the change."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from crisisplan.plan.load import load_plan
from crisisplan.publish import outbox
from crisisplan.services import Services
from tests.plans import plan_copy
from tests.test_outbox import Receiver
from tests.walk import satisfy, take


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def paged(tmp_path: Path, db, clock, receiver, monkeypatch) -> Services:
    """The shipped plan with a PagerDuty webhook (routing key from the environment) and a JSON one."""
    plan = plan_copy(tmp_path / "plan", lambda settings: settings.update(webhooks=[
        {"name": "oncall", "url": receiver.url + "/v2/enqueue", "format": "pagerduty", "routing_key_env": "PD_KEY"},
        {"name": "ops", "url": receiver.url + "/ops"}]))
    monkeypatch.setenv("PD_KEY", "R0UT1NGKEY0000000000000000000000")
    return Services(load_plan(plan), db, clock)


def deliver(services: Services) -> outbox.Result:
    return outbox.deliver_due(services.db, services.plan.settings, services.clock.now())


def pagerduty(receiver: Receiver) -> list[dict]:
    return [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/v2/enqueue"]


def test_a_missed_acknowledgement_pages_the_duty_manager_then_resolves(paged, smtp, receiver, clock) -> None:
    view = paged.declare("outage", "sev1", "Checkout down", "bruno")  # bruno commands; nobody is duty manager
    clock.advance(timedelta(minutes=15))  # sev1: acknowledge within 15 minutes; nobody did
    paged.tick()
    assert deliver(paged).dead == 0

    # the e-mail: to ana, the plan's duty manager (nobody holds the role on the incident), by real SMTP
    mails = smtp.mailbox.to("ana@example.com")
    escalations = [m for m in mails if m["Subject"].startswith("Escalated to you")]
    assert {m["Subject"] for m in escalations} == {
        "Escalated to you: Public acknowledgement due — Checkout down",
        "Escalated to you: Nobody has taken the incident — Checkout down"}
    body = escalations[0].get_body(("plain",)).get_content()
    assert "duty_manager" in body and f"https://status.example.com/console/incidents/{view.id}" in body
    assert smtp.mailbox.to("bruno@example.com") == []  # not the duty manager

    # the PagerDuty events: every field as the Events API v2 spec names it, written here by hand
    events = [e for e in pagerduty(receiver) if e["payload"]["severity"] == "critical"]
    assert {e["dedup_key"] for e in events} == {f"crisisplan-{view.id}-acknowledge_by",
                                                f"crisisplan-{view.id}-nobody_acted"}
    for event in events:
        assert set(event) == {"routing_key", "event_action", "dedup_key", "payload"}
        assert event["routing_key"] == "R0UT1NGKEY0000000000000000000000"  # from the environment
        assert event["event_action"] == "trigger"
        assert set(event["payload"]) == {"summary", "source", "severity", "custom_details"}
        assert event["payload"]["source"] == "status.example.com"
        assert "Checkout down" in event["payload"]["summary"] and len(event["payload"]["summary"]) <= 1024
        assert event["payload"]["custom_details"]["role"] == "duty_manager"
        assert event["payload"]["custom_details"]["people"] == ["ana"]
    # the key never rests in the database: only the request carries it
    assert all("R0UT1NGKEY" not in m.payload for m in paged.outbox_messages())

    # the acknowledgement goes out: the deadline is met and "nobody acted" no longer holds; both resolve
    take(paged, view.id, "acknowledge", "bruno")
    deliver(paged)
    resolves = [e for e in pagerduty(receiver) if e["event_action"] == "resolve"]
    # the two escalations, and the approval sev1 asked for (waiting while in review, resolved once approved)
    assert sorted(e["dedup_key"] for e in resolves) == [f"crisisplan-{view.id}-acknowledge_by",
                                                        f"crisisplan-{view.id}-approval_1",
                                                        f"crisisplan-{view.id}-nobody_acted"]
    for event in resolves:  # a resolve carries the key and the dedup_key, no payload
        assert set(event) == {"routing_key", "event_action", "dedup_key"}
        assert event["routing_key"] == "R0UT1NGKEY0000000000000000000000"
    paged.tick()
    deliver(paged)
    assert len([e for e in pagerduty(receiver) if e["event_action"] == "resolve"]) == 3  # once each


def test_the_person_holding_the_role_is_told_and_the_incident_resolution_resolves(paged, smtp, receiver,
                                                                                  clock) -> None:
    view = paged.declare("outage", "sev1", "Checkout down", "bruno")
    paged.assign_role(view.id, "communications_lead", "carmen", "bruno")
    take(paged, view.id, "acknowledge", "bruno")
    every = paged.plan.runbook("outage").severity("sev1").update_every
    clock.advance(every - timedelta(minutes=10))  # the next update's promise is at risk
    paged.tick()
    deliver(paged)
    [mail] = [m for m in smtp.mailbox.to("carmen@example.com") if m["Subject"].startswith("Reminder")]
    assert "at risk" in mail["Subject"]
    key = f"crisisplan-{view.id}-next_update"
    [trigger] = [e for e in pagerduty(receiver) if e["dedup_key"] == key]
    assert trigger["event_action"] == "trigger" and trigger["payload"]["severity"] == "warning"
    assert trigger["payload"]["custom_details"]["people"] == ["carmen"]  # the holder, not every lead
    json_hook = [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/ops"]
    assert any(e["event"] == "notice.reminder" and e["reason"] == "next_update" for e in json_hook)

    take(paged, view.id, "identify_cause", "bruno", {"cause": "A failed database node"})
    take(paged, view.id, "resolve", "bruno")  # the incident is over
    deliver(paged)
    assert [e["event_action"] for e in pagerduty(receiver) if e["dedup_key"] == key][-1] == "resolve"
    opened = {e["dedup_key"] for e in pagerduty(receiver) if e["event_action"] == "trigger"}
    closed = {e["dedup_key"] for e in pagerduty(receiver) if e["event_action"] == "resolve"}
    assert opened <= closed  # nothing left open in PagerDuty once the incident is resolved


def test_a_missing_routing_key_fails_the_message_with_the_reason(paged, receiver, clock, monkeypatch) -> None:
    monkeypatch.delenv("PD_KEY")
    paged.declare("outage", "sev1", "Checkout down", "bruno")
    clock.advance(timedelta(minutes=15))
    paged.tick()
    deliver(paged)
    assert pagerduty(receiver) == []
    failed = [m for m in paged.outbox_messages() if m.channel == "webhook:oncall"]
    assert failed and all(m.log[-1]["result"] == "the PagerDuty routing key $PD_KEY is not set" for m in failed)


def test_a_complaint_escalated_along_the_matrix_reaches_the_team_and_resolves_with_the_incident(
        paged, smtp, receiver) -> None:
    row, _ = paged.receive_complaint("email", "@maria", 200, "Hablaré con mi abogado si no me devolvéis el dinero "
                                     "del pedido 7781234", at=paged.clock.now())
    incident_id = row.incident_id
    assert row.action == "declared"
    deliver(paged)
    [mail] = [m for m in smtp.mailbox.to("legal@example.com") if "escalated to you" in m["Subject"]]
    assert "(legal)" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "needs an answer by" in body
    key = f"crisisplan-{incident_id}-escalation_legal"
    [trigger] = [e for e in pagerduty(receiver) if e["dedup_key"] == key]
    assert trigger["event_action"] == "trigger" and trigger["payload"]["custom_details"]["role"] == "legal_counsel"
    # a complaints incident is internal: the on-call tool hears neither its title nor the complainant's handle
    assert "@maria" not in json.dumps(pagerduty(receiver)) and "@maria" not in json.dumps(
        [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/ops"])

    for trigger_name in ("judge_legitimate", "resolve"):  # the matrix's alert stays open until the end
        assert [e["event_action"] for e in pagerduty(receiver) if e["dedup_key"] == key] == ["trigger"]
        satisfy(paged, incident_id, trigger_name, "carmen")
        take(paged, incident_id, trigger_name, "carmen")
        deliver(paged)
    assert [e["event_action"] for e in pagerduty(receiver) if e["dedup_key"] == key] == ["trigger", "resolve"]
