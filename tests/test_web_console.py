"""The console through Flask's test client: login, roles, the incident flow, the post editor, the timeline."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from crisisplan.clock import SimulatedClock
from tests.web import form, login


def declare(client, title: str = "Checkout fails", severity: str = "sev1", drill: bool = False) -> int:
    data = {"runbook": "outage", "severity": severity, "title": title, "components": ["checkout", "payments"]}
    if drill:
        data["drill"] = "on"
    response = form(client, "/console/declare", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/console/incidents/(\d+)", response.headers["Location"]).group(1))


def test_login_wrong_password_then_a_wait_then_success(client, clock) -> None:
    assert client.get("/console/").status_code == 302
    for _ in range(5):
        refused = login(client, "rudi", "wrong password!")
        assert refused.status_code == 401 and b"wrong name or password" in refused.data
    waiting = login(client, "rudi")  # the right password, during the minute's wait: the same answer
    assert waiting.status_code == 401 and b"wrong name or password, or too many attempts" in waiting.data
    clock.advance(timedelta(seconds=61))
    assert login(client, "rudi").status_code == 302
    page = client.get("/console/").get_data(as_text=True)
    assert "rudi (responder)" in page and "No active incidents." in page


def test_unknown_name_gets_the_same_answer(client) -> None:
    response = login(client, "nobody")
    assert response.status_code == 401 and b"wrong name or password" in response.data


def test_login_refuses_an_outside_redirect(client) -> None:
    from tests.web import csrf

    response = client.post("/login", data={"name": "vera", "password": "correct horse battery",
                                           "next": "//evil.example/x", "csrf_token": csrf(client)})
    assert response.headers["Location"] == "/console/"


def test_forms_without_a_csrf_token_are_refused(client) -> None:
    login(client, "rudi")
    response = client.post("/console/declare", data={"runbook": "outage", "severity": "sev1", "title": "x"})
    assert response.status_code == 400 and b"CSRF" in response.data


def test_declare_trigger_and_blocked_triggers(client, services) -> None:
    login(client, "rudi")
    incident_id = declare(client)
    page = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    # the runbook's words on the buttons, the id in small print; a public step is a communicator's, so not here
    assert "False alarm, nothing customers can see <small>(then False alarm) <code>dismiss</code></small>" in page
    assert "We have acknowledged it <small>" not in page and "a communicator does that" in page
    assert ("<strong>The cause is confirmed</strong> <small><code>identify_cause</code></small> waits: "
            "Confirmed cause must be set.") in page
    # the diagram's address names the version shown: a new state is a new image, never a cached one
    assert f'src="/console/incidents/{incident_id}/diagram.svg?v={services.get(incident_id).version}"' in page
    [ack] = services.posts(incident_id)  # the acknowledgement is drafted by the time the page opens
    assert ack.kind == "acknowledge"
    version = services.get(incident_id).version
    # a public step is not fired by hand: it is taken by publishing its post
    refused = form(client, f"/console/incidents/{incident_id}/trigger",
                   {"trigger": "acknowledge", "version": version}, follow=True).get_data(as_text=True)
    assert "&#39;acknowledge&#39; is taken by publishing the &#39;acknowledge&#39; post, not by hand" in refused
    assert services.get(incident_id).version == version
    assert form(client, f"/console/incidents/{incident_id}/step", {"trigger": "acknowledge"}).status_code == 403
    login(client, "carmen")  # the step's button opens the acknowledgement drafted on declaring
    opened = form(client, f"/console/incidents/{incident_id}/step", {"trigger": "acknowledge"})
    assert opened.headers["Location"].endswith(f"/console/posts/{ack.id}")
    assert "the incident moves when it goes out" in client.get(opened.headers["Location"]).get_data(as_text=True)
    step = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    assert ("We have acknowledged it <small>(publish the acknowledgement; then Acknowledged publicly) "
            "<code>acknowledge</code></small>") in step
    form(client, f"/console/posts/{ack.id}/submit")
    login(client, "lena")
    form(client, f"/console/posts/{ack.id}/approve")
    login(client, "carmen")
    done = form(client, f"/console/posts/{ack.id}/publish", follow=True)
    assert "Published." in done.get_data(as_text=True)
    stale = form(client, f"/console/incidents/{incident_id}/trigger",
                 {"trigger": "dismiss", "version": version}, follow=True)
    assert "changed since you loaded it" in stale.get_data(as_text=True)
    assert services.get(incident_id).state == "acknowledged"
    svg = client.get(f"/console/incidents/{incident_id}/diagram.svg")
    assert svg.content_type == "image/svg+xml" and b"<svg" in svg.data and b">publicly</text>" in svg.data
    assert svg.data.count(b'fill="#ffe08a"') == 1  # the current state, and only it, highlighted
    assert svg.headers["Cache-Control"] == "no-cache"


def test_a_viewer_sees_but_cannot_act(client) -> None:
    login(client, "rudi")
    incident_id = declare(client)
    client.post("/logout", data={"csrf_token": __import__("tests.web").web.csrf(client, "/console/")})
    login(client, "vera")
    page = client.get(f"/console/incidents/{incident_id}").get_data(as_text=True)
    # no button she may not press: a line says who may
    assert "<button" not in page.split("<main", 1)[1] and "moving it takes a responder" in page
    assert form(client, f"/console/incidents/{incident_id}/trigger", {"trigger": "acknowledge"}).status_code == 403


def test_post_editor_review_and_publish(client, services) -> None:
    login(client, "rudi")
    incident_id = declare(client)
    [ack] = services.posts(incident_id)
    client.get("/console/")  # keep the session
    login(client, "carmen")
    page = client.get(f"/console/posts/{ack.id}").get_data(as_text=True)
    assert "Short social post" in page and "(short form)" in page and "none" in page
    text = ack.bodies["en"].replace("Our team is on it right now.", "It is not our fault. Our team is on it.")
    edited = form(client, f"/console/posts/{ack.id}/edit",
                  {f"body_{loc}": body for loc, body in ack.bodies.items()} | {"body_en": text, "version": ack.version},
                  follow=True).get_data(as_text=True)
    assert "Saved." in edited and "[<code>blame</code>]" in edited and "not our fault" in edited
    # no Publish button for a post that cannot go out yet: a line says what is missing
    assert '<button type="submit">Publish</button>' not in edited
    assert "Not publishable yet: it needs the approval of somebody other than its author (submit it for review)" \
        in edited and "the tone check blocks it (blame)" in edited
    assert "Status page: " in edited and " of 10,000 characters" in edited  # the channel's name, not its id
    refused = form(client, f"/console/posts/{ack.id}/publish", follow=True).get_data(as_text=True)
    assert "needs the approval of somebody other than its author" in refused
    stale = form(client, f"/console/posts/{ack.id}/edit", {"body_en": ack.bodies["en"]}, follow=True).get_data(
        as_text=True)
    # the English text changed twice: the Spanish one is stale until edited or confirmed unchanged
    assert "The es text is stale" in stale and "Confirm es unchanged" in stale
    assert "confirmed unchanged" in form(client, f"/console/posts/{ack.id}/confirm-locale", {"locale": "es"},
                                         follow=True).get_data(as_text=True)
    assert services.post(ack.id).stale_locales == []
    form(client, f"/console/posts/{ack.id}/submit")
    login(client, "lena")
    assert "Approved." in form(client, f"/console/posts/{ack.id}/approve", follow=True).get_data(as_text=True)
    login(client, "carmen")
    assert '<button type="submit">Publish</button>' in client.get(f"/console/posts/{ack.id}").get_data(as_text=True)
    assert "Published." in form(client, f"/console/posts/{ack.id}/publish", follow=True).get_data(as_text=True)
    assert services.post(ack.id).status == "published"
    public = client.get("/").get_data(as_text=True)
    assert "Checkout fails" in public and "Our team is on it right now." in public


# 07:00 UTC on 15 January 2026 is 08:00 in Madrid (UTC+1 in winter), the shipped plan's time zone
@pytest.mark.parametrize("clock", [SimulatedClock(datetime(2026, 1, 15, 7, 0, tzinfo=UTC))])
def test_a_time_typed_in_the_editor_is_the_organisations(client, services) -> None:
    login(client, "carmen")
    [ack] = services.posts(declare(client))
    form(client, f"/console/posts/{ack.id}/edit", {"next_update": "10:00"})
    # 10:00 in Madrid in January is 09:00 UTC (not 10:00 UTC, nor the server's own zone)
    assert services.post(ack.id).next_update_at == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    refused = form(client, f"/console/posts/{ack.id}/edit", {"next_update": "tea time"}, follow=True)
    assert "next_update: 'tea time' is neither a duration (45m, 2h) nor a time of day (14:30)" in \
        html.unescape(refused.get_data(as_text=True))
    assert services.post(ack.id).next_update_at == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_an_edit_that_lost_a_race_keeps_the_text(client, services) -> None:
    login(client, "carmen")
    incident_id = declare(client)
    [ack] = services.posts(incident_id)
    services.edit_post(ack.id, "Somebody else was faster. Sorry. Next update by 10:00. https://x.example", "lena")
    mine = "My careful words, which must not be lost. Sorry. Next update by 10:30. https://help.example.com"
    response = form(client, f"/console/posts/{ack.id}/edit", {"body_en": mine, "version": ack.version})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "changed since you opened it" in page and mine in page


def test_timeline_filter_and_markdown_export(client, services) -> None:
    login(client, "rudi")
    incident_id = declare(client, title="Payments | down")
    page = client.get(f"/console/incidents/{incident_id}/timeline?kind=declared").get_data(as_text=True)
    assert "rudi declared the incident: “Payments | down”, severity sev1" in page.replace("&#34;", '"')
    assert "Public acknowledgement due: running" not in page  # a timer_set event, filtered out
    assert '<input type="checkbox" name="kind" value="timer_set" >' in page
    everything = client.get(f"/console/incidents/{incident_id}/timeline").get_data(as_text=True)
    assert "Public acknowledgement due: running" in everything and "<details" in everything
    assert "timer=acknowledge_by" not in everything and "{&#39;" not in everything  # no Python reprs
    export = client.get(f"/console/incidents/{incident_id}/timeline.md")
    text = export.get_data(as_text=True)
    assert export.content_type.startswith("text/markdown") and "attachment" in export.headers["Content-Disposition"]
    assert text.startswith("# Incident #1: Payments | down") and "| declared |" in text and "Payments \\| down" in text


def test_live_lint_endpoint(client) -> None:
    login(client, "carmen")
    token = __import__("tests.web").web.csrf(client, "/console/")
    response = client.post("/console/lint", json={"text": "YOU ARE WRONG!!", "locale": "en", "channel": "sms"},
                           headers={"X-CSRFToken": token})
    data = response.get_json()
    assert response.status_code == 200 and {"shouting", "contradiction"} <= {f["rule"] for f in data["findings"]}
    assert data["unit"] == "segments"


def test_plan_browser_and_people(client) -> None:
    login(client, "vera")
    page = client.get("/console/plan").get_data(as_text=True)
    assert "No problems" in page and "outage/diagram.svg" in page and "en/acknowledge.short.md.j2" in page
    assert b"{{ incident.title }}" in client.get("/console/plan/templates/en/acknowledge.md.j2").data
    assert client.get("/console/plan/templates/../plan.yaml").status_code == 404
    assert client.get("/console/people").status_code == 403
    login(client, "ada")
    made = form(client, "/console/people", {"what": "token", "name": "monitor", "role": "viewer"})
    assert b"New API token: <code>cp_" in made.data


def test_the_timeline_says_whether_the_audit_chain_is_intact(client, services, db) -> None:
    from sqlalchemy import text

    login(client, "rudi")
    incident_id = declare(client)
    assert "Audit chain intact: 6 event(s)" in client.get(f"/console/incidents/{incident_id}/timeline").get_data(
        as_text=True)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    page = client.get(f"/console/incidents/{incident_id}/timeline").get_data(as_text=True)
    assert "Audit chain broken: incident 1, event #2" in page
