"""The console's human words: durations, times, sentences for the audit trail, guards with labels; the declare
form without JavaScript. Every expected value below is written out by hand."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from crisisplan.comms.render import format_moment
from crisisplan.duration import spoken_duration
from crisisplan.web.console import words
from tests.web import form, login


@pytest.mark.parametrize(("delta", "said"), [
    (timedelta(minutes=15), "15 min"),
    (timedelta(minutes=30), "30 min"),
    (timedelta(hours=1), "1 h"),
    (timedelta(minutes=90), "1 h 30 min"),
    (timedelta(hours=4), "4 h"),
    (timedelta(days=1), "1 day"),
    (timedelta(days=2), "2 days"),
    (timedelta(days=2, hours=4), "2 days 4 h"),
    (timedelta(days=1, minutes=30), "1 day"),  # two units at most: minutes beside days are noise
    (timedelta(seconds=45), "45 s"),
    (timedelta(0), "0 s"),
    (timedelta(seconds=-600), "10 min"),  # the length; the caller says "overdue"
    (timedelta(hours=2, minutes=5, seconds=59), "2 h 5 min"),
])
def test_durations_as_a_person_says_them(delta: timedelta, said: str) -> None:
    assert spoken_duration(delta) == said


@pytest.mark.parametrize(("moment", "now", "said"), [
    # winter: Madrid is UTC+1; the same day in Madrid gives the time alone
    (datetime(2026, 1, 1, 8, 24, tzinfo=UTC), datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "09:24 UTC+1"),
    # another day: the date follows
    (datetime(2026, 1, 2, 8, 24, tzinfo=UTC), datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "09:24 UTC+1, 2 Jan"),
    # 23:30 UTC on 1 January is 00:30 on the 2nd in Madrid: another day there, though the same in UTC
    (datetime(2026, 1, 1, 23, 30, tzinfo=UTC), datetime(2026, 1, 1, 9, 0, tzinfo=UTC), "00:30 UTC+1, 2 Jan"),
    # summer: UTC+2
    (datetime(2026, 7, 1, 7, 0, tzinfo=UTC), datetime(2026, 7, 1, 7, 0, tzinfo=UTC), "09:00 UTC+2"),
])
def test_times_in_the_organisations_zone_with_the_date_when_not_today(moment, now, said) -> None:
    assert format_moment(moment, "en", "Europe/Madrid", now) == said


def test_guards_are_told_with_the_runbooks_labels(plan) -> None:
    outage = plan.runbook("outage")
    assert words.why_not(outage, ["field 'cause' must be set"]) == ["Confirmed cause must be set"]
    assert words.why_not(outage, ["a published 'acknowledge' post is required"]) == [
        "the acknowledgement must be published first"]
    assert words.why_not(outage, ["the checklist of the current state must be done"]) == [
        "every item of this state's checklist must be ticked"]


def test_the_timeline_in_sentences(plan) -> None:
    outage = plan.runbook("outage")
    published = {"kind": "post_published", "actor": "ana", "payload": {"kind": "acknowledge", "post_id": 7}}
    assert words.sentence(published, outage, {7: ["en", "es"]}) == "ana published the acknowledgement (en, es)"
    moved = {"kind": "state_changed", "actor": "ana",
             "payload": {"trigger": "identify_cause", "from": "acknowledged", "to": "cause_identified"}}
    assert words.sentence(moved, outage) == "ana moved the incident from Acknowledged publicly to Cause identified"
    paged = {"kind": "paged", "actor": "rudi", "payload": {
        "roles": ["incident_commander", "duty_manager"], "people": {"incident_commander": "rudi", "duty_manager": ""}}}
    assert words.sentence(paged, outage) == "Paged: incident commander (rudi), duty manager"
    assert words.details({"components": ["checkout", "payments"], "drill": False}) == [
        ("components", "checkout, payments", None), ("drill", "no", None)]


def test_declare_without_javascript_in_two_steps(client, services) -> None:
    login(client, "rudi")
    first = client.get("/console/declare").get_data(as_text=True)
    # the plan's default runbook (plan.yaml: default_runbook: outage), only its severities, with their deadlines
    severities = re.search(r'<select id="severity" name="severity">(.*?)</select>', first, re.S).group(1)
    assert re.findall(r'<option value="(\w+)"', severities) == ["sev1", "sev2", "sev3"]
    assert "acknowledge within 15 min, update every 30 min" in severities
    assert '<input type="hidden" name="runbook" id="runbook-chosen" value="outage">' in first
    # the second step without a script: the runbook picked, the page shows its severities
    second = client.get("/console/declare?runbook=complaints").get_data(as_text=True)
    severities = re.search(r'<select id="severity" name="severity">(.*?)</select>', second, re.S).group(1)
    assert re.findall(r'<option value="(\w+)"', severities) == ["high", "normal"]
    assert "acknowledge within 30 min, update every 2 h" in severities
    # a severity of another runbook (the runbook changed, the list not): asked again, nothing declared
    mixed = form(client, "/console/declare", {"runbook": "complaints", "severity": "sev1", "title": "x"})
    assert mixed.status_code == 422 and "Pick a severity of the" in mixed.get_data(as_text=True)
    assert services.status(include_closed=True) == []
    # the defaults as a browser sends them (the first option of each list): declared
    done = form(client, "/console/declare", {"runbook": "outage", "severity": "sev1", "title": "Checkout fails"})
    assert done.status_code == 302
    [view] = services.status(include_closed=True)
    assert (view.runbook_id, view.severity) == ("outage", "sev1")


def test_the_icon_answers(client) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header


def test_no_console_links_before_login(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/console/plan"' not in page and 'href="/console/declare"' not in page
    assert 'href="/"' in page  # the status page is public
