"""Follow-up actions: an owner and a due date each; the owner hears of a new action, is reminded as the day before
the due date begins and told once it is overdue (real SMTP), and a JSON webhook gets `action.created` (and the
reminders) for an issue tracker; lists and exports across incidents; each step in the incident's audit chain.

Simulated clock: 2026-01-01 09:00 UTC. The plan's zone is Europe/Madrid (UTC+1 in January), so an action due on
2026-01-05 is reminded from 2026-01-04 00:00 Madrid (2026-01-03 23:00 UTC) and overdue from 2026-01-06 00:00
Madrid (2026-01-05 23:00 UTC).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crisisplan.cli import main
from crisisplan.errors import InvalidInput
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from tests.plans import plan_copy
from tests.test_notices import deliver
from tests.test_outbox import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def hooked(tmp_path: Path, db, clock, receiver) -> Services:
    plan = plan_copy(tmp_path / "plan", lambda settings: settings.update(webhooks=[
        {"name": "tracker", "url": receiver.url + "/tracker"}]))
    return Services(load_plan(plan), db, clock)


def _events(receiver: Receiver) -> list[dict]:
    return [json.loads(r["body"]) for r in receiver.requests if r["path"] == "/tracker"]


def test_owner_hears_of_it_is_reminded_then_told_it_is_overdue(hooked, smtp, receiver, clock) -> None:
    view = hooked.declare("outage", "sev3", "Search is slow", "ana")
    hooked.trigger(view.id, "dismiss", "ana")  # over: its own deadlines page nobody, its actions still remind
    action = hooked.add_action(view.id, "Alert on certificate expiry", "ana", "2026-01-05", "carmen")
    assert deliver(hooked).dead == 0
    [created] = [e for e in _events(receiver) if e["event"] == "action.created"]
    assert created["action"]["title"] == "Alert on certificate expiry"
    assert created["action"]["owner"] == "ana" and created["action"]["due_on"] == "2026-01-05"
    assert created["incident"] == {"id": view.id, "title": "Search is slow", "severity": "sev3"}
    assert [m["Subject"] for m in smtp.mailbox.to("ana@example.com")] == [
        "Follow-up action for you: Alert on certificate expiry"]

    clock.set(datetime(2026, 1, 3, 22, 59, tzinfo=UTC))  # a minute before the day before begins in Madrid
    assert hooked.remind_actions() == []
    clock.set(datetime(2026, 1, 3, 23, 0, tzinfo=UTC))
    hooked.tick()  # the worker's tick reminds
    hooked.tick()  # once
    assert deliver(hooked).dead == 0
    subjects = [m["Subject"] for m in smtp.mailbox.to("ana@example.com")]
    assert subjects[1:] == ["Due tomorrow: Alert on certificate expiry"]

    clock.set(datetime(2026, 1, 5, 22, 59, tzinfo=UTC))  # still the due date in Madrid
    assert hooked.remind_actions() == []
    clock.set(datetime(2026, 1, 5, 23, 0, tzinfo=UTC))
    assert hooked.remind_actions() == [(action.id, "overdue")]
    assert hooked.remind_actions() == []
    deliver(hooked)
    assert [m["Subject"] for m in smtp.mailbox.to("ana@example.com")][2:] == [
        "Overdue follow-up action: Alert on certificate expiry"]
    assert [e["event"] for e in _events(receiver)] == ["action.created", "action.reminder", "action.overdue"]
    assert [a.overdue(clock.now().date()) for a in hooked.actions()] == [False]  # 23:00 UTC is still the 5th in UTC
    kinds = [e.kind for e in hooked.timeline(view.id) if e.kind.startswith("action")]
    assert kinds == ["action_added", "action_reminded", "action_overdue"]

    hooked.change_action(action.id, "ana", state="done")
    assert hooked.actions(state="open") == []
    assert hooked.verify_incident_audit(view.id)[1] is None


def test_bad_actions_are_refused_naming_the_field(services) -> None:
    view = services.declare("outage", "sev3", "Search is slow", "ana")
    for args, field in ((("", "ana", "2026-01-05"), "title"), (("Fix it", "nobody", "2026-01-05"), "owner"),
                        (("Fix it", "ana", "5 Jan"), "due_on")):
        with pytest.raises(InvalidInput) as refused:
            services.add_action(view.id, *args, "carmen")
        assert refused.value.field == field
    with pytest.raises(InvalidInput, match="open, done, dropped"):
        services.change_action(1, "ana", state="finished")
    assert services.actions() == []
    assert not [e for e in services.timeline(view.id) if e.kind.startswith("action")]


def test_listed_across_incidents_and_exported(services, runner) -> None:
    one = services.declare("outage", "sev3", "Search is slow", "ana")
    two = services.declare("outage", "sev2", "Checkout fails", "ana")
    services.add_action(two.id, "Renew certificates by a job", "bruno", "2026-01-20", "carmen")
    services.add_action(one.id, "Index rebuild runbook", "carmen", "2026-01-10", "carmen")
    result = runner.invoke(main, ["actions", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(a["incident_id"], a["title"], a["due_on"]) for a in listed] == [
        (one.id, "Index rebuild runbook", "2026-01-10"), (two.id, "Renew certificates by a job", "2026-01-20")]
    result = runner.invoke(main, ["actions", "list", "--incident", str(two.id)])
    assert "Renew certificates by a job" in result.output and "Index rebuild" not in result.output
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, ["actions", "export", "--format", "csv"]).output)))
    assert [(r["owner"], r["state"]) for r in rows] == [("carmen", "open"), ("bruno", "open")]
    exported = json.loads(runner.invoke(main, ["actions", "export", "--format", "json"]).output)
    assert exported[1]["title"] == "Renew certificates by a job"
    result = runner.invoke(main, ["actions", "add", str(one.id), "--title", "x", "--owner", "zed", "--due",
                                  "2026-01-01"])
    assert result.exit_code == 1 and "no person or user 'zed'" in result.output
