"""Bluesky against the reference AT Protocol servers (scripts/atproto.sh), as a team sees it: a customer's
mention becomes a signal after `crisisplan inbox pull --once`, the team's answer appears in the customer's thread,
the status post in the organisation's feed with a working link, and a worker killed mid-send posts once."""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from crisisplan.cli import main
from crisisplan.services import Services
from crisisplan.store.models import OutboxRow, SignalRow
from tests.atproto import (
    Account,
    Network,
    app_password,
    create_account,
    mention_post,
    own_posts,
    start_network,
    stop_network,
    unavailable,
    wait_for,
)
from tests.plans import plan_copy
from tests.walk import publish_kind, satisfy, take

ROOT = Path(__file__).resolve().parents[1]
PASSWORD_ENV = "CRISISPLAN_TEST_BLUESKY_PASSWORD"
COMPLAINT = "the payments page took my money twice and shows no order. Order #48213, please help"
_names = itertools.count(1)


@pytest.fixture(scope="session")
def network() -> Iterator[Network]:
    started, why = start_network()
    if started is None:
        unavailable(why)
    yield started
    stop_network(started)


@pytest.fixture
def people(network: Network) -> dict[str, Account]:
    """This test's own organisation account, a customer with two followers, and the followers (handles made
    unique per test; short ones like shop.test are reserved on the dev network)."""
    n = f"{os.getpid()}x{next(_names)}"
    org = create_account(network, f"acmeshop{n}.test")
    customer = create_account(network, f"carla{n}.test")
    for follower in (org, create_account(network, f"fan{n}.test")):
        follower.client.follow(customer.did)
    return {"org": org, "customer": customer}


@pytest.fixture
def connected(tmp_path: Path, network: Network, people: dict[str, Account], monkeypatch: pytest.MonkeyPatch,
              db_url: str) -> Path:
    """A plan whose `connectors: bluesky:` is the organisation's account, with an app password in the environment;
    complaints declare an incident at once (declare_reach 1), so the team has someone to answer."""
    def connect(settings: dict[str, Any]) -> None:
        settings["connectors"] = {"bluesky": {"service": network.pds, "handle": people["org"].handle,
                                              "password_env": PASSWORD_ENV}}
        settings.setdefault("signals", {})["complaints"] = {"declare_reach": 1}

    monkeypatch.setenv(PASSWORD_ENV, app_password(people["org"]))
    monkeypatch.setenv("CRISISPLAN_DATABASE_URL", db_url)
    return plan_copy(tmp_path / "plan", connect)


def opened(plan: Path, db_url: str) -> Services:
    """The plan's services on a clock that starts now and moves only when told (timers that draft posts)."""
    from datetime import UTC, datetime

    from crisisplan.clock import SimulatedClock

    return Services.open(plan, db_url, SimulatedClock(datetime.now(UTC)))


def pull_once(plan: Path) -> str:
    result = CliRunner().invoke(main, ["inbox", "pull", "--once", "--plan", str(plan)])
    assert result.exit_code == 0, result.output
    return result.output


def complaint_signals(services: Services) -> list[SignalRow]:
    return [s for s in services.signals() if s.source == "complaint"]


def indexed(people: dict[str, Account], uri: str) -> bool:
    """Whether the AppView lists the customer's post among the organisation's notifications yet."""
    answer = people["org"].client.app.bsky.notification.list_notifications({"limit": 50})
    return any(n.uri == uri for n in answer.notifications)


def test_a_mention_becomes_a_signal_with_its_author_link_reach_and_triage(connected: Path, people, db_url) -> None:
    uri, _ = mention_post(people["customer"], people["org"], COMPLAINT)
    wait_for(lambda: indexed(people, uri), why="the AppView indexes the mention")
    output = pull_once(connected)
    assert "bluesky: 1 new" in output
    services = opened(connected, db_url)
    [signal] = complaint_signals(services)
    handle, rkey = people["customer"].handle, uri.rsplit("/", 1)[-1]
    assert signal.source_id == f"bluesky:{uri}"
    assert signal.data["author"] == handle
    assert signal.data["link"] == f"https://bsky.app/profile/{handle}/post/{rkey}"
    assert signal.data["reach"] == 2  # the organisation and one fan follow the customer
    assert signal.data["text"] == f"@{people['org'].handle} {COMPLAINT}"
    assert signal.data["channel"] == "social" and signal.data["connector"] == "bluesky"
    triage = signal.data["triage"]
    assert (triage["topic"], triage["legitimacy"], triage["severity"]) == ("payments", "legitimate", "normal")
    assert signal.incident_id is not None  # declare_reach 1: the complaint declared
    assert "bluesky: 0 new" in pull_once(connected)  # recorded once per post
    assert len(complaint_signals(services)) == 1


def test_the_teams_answer_appears_in_the_customers_thread(connected: Path, people, db_url) -> None:
    uri, cid = mention_post(people["customer"], people["org"], COMPLAINT)
    wait_for(lambda: indexed(people, uri), why="the AppView indexes the mention")
    pull_once(connected)
    services = opened(connected, db_url)
    [signal] = complaint_signals(services)
    satisfy(services, signal.incident_id, "judge_legitimate")  # the team reads it and judges it real
    take(services, signal.incident_id, "judge_legitimate")
    publish_kind(services, signal.incident_id, "private_channel_invite")
    [invite] = [p for p in services.posts(signal.incident_id) if p.kind == "private_channel_invite"]
    said = services.private_delivery(invite)  # the post page tells the team it goes out in public, where
    assert (said["how"], said["to"], said["status"]) == ("bluesky", people["customer"].handle, "pending")
    worker(connected)
    [answer] = own_posts(people["org"])
    assert answer.value.reply.parent.uri == uri and answer.value.reply.root.uri == uri
    assert answer.value.reply.parent.cid == cid
    # the invitation's short words, greeting them by the name the signal knows (no display name: the handle)
    assert answer.value.text.startswith(f"{people['customer'].handle}, thank you")
    assert "direct message" in answer.value.text
    thread = people["customer"].client.app.bsky.feed.get_post_thread({"uri": uri})
    wait_for(lambda: people["customer"].client.app.bsky.feed.get_post_thread({"uri": uri}).thread.replies,
             why="the AppView shows the answer in the thread")
    thread = people["customer"].client.app.bsky.feed.get_post_thread({"uri": uri})
    assert [r.post.author.did for r in thread.thread.replies] == [people["org"].did]


def test_the_status_post_appears_in_the_organisations_feed_with_a_working_link(connected: Path, people,
                                                                                 db_url) -> None:
    from crisisplan.web import create_app

    services = opened(connected, db_url)
    view = services.declare("outage", "sev2", "Payments failing", "tester", ["payments"])
    publish_kind(services, view.id, "acknowledge")
    worker(connected)
    feed = wait_for(lambda: people["org"].client.app.bsky.feed.get_author_feed({"actor": people["org"].did}).feed,
                    why="the AppView shows the status post in the organisation's feed")
    [item] = feed
    post_text = item.post.record.text
    [facet] = item.post.record.facets
    link = f"https://status.example.com/incidents/{view.id}"
    assert post_text.encode()[facet.index.byte_start:facet.index.byte_end].decode() == link
    assert facet.features[0].uri == link
    # the link leads to the incident's public page (the status site's own address is status_url)
    app = create_app({"SERVICES": services, "SECRET_KEY": "t", "TICK_SECONDS": 0, "PUBLIC_CACHE_SECONDS": 0})
    assert app.test_client().get(f"/incidents/{view.id}").status_code == 200


def test_a_worker_killed_between_posting_and_confirming_posts_once(connected: Path, people, db_url) -> None:
    services = opened(connected, db_url)
    view = services.declare("outage", "sev2", "Payments failing", "tester", ["payments"])
    publish_kind(services, view.id, "acknowledge")
    [row] = [r for r in services.outbox_messages() if r.channel == "bluesky:post"]
    with services.db.write() as session:  # the publication's other messages (e-mails to people) wait till later
        session.execute(update(OutboxRow).where(OutboxRow.id != row.id).values(
            next_attempt_at=datetime.now(UTC) + timedelta(days=1)))
    # hold the outbox row once the worker has claimed it: it posts, then waits to record the delivery
    log = connected.parent / "worker.log"
    first = start_worker(connected, log)
    try:
        wait_for(lambda: claimed(services, row.id), seconds=60, interval=0.005, why="the worker claims the message")
        with holding(services, row.id):
            try:
                wait_for(lambda: own_posts(people["org"]), seconds=60, why="the worker posts")
            except AssertionError as error:
                raise AssertionError(f"{error}; the worker said: {log.read_text()}") from None
            first.kill()  # between posting and confirming
            first.wait(10)
    finally:
        if first.poll() is None:  # the test failed before the kill: leave no worker behind
            first.kill()
            first.wait(10)
    [held] = [r for r in services.outbox_messages() if r.id == row.id]
    assert held.status == "pending" and held.attempts == 0  # posted, never confirmed
    time.sleep(max(0.0, (held.locked_until - datetime.now(UTC)).total_seconds()) + 0.1)  # its lease runs out
    worker(connected)
    assert [r.status for r in services.outbox_messages() if r.channel == "bluesky:post"] == ["delivered"]
    assert len(own_posts(people["org"])) == 1


@contextmanager
def holding(services: Services, row_id: int) -> Iterator[None]:
    """The outbox row locked against writers (as a slow database would hold it): whoever claimed it can send,
    but not record the delivery."""
    if services.db.is_sqlite:
        hold = sqlite3.connect(services.db.engine.url.database, isolation_level=None, timeout=30)
        hold.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            hold.rollback()
            hold.close()
        return
    with services.db.engine.connect() as connection:
        connection.execute(select(OutboxRow).where(OutboxRow.id == row_id).with_for_update())
        yield
        connection.rollback()


def claimed(services: Services, row_id: int) -> bool:
    with services.db.read() as session:
        return session.get(OutboxRow, row_id).locked_until is not None


def start_worker(plan: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "crisisplan.cli", "worker", "--lease", "10", "--pull-every",
                             "0", "--plan", str(plan)], env=os.environ.copy(), cwd=ROOT,
                            stderr=log.open("w"))


def worker(plan: Path) -> None:
    """One worker round in its own process, as `crisisplan worker --once` runs it."""
    done = subprocess.run([sys.executable, "-m", "crisisplan.cli", "worker", "--once", "--pull-every", "0",
                           "--plan", str(plan)], env=os.environ.copy(), cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_the_firehose_finds_mentions_without_an_appview(connected: Path, people, db_url, network) -> None:
    import yaml

    settings = yaml.safe_load((connected / "plan.yaml").read_text(encoding="utf-8"))
    settings["connectors"]["bluesky"]["source"] = "firehose"
    (connected / "plan.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    uri, _ = mention_post(people["customer"], people["org"], COMPLAINT)
    services = opened(connected, db_url)
    [pulled] = services.pull_inbox()
    assert pulled.error == ""
    [signal] = [s for s in complaint_signals(services) if s.source_id == f"bluesky:{uri}"]
    assert signal.data["author"] == people["customer"].handle
    assert signal.data["thread"]["parent"]["uri"] == uri
    cursor = services.connector_cursor("bluesky").cursor
    [again] = services.pull_inbox()  # from the kept sequence number: nothing new
    assert (again.new, again.repeats) == (0, 0)
    assert int(services.connector_cursor("bluesky").cursor) >= int(cursor)
