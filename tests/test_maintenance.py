"""Scheduled maintenance as a user sees it: a window scheduled for later is announced to subscribers (a real
SMTP server), reminded an hour before, and moves by itself to in progress, verifying and completed at its
planned times on a simulated clock; the v2 JSON, the status page and the iCalendar feed show it; a client
written for Statuspage creates one through the manage API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from crisisplan.services.accounts import Accounts
from crisisplan.web.statusapi import _id
from tests.test_email import confirmed, deliver, link, subscribe

MADRID = ZoneInfo("Europe/Madrid")
# 22:00 on 2 January in Madrid (UTC+1 in winter) is 21:00 UTC; the window lasts two hours
START = datetime(2026, 1, 2, 22, 0, tzinfo=MADRID)
END = datetime(2026, 1, 3, 0, 0, tzinfo=MADRID)


def schedule(services, **extra):
    return services.schedule_maintenance("maintenance", "Database upgrade", START, END, "ada", ["checkout"],
                                         {"es": "Actualización de la base de datos"}, **extra)


def subjects(smtp, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.mailbox.to(address)]


def state_at(services, clock, incident_id: int, moment: datetime) -> str:
    clock.set(moment)
    services.tick()  # what the worker does every second
    return services.get(incident_id).state


def test_a_window_scheduled_for_later_runs_by_itself_and_subscribers_hear_of_it_twice(
        client, services, clock, smtp) -> None:
    confirmed(client, services, smtp, "reader@example.org")
    subscribe(client, services, "lector@example.org", lang="es")
    client.post(link(smtp.mailbox.to("lector@example.org")[-1], "confirm"))
    confirmed(client, services, smtp, "payments@example.org", ["payments"])  # another component: told nothing

    view = schedule(services)
    assert view.state == "scheduled"
    deliver(services)
    assert subjects(smtp, "reader@example.org")[1:] == ["Scheduled maintenance: Database upgrade"]
    assert subjects(smtp, "lector@example.org")[1:] == ["Mantenimiento programado: Actualización de la base de datos"]
    text = smtp.mailbox.to("reader@example.org")[-1].get_body(("plain",)).get_content()
    assert "22:00 UTC+1, 2 Jan" in text and "00:00 UTC+1, 3 Jan" in text  # the day is always named
    spanish = smtp.mailbox.to("lector@example.org")[-1].get_body(("plain",)).get_content()
    assert "22:00 UTC+1, 2 ene" in spanish and "Pago del pedido" in spanish

    # the durable wake-up is the reminder, an hour before the start (plan: notify_before 1h)
    assert services.next_due(view.id) == START - timedelta(hours=1)
    assert state_at(services, clock, view.id, START - timedelta(hours=1, seconds=1)) == "scheduled"
    deliver(services)
    assert len(smtp.mailbox.to("reader@example.org")) == 2  # nothing before its time
    assert state_at(services, clock, view.id, START - timedelta(hours=1)) == "scheduled"
    deliver(services)
    assert subjects(smtp, "reader@example.org")[2:] == ["Reminder, scheduled maintenance: Database upgrade"]
    assert subjects(smtp, "lector@example.org")[2:] == [
        "Recordatorio de mantenimiento programado: Actualización de la base de datos"]
    assert services.next_due(view.id) == START

    assert state_at(services, clock, view.id, START - timedelta(seconds=1)) == "scheduled"
    components = client.get("/api/v2/components.json").get_json()["components"]
    assert next(c for c in components if c["id"] == _id("component", "checkout"))["status"] == "operational"

    assert state_at(services, clock, view.id, START) == "in_progress"
    components = client.get("/api/v2/components.json").get_json()["components"]
    assert next(c for c in components if c["id"] == _id("component", "checkout"))["status"] == "under_maintenance"
    assert next(c for c in components if c["id"] == _id("component", "payments"))["status"] == "operational"
    assert services.next_due(view.id) == END

    assert state_at(services, clock, view.id, END - timedelta(seconds=1)) == "in_progress"
    assert state_at(services, clock, view.id, END) == "verifying"
    assert state_at(services, clock, view.id, END + timedelta(minutes=15)) == "completed"  # plan: verify_for 15m
    assert services.get(view.id).closed and services.next_due(view.id) is None
    components = client.get("/api/v2/components.json").get_json()["components"]
    assert next(c for c in components if c["id"] == _id("component", "checkout"))["status"] == "operational"

    # the record: each step at its planned time, taken by crisisplan, each with its post
    moves = [(e.at, json.loads(e.payload)["to"], e.actor) for e in services.timeline(view.id)
             if e.kind == "state_changed"]
    assert moves == [(START.astimezone(UTC), "in_progress", "crisisplan"),
                     (END.astimezone(UTC), "verifying", "crisisplan"),
                     (END.astimezone(UTC) + timedelta(minutes=15), "completed", "crisisplan")]
    deliver(services)
    assert subjects(smtp, "reader@example.org")[3:] == [
        "Maintenance in progress: Database upgrade", "Maintenance: checking the results of Database upgrade",
        "Maintenance completed: Database upgrade"]
    assert subjects(smtp, "payments@example.org")[1:] == []
    assert services.verify_audit()[2] == []


def test_the_v2_json_the_page_and_the_calendar_show_the_window(client, services, clock) -> None:
    view = schedule(services)
    upcoming = client.get("/api/v2/scheduled-maintenances/upcoming.json").get_json()
    [window] = upcoming["scheduled_maintenances"]
    # the fields of Statuspage's scheduled maintenance object
    assert {"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact", "shortlink",
            "started_at", "page_id", "incident_updates", "components", "scheduled_for",
            "scheduled_until"} <= set(window)
    assert window["id"] == str(view.id) and window["name"] == "Database upgrade"
    assert window["status"] == "scheduled" and window["impact"] == "maintenance"
    assert window["scheduled_for"] == "2026-01-02T22:00:00.000+01:00"
    assert window["scheduled_until"] == "2026-01-03T00:00:00.000+01:00"
    assert [c["id"] for c in window["components"]] == [_id("component", "checkout")]
    assert [u["status"] for u in window["incident_updates"]] == ["scheduled"]
    assert window["incident_updates"][0]["body"].startswith("**Scheduled maintenance: Database upgrade**")
    assert client.get("/api/v2/scheduled-maintenances/active.json").get_json()["scheduled_maintenances"] == []
    assert [m["id"] for m in client.get("/api/v2/scheduled-maintenances.json").get_json()[
        "scheduled_maintenances"]] == [str(view.id)]
    assert [m["id"] for m in client.get("/api/v2/summary.json").get_json()["scheduled_maintenances"]] == [str(view.id)]
    assert client.get("/api/v2/incidents.json").get_json()["incidents"] == []  # a window is not an incident

    page = client.get("/?lang=es").get_data(as_text=True)
    assert "Mantenimiento programado" in page and "Actualización de la base de datos" in page
    assert "Database upgrade" not in page  # no English on the Spanish page
    assert "Scheduled maintenance" in client.get("/?lang=en").get_data(as_text=True)
    assert "Actualización de la base de datos" in client.get(f"/incidents/{view.id}?lang=es").get_data(as_text=True)

    answer = client.get("/maintenance.ics")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.data)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Database upgrade"
    assert event.decoded("DTSTART") == START and event.decoded("DTEND") == END
    assert str(event["UID"]) == f"maintenance-{view.id}@status.example.com"
    assert str(event["URL"]) == f"https://status.example.com/incidents/{view.id}"
    [evento] = Calendar.from_ical(client.get("/maintenance.ics?lang=es").data).walk("VEVENT")
    assert str(evento["SUMMARY"]) == "Actualización de la base de datos"
    assert str(evento["DESCRIPTION"]).startswith("Mantenimiento programado")
    assert 'href="/maintenance.ics?lang=es"' in client.get("/?lang=es").get_data(as_text=True)

    clock.set(START + timedelta(minutes=5))
    services.tick()
    [active] = client.get("/api/v2/scheduled-maintenances/active.json").get_json()["scheduled_maintenances"]
    assert active["status"] == "in_progress"
    assert [u["status"] for u in active["incident_updates"]] == ["in_progress", "scheduled"]
    assert client.get("/api/v2/scheduled-maintenances/upcoming.json").get_json()["scheduled_maintenances"] == []
    assert "Maintenance under way" in client.get("/?lang=en").get_data(as_text=True)
    assert Calendar.from_ical(client.get("/maintenance.ics").data).walk("VEVENT")[0]["SEQUENCE"] == 2


@pytest.mark.parametrize(("start", "end", "field"), [
    (END, START, "end"),  # ends before it starts
    (datetime(2025, 12, 1, 8, tzinfo=UTC), datetime(2025, 12, 1, 9, tzinfo=UTC), "end"),  # over already
    (datetime(2026, 1, 2, 22, 0), END, "start"),  # no zone
])
def test_a_window_that_makes_no_sense_is_refused_and_nothing_is_kept(services, start, end, field) -> None:
    from crisisplan.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        services.schedule_maintenance("maintenance", "Database upgrade", start, end, "ada", ["checkout"])
    assert refused.value.field == field
    assert services.status(include_closed=True) == [] and services.public_maintenances() == []


def test_a_statuspage_client_schedules_a_maintenance(app, client, services) -> None:
    _, token = Accounts(services.db, services.clock).add_token("deploy-bot", "communicator")
    page = client.get("/api/v2/summary.json").get_json()["page"]["id"]
    headers = {"Authorization": f"OAuth {token}"}
    # the request a Statuspage client sends to create a scheduled maintenance
    created = client.post(f"/v1/pages/{page}/incidents.json", headers=headers, json={"incident": {
        "name": "Database upgrade", "status": "scheduled", "impact_override": "maintenance",
        "scheduled_for": "2026-01-02T21:00:00.000Z", "scheduled_until": "2026-01-02T23:00:00.000Z",
        "scheduled_remind_prior": True, "scheduled_auto_in_progress": True, "scheduled_auto_completed": True,
        "component_ids": [_id("component", "checkout")],
        "metadata": {"crisisplan": {"titles": {"es": "Actualización de la base de datos"}}}}})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "scheduled" and body["impact"] == "maintenance"
    assert body["scheduled_for"] == "2026-01-02T22:00:00.000+01:00"
    assert body["scheduled_until"] == "2026-01-03T00:00:00.000+01:00"
    assert body["metadata"]["crisisplan"]["runbook"] == "maintenance"
    [window] = client.get("/api/v2/scheduled-maintenances/upcoming.json").get_json()["scheduled_maintenances"]
    assert window["id"] == body["id"] and window["name"] == "Database upgrade"

    refused = client.post(f"/v1/pages/{page}/incidents.json", headers=headers, json={"incident": {
        "name": "Bad window", "scheduled_for": "tomorrow", "scheduled_until": "2026-01-02T23:00:00Z"}})
    assert refused.status_code == 422 and "scheduled_for" in refused.get_json()["error"]
    one_language = client.post(f"/v1/pages/{page}/incidents.json", headers=headers, json={"incident": {
        "name": "Body", "body": "We will upgrade the database.", "scheduled_for": "2026-01-02T21:00:00Z",
        "scheduled_until": "2026-01-02T23:00:00Z"}})
    assert one_language.status_code == 422 and "body" in one_language.get_json()["error"]
    assert len(services.public_maintenances()) == 1  # the refused ones left nothing
    patched = client.patch(f"/v1/pages/{page}/incidents/{body['id']}.json", headers=headers,
                           json={"incident": {"body": "Moved to tomorrow."}})
    assert patched.status_code == 422 and "moves by itself" in patched.get_json()["error"]
    assert [u["status"] for u in client.get("/api/v2/scheduled-maintenances/upcoming.json").get_json()[
        "scheduled_maintenances"][0]["incident_updates"]] == ["scheduled"]  # nothing went out


def test_the_command_line_schedules_a_window(runner) -> None:
    from crisisplan.cli import main

    result = runner.invoke(main, ["maintenance", "schedule", "maintenance", "--start", "2026-12-01T22:00",
                                  "--end", "2026-12-02T00:30", "--title", "Database upgrade", "--component",
                                  "checkout", "--title-in", "es=Actualización de la base de datos", "--json"])
    assert result.exit_code == 0, result.output
    window = json.loads(result.output)
    assert window["state"] == "scheduled" and window["components"] == ["checkout"]
    assert window["starts_at"] == "2026-12-01T21:00:00+00:00"  # 22:00 in Madrid, the organisation's zone
    listed = json.loads(runner.invoke(main, ["maintenance", "list", "--json"]).output)
    assert [(w["id"], w["status"]) for w in listed] == [(window["id"], "scheduled")]
    wrong = runner.invoke(main, ["maintenance", "schedule", "outage", "--start", "2h", "--end", "3h", "--title", "x"])
    assert wrong.exit_code == 1 and "not a maintenance runbook" in wrong.output


def test_the_static_copy_has_the_windows_page_and_calendar(runner, services, tmp_path) -> None:
    from crisisplan.cli import main

    view = schedule(services)
    out = tmp_path / "site"
    result = runner.invoke(main, ["export-site", str(out), "--json"])
    assert result.exit_code == 0, result.output
    files = set(json.loads(result.output)["files"])
    assert {f"incidents/{view.id}/index.html", f"es/incidents/{view.id}/index.html", "maintenance.ics",
            "api/v2/uptime.json", "api/v2/scheduled-maintenances/upcoming.json"} <= files
    [event] = Calendar.from_ical((out / "maintenance.ics").read_bytes()).walk("VEVENT")
    assert event.decoded("DTSTART") == START
    assert "Actualización de la base de datos" in (out / "es" / f"incidents/{view.id}/index.html").read_text()


def test_the_console_does_not_offer_to_declare_a_window(client) -> None:
    from tests.web import login

    login(client, "rudi")
    form = client.get("/console/declare").get_data(as_text=True)
    assert 'value="outage"' in form and 'value="maintenance"' not in form and "planned" not in form
