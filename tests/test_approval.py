"""Approval means a second person (or a named role), and the approvers hear that a post waits for them."""

from __future__ import annotations

import json

import pytest

from crisisplan.comms.approval import ReviewError
from crisisplan.publish import outbox
from tests.test_outbox import hooked, receiver  # noqa: F401 - the fixtures: a plan with webhooks, an HTTP receiver


def test_under_policy_one_the_author_cannot_approve_alone(services) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "carmen")  # sev1: approval 'one'
    [ack] = services.posts(view.id)
    services.submit_post(ack.id, "carmen")
    with pytest.raises(ReviewError, match="carmen wrote this post and cannot approve it"):
        services.approve_post(ack.id, "carmen")
    with pytest.raises(ReviewError, match="needs the approval of somebody other than its author"):
        services.publish_post(ack.id, "carmen")
    services.approve_post(ack.id, "lena")
    services.publish_post(ack.id, "carmen")
    assert services.get(view.id).state == "acknowledged"


def test_a_security_statement_needs_legal_counsel_too(services) -> None:
    view = services.declare("security", "sev1", "Customer data exposed", "bruno")  # approval 'two'
    services.assign_role(view.id, "legal_counsel", "marta", "bruno")
    services.check_items(view.id, [1, 2, 3], "bruno")
    services.trigger(view.id, "begin_review", "bruno")
    ack = next(p for p in services.posts(view.id) if p.kind == "acknowledge")
    services.submit_post(ack.id, "carmen")
    services.approve_post(ack.id, "lena")
    services.approve_post(ack.id, "ana")  # two people other than the author: not enough without legal
    assert services.post(ack.id).status == "in_review"
    services.approve_post(ack.id, "marta")
    assert services.post(ack.id).status == "approved"


def test_approvers_get_an_email_and_a_webhook_event(hooked, receiver, smtp) -> None:  # noqa: F811
    view = hooked.declare("outage", "sev1", "Checkout down", "carmen")
    [ack] = hooked.posts(view.id)
    hooked.submit_post(ack.id, "carmen")
    done = outbox.deliver_due(hooked.db, hooked.plan.settings, hooked.clock.now())
    assert done.dead == 0
    # plan.yaml: lena holds the approver role; the author is not told about her own post
    [mail] = smtp.mailbox.to("lena@example.com")
    assert "Approval needed" in mail["Subject"] and "Checkout down" in mail["Subject"]
    assert f"https://status.example.com/console/posts/{ack.id}" in mail.get_body(("plain",)).get_content()
    assert not smtp.mailbox.to("carmen@example.com")
    events = [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/ops"]
    waiting = [e for e in events if e["event"] == "post.waiting"]
    assert waiting and waiting[0]["post"]["id"] == ack.id and waiting[0]["approvers"] == ["lena"]


def test_the_dashboard_lists_what_waits_for_approval(client, services) -> None:
    from tests.web import login

    view = services.declare("outage", "sev1", "Checkout down", "carmen")
    [ack] = services.posts(view.id)
    services.submit_post(ack.id, "carmen")
    login(client, "lena")
    page = client.get("/console/").get_data(as_text=True)
    assert "Waiting for you (1)" in page and f"/console/posts/{ack.id}" in page
