"""Delivery told as it is: each channel of a published post is published (the status page), not connected
(nothing sends it: the text to copy), queued, delivered (when, to how many) or failed (why, retry) — from the
outbox rows and the plan, the same in `crisisplan post publish`, `post show` and the console. Never "sent"."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from crisisplan.publish import outbox
from crisisplan.services import Services
from tests.conftest import PASSWORD
from tests.test_outbox import hooked, publish_ack, receiver  # noqa: F401 - fixtures of a plan with webhooks


def states(services: Services, post_id: int) -> dict[str, str]:
    return {d.channel: d.state for d in services.post_delivery(post_id)}


def deliver(services: Services) -> outbox.Result:
    return outbox.deliver_due(services.db, services.plan.settings, services.clock.now())


def test_without_webhooks_or_subscribers_nothing_is_called_sent(services) -> None:
    post_id = publish_ack(services)  # the shipped plan: no webhook, no subscriber
    assert states(services, post_id) == {"status_page": "published", "social_short": "not connected",
                                         "social_long": "not connected", "email": "not connected",
                                         "chat": "not connected", "sms": "not connected"}
    sms = next(d for d in services.post_delivery(post_id) if d.channel == "sms")
    assert "nothing in crisisplan sends SMS" in sms.detail
    assert sms.text.startswith("We are sorry: Search is slow")  # the text to copy and send by hand


def test_the_cli_says_each_state_and_never_sent(runner) -> None:
    def run(*args: str) -> str:
        result = runner.invoke(__import__("crisisplan.cli", fromlist=["main"]).main, list(args),
                               catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("declare", "outage", "--severity", "sev3", "--title", "Search is slow", "--component", "website",
        "--as", "ana")
    published = run("post", "publish", "1", "--as", "ana")
    shown = run("post", "show", "1")
    for output in (published, shown):
        assert not re.search(r"\bsent\b", output)  # the old "sent to: status_page, … sms" is gone
        assert "status_page: published on the status page at" in output
        assert "sms: not connected: nothing in crisisplan sends SMS" in output
        assert "chat: not connected: no chat webhook in plan.yaml" in output
    delivery = json.loads(run("post", "show", "1", "--json"))["delivery"]
    assert delivery["sms"]["state"] == "not connected" and delivery["sms"]["text"]
    assert delivery["status_page"]["state"] == "published"


def test_a_failing_webhook_is_failed_with_the_reason_then_delivered_with_the_count(hooked, receiver,  # noqa: F811
                                                                                    clock) -> None:
    receiver.failures["/chat"] = 1
    post_id = publish_ack(hooked)
    assert states(hooked, post_id)["chat"] == "queued"  # written with the publication, not tried yet
    assert states(hooked, post_id)["webhook:ops"] == "queued"
    deliver(hooked)
    chat = next(d for d in hooked.post_delivery(post_id) if d.channel == "chat")
    assert (chat.state, chat.reason, chat.failed, chat.delivered) == ("failed", "HTTP 500", 1, 0)
    assert chat.retry_ids and "failed: HTTP 500" in chat.detail
    assert states(hooked, post_id)["webhook:ops"] == "delivered"
    assert states(hooked, post_id)["sms"] == "not connected"  # a webhook for chat connects chat only

    assert hooked.retry_delivery(post_id, "chat") == list(chat.retry_ids)  # the retry button's use case
    deliver(hooked)
    chat = next(d for d in hooked.post_delivery(post_id) if d.channel == "chat")
    assert (chat.state, chat.delivered, chat.total) == ("delivered", 1, 1)
    assert chat.delivered_at == clock.now() and chat.detail.startswith("delivered to 1 at ")


def test_a_receiver_down_for_good_is_failed_with_a_retry(hooked, receiver, clock) -> None:  # noqa: F811
    receiver.failures["/ops"] = 10_000
    post_id = publish_ack(hooked)
    for _ in range(20):  # past give_up_after (1h): a dead letter
        deliver(hooked)
        clock.advance(timedelta(minutes=5))
    ops = next(d for d in hooked.post_delivery(post_id) if d.channel == "webhook:ops")
    assert ops.state == "failed" and "given up on 1: retry" in ops.detail and ops.reason == "HTTP 500"


@pytest.fixture
def hooked_client(hooked):  # noqa: F811
    from crisisplan.services.accounts import Accounts
    from crisisplan.web import create_app

    Accounts(hooked.db, hooked.clock).add_user("carmen", "communicator", PASSWORD)
    app = create_app({"SERVICES": hooked, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0})
    return app.test_client()


def test_the_console_post_page_shows_each_state_with_copy_and_retry(hooked, hooked_client, receiver) -> None:  # noqa: F811
    from tests.web import form, login

    receiver.failures["/chat"] = 10_000
    post_id = publish_ack(hooked)
    deliver(hooked)
    login(hooked_client, "carmen")
    page = hooked_client.get(f"/console/posts/{post_id}").get_data(as_text=True)
    assert not re.search(r"\bsent\b", page.split('id="channels-h"')[1].split("</ul>")[0])
    assert "SMS: <strong>not connected</strong>" in page and 'data-copy-target="copy-sms"' in page
    assert "Status page: <strong>published</strong>" in page
    assert re.search(r"Chat[^:]*: <strong>failed</strong> — HTTP 500", page)
    assert f"/console/posts/{post_id}/delivery/chat/retry" in page
    assert "Webhook ops: <strong>delivered</strong>" in page
    assert form(hooked_client, f"/console/posts/{post_id}/delivery/chat/retry").status_code == 302
    chat = next(d for d in hooked.post_delivery(post_id) if d.channel == "chat")
    assert chat.state == "failed" and all(  # back in the queue, due now: the worker tries it within seconds
        m.next_attempt_at == hooked.clock.now() for m in hooked.outbox_messages() if m.id in chat.retry_ids)
