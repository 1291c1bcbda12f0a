"""Webhooks through the outbox to a real HTTP server on loopback: signed, retried with backoff, given up
into the dead letters, never sent for a drill unless the webhook asks for drills."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from crisisplan import SHIPPED_PLAN
from crisisplan.plan.load import load_plan
from crisisplan.publish import outbox
from crisisplan.services import Services
from tests.plans import plan_copy


class Receiver:
    """An HTTP server that answers 500 to the first `failures` requests of a path, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                left = receiver.failures.get(self.path, 0)
                receiver.failures[self.path] = left - 1
                self.send_response(500 if left > 0 else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def hooked(tmp_path: Path, db, clock, receiver, monkeypatch) -> Services:
    plan = plan_copy(tmp_path / "plan", lambda settings: settings.update(
        webhooks=[{"name": "ops", "url": receiver.url + "/ops", "secret_env": "OPS_SECRET"},
                  {"name": "chat", "url": receiver.url + "/chat", "format": "slack", "drills": True}],
        delivery={"give_up_after": "1h"}))
    monkeypatch.setenv("OPS_SECRET", "s3cret")
    return Services(load_plan(plan), db, clock)


def publish_ack(services: Services, drill: bool = False) -> int:
    view = services.declare("outage", "sev3", "Search is slow", "ana", ["website"], is_drill=drill)
    post = services.posts(view.id)[0]
    services.publish_post(post.id, "ana")  # sev3: no approval needed
    return post.id


def test_signed_webhooks_retry_with_backoff_then_arrive(hooked, receiver, clock) -> None:
    receiver.failures["/ops"] = 2
    post_id = publish_ack(hooked)
    first = outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now())
    assert (first.delivered, first.retried) == (1, 1)  # chat arrived, ops answered 500
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).retried == 0  # not due yet
    clock.advance(timedelta(seconds=6))
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).retried == 1  # 500 again
    clock.advance(timedelta(seconds=12))
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).delivered == 1
    ops = [r for r in receiver.requests if r["path"] == "/ops"]
    assert len(ops) == 3 and {r["headers"]["Idempotency-Key"] for r in ops} == {f"post-{post_id}-webhook-ops"}
    last = ops[-1]
    # as the README tells a receiver to check it: HMAC-SHA256 under the secret of "TIMESTAMP.BODY"
    signed = last["headers"]["X-Crisisplan-Timestamp"].encode() + b"." + last["body"]
    expected = "sha256=" + hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    assert last["headers"]["X-Crisisplan-Signature"] == expected
    payload = json.loads(last["body"])
    assert payload["event"] == "post.published" and payload["post"]["kind"] == "acknowledge"
    assert payload["incident"]["url"].startswith("https://status.example.com/incidents/")
    chat = json.loads(next(r for r in receiver.requests if r["path"] == "/chat")["body"])
    assert set(chat) == {"text"} and chat["text"].startswith("*We are sorry: Search is slow*")
    from sqlalchemy import select

    from crisisplan.store.models import OutboxRow

    with hooked.db.read() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.channel == "webhook:ops")).one()
    assert row.status == "delivered" and [e["result"] for e in row.log] == ["HTTP 500", "HTTP 500", "HTTP 200"]


def publish_until_dead(services: Services, receiver: Receiver, clock) -> None:
    """The ops receiver answers 500 for good; 20 rounds five minutes apart outlast `give_up_after`."""
    receiver.failures["/ops"] = 10_000
    publish_ack(services)
    for _ in range(20):
        outbox.deliver_due(services.db, services.plan.settings, clock.now())
        clock.advance(timedelta(minutes=5))


def test_a_receiver_down_too_long_ends_in_the_dead_letters(hooked, receiver, clock, runner) -> None:
    publish_until_dead(hooked, receiver, clock)
    from sqlalchemy import select

    from crisisplan.store.models import OutboxRow

    with hooked.db.read() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.channel == "webhook:ops")).one()
    assert row.status == "dead" and 5 <= row.attempts < 20  # backoff spaced the tries out
    outbox.retry(hooked.db, row.id, clock.now())
    receiver.failures["/ops"] = 0
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).delivered == 1


def test_drills_go_only_to_webhooks_that_ask_for_them(hooked, receiver, clock) -> None:
    publish_ack(hooked, drill=True)
    outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now())
    assert [r["path"] for r in receiver.requests] == ["/chat"]
    assert json.loads(receiver.requests[0]["body"])["text"].startswith("*[DRILL]")


def test_the_worker_command_delivers_once(runner, receiver, tmp_path, monkeypatch, services) -> None:
    from crisisplan.cli import main

    plan = tmp_path / "plan2"
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    settings = yaml.safe_load((SHIPPED_PLAN / "plan.yaml").read_text(encoding="utf-8"))
    settings["webhooks"] = [{"name": "ops", "url": receiver.url + "/ops"}]
    (plan / "plan.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    monkeypatch.setenv("CRISISPLAN_PLAN", str(plan))
    publish_ack(Services(load_plan(plan), services.db))
    result = runner.invoke(main, ["worker", "--once", "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == {"delivered": 1, "retried": 0, "dead": 0}
    listed = json.loads(runner.invoke(main, ["outbox", "list", "--json"]).output)
    assert listed[0]["status"] == "delivered" and listed[0]["log"][0]["result"] == "HTTP 200"
    missing = runner.invoke(main, ["outbox", "retry", "99"])
    assert missing.exit_code == 1 and "no message 99" in missing.output


def test_dead_letters_are_shown_in_the_console_with_a_retry_button(hooked, receiver, clock, client) -> None:
    from tests.web import form, login

    publish_until_dead(hooked, receiver, clock)
    login(client, "carmen")
    page = client.get("/console/delivery").get_data(as_text=True)
    assert "Dead letters" in page and "webhook:ops" in page and "HTTP 500" in page
    dead_id = int(re.search(r"/console/delivery/(\d+)/retry", page).group(1))
    receiver.failures["/ops"] = 0
    form(client, f"/console/delivery/{dead_id}/retry")
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).delivered == 1
    assert "No dead letters." in client.get("/console/delivery").get_data(as_text=True)


def test_a_receiver_that_hangs_or_is_gone_is_tried_again_later(hooked, receiver, clock, monkeypatch) -> None:
    """Too slow to answer, then nobody listening, then back: each try is in the message's log."""
    import socket

    monkeypatch.setattr(outbox, "TIMEOUT_S", 0.3)
    slow = socket.socket()
    slow.bind(("127.0.0.1", 0))
    slow.listen()  # accepts the connection, never answers
    publish_ack(hooked)
    from sqlalchemy import update

    from crisisplan.store.models import OutboxRow

    def point(url: str) -> None:
        with hooked.db.write() as session:
            session.execute(update(OutboxRow).where(OutboxRow.channel == "webhook:ops").values(target=url))

    point(f"http://127.0.0.1:{slow.getsockname()[1]}/ops")
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).retried == 1
    slow.close()
    clock.advance(timedelta(seconds=6))
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).retried == 1  # refused
    point(receiver.url + "/ops")
    clock.advance(timedelta(seconds=12))
    assert outbox.deliver_due(hooked.db, hooked.plan.settings, clock.now()).delivered == 1
    from sqlalchemy import select

    with hooked.db.read() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.channel == "webhook:ops")).one()
    results = [e["result"] for e in row.log]
    assert results[0].startswith("no answer") and "timed out" in results[0]
    assert results[1].startswith("no answer") and "refused" in results[1].lower()
    assert results[2] == "HTTP 200"
