"""Real `crisisplan worker` processes against a real SMTP server: several share the outbox with each message
sent once; one killed with SIGKILL mid-post loses nothing; SIGTERM gives back what the worker holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from crisisplan import SHIPPED_PLAN
from crisisplan.store.models import OutboxRow, SubscriberRow
from tests.mailbox import SmtpServer

CLI = [sys.executable, "-m", "crisisplan.cli"]


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


def add_subscribers(services, count: int) -> None:
    now = datetime.now(UTC)
    with services.db.write() as session:
        session.execute(insert(SubscriberRow), [
            {"email": f"reader{i}@example.org", "components": [], "locale": "en", "status": "confirmed",
             "token": f"token-{i}", "created_at": now, "confirmed_at": now} for i in range(count)])


def publish(services) -> int:
    view = services.declare("outage", "sev3", "Search is slow", "ana", ["website"])
    post = services.posts(view.id)[0]
    services.publish_post(post.id, "ana")
    return post.id


def start_worker(db_url: str, smtp: SmtpServer, *args: str) -> subprocess.Popen:
    env = {**os.environ, **smtp.env(), "CRISISPLAN_DATABASE_URL": db_url, "CRISISPLAN_PLAN": str(SHIPPED_PLAN)}
    return subprocess.Popen([*CLI, "worker", "--json", "--interval", "0.2", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def pending(services) -> int:
    with services.db.read() as session:
        return session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending"))


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> dict:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return json.loads(out)


def subscribers_mail(smtp: SmtpServer) -> list:
    """The messages to subscribers: the worker also fires the incident's timers on the wall clock, long after the
    simulated clock's declaration, so the team's notices (a missed update's reminder) arrive beside them."""
    return [m for m in smtp.mailbox.messages if m["To"].endswith("@example.org")]


def notices(services) -> int:
    with services.db.read() as session:
        return session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.channel == "email:notice"))


def per_subscriber(smtp: SmtpServer) -> tuple[Counter, Counter]:
    """(distinct Message-IDs a subscriber got, raw messages a subscriber got)."""
    messages = subscribers_mail(smtp)
    distinct = Counter(to for to, _ in {(m["To"], m["Message-ID"]) for m in messages})
    return distinct, Counter(m["To"] for m in messages)


def test_three_workers_share_the_outbox_and_send_each_message_once(services, db_url, smtp) -> None:
    add_subscribers(services, 900)
    workers = [start_worker(db_url, smtp, "--batch", "20") for _ in range(3)]
    time.sleep(2)  # all three up and polling before there is work
    publish(services)
    wait_for(lambda: pending(services) == 0)
    shares = [stop(w)["delivered"] for w in workers]
    distinct, raw = per_subscriber(smtp)
    assert sum(shares) == 900 + notices(services) and sum(1 for s in shares if s) >= 2, shares
    assert len(raw) == 900 and set(raw.values()) == {1} and set(distinct.values()) == {1}


def test_a_worker_killed_mid_post_loses_nothing(services, db_url, smtp) -> None:
    add_subscribers(services, 1000)
    post_id = publish(services)
    first = start_worker(db_url, smtp, "--lease", "2", "--batch", "50")
    wait_for(lambda: len(smtp.mailbox.messages) >= 300)
    first.kill()  # SIGKILL: no chance to give anything back
    first.wait()
    sent_before = len(smtp.mailbox.messages)
    assert 300 <= sent_before < 1000, "the kill came too late to prove anything"
    second = start_worker(db_url, smtp, "--lease", "2", "--batch", "50")
    wait_for(lambda: pending(services) == 0)
    stop(second)
    distinct, raw = per_subscriber(smtp)
    assert len(distinct) == 1000 and set(distinct.values()) == {1}  # everybody, once by Message-ID
    # only the message in flight at the kill (accepted by SMTP, not yet recorded) can go out a second time
    assert sum(raw.values()) - 1000 <= 1
    assert {m["Message-ID"].split(".")[0] for m in subscribers_mail(smtp)} == {f"<post-{post_id}"}


def test_sigterm_gives_back_the_batch_at_once(services, db_url, smtp) -> None:
    add_subscribers(services, 1000)
    publish(services)
    first = start_worker(db_url, smtp, "--lease", "600", "--batch", "500")
    wait_for(lambda: len(smtp.mailbox.messages) >= 100)
    took = stop(first)["delivered"]
    assert took < 1000
    # with a 600 s lease, anything the first worker still held would wait ten minutes: it gave it back
    second = start_worker(db_url, smtp)
    wait_for(lambda: pending(services) == 0, seconds=60)
    stop(second)
    distinct, raw = per_subscriber(smtp)
    assert len(raw) == 1000 and set(raw.values()) == {1}
