"""Uptime as a user sees it: a component with a 3-hour major outage on one day shows that day's bar and the
right percentage, on the day and over the 90 days; a maintenance window does not lower it. Every expected
figure below is worked out by hand in the comments, from the times the test sets."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crisisplan.clock import SimulatedClock
from crisisplan.comms import uptime
from crisisplan.web.statusapi import _id
from tests.walk import take

MADRID = ZoneInfo("Europe/Madrid")
# the record begins at midnight on 8 October 2025 in Madrid, 90 days before 5 January 2026 counted inclusively
RECORD_BEGINS = datetime(2025, 10, 8, 0, 0, tzinfo=MADRID)
OUTAGE_FROM = datetime(2026, 1, 3, 10, 0, tzinfo=MADRID)  # major outage on checkout, 10:00 to 13:00 on 3 January
OUTAGE_UNTIL = datetime(2026, 1, 3, 13, 0, tzinfo=MADRID)
WINDOW = (datetime(2026, 1, 4, 2, 0, tzinfo=MADRID), datetime(2026, 1, 4, 4, 0, tzinfo=MADRID))
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=MADRID)
# Hours on the record up to NOW: 8 Oct to 4 Jan is 89 days, one of them (26 Oct, the clocks go back) 25 hours
# long: 89 × 24 + 1 = 2137 h; and 12 h of 5 January: 2149 h. Downtime: 3 h of major outage, counted in full.
OVERALL = 1 - 3 / 2149  # = 0.998604…, shown as 99.86 %


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(RECORD_BEGINS.astimezone(UTC))


@pytest.fixture
def history(services, clock) -> dict[str, int]:
    """The record: every component operational from RECORD_BEGINS; a sev1 outage on checkout (critical: a
    major outage) made public at 10:00 and resolved at 13:00 on 3 January; a maintenance window on checkout
    on 4 January, 02:00 to 04:00 and 15 minutes of checks; the clock stops at NOW."""
    services.record_component_statuses()
    clock.set(OUTAGE_FROM.astimezone(UTC))
    outage = services.declare("outage", "sev1", "Checkout fails", "ana", ["checkout"],
                              translations={"es": {"title": "El pago falla"}})
    take(services, outage.id, "acknowledge", "carmen")  # public now: checkout is in a major outage
    take(services, outage.id, "post_update", "carmen")
    clock.set(OUTAGE_UNTIL.astimezone(UTC))
    take(services, outage.id, "resolve", "carmen")
    window = services.schedule_maintenance("maintenance", "Database upgrade", *WINDOW, "ada", ["checkout"],
                                           {"es": "Actualización de la base de datos"})
    for moment in (WINDOW[0], WINDOW[1], WINDOW[1] + timedelta(minutes=15), NOW):
        clock.set(moment.astimezone(UTC))
        services.tick()
    assert services.get(window.id).state == "completed"
    return {"outage": outage.id, "window": window.id}


def test_the_record_keeps_each_change_of_a_components_status(services, history) -> None:
    assert services.component_history("checkout") == [
        (RECORD_BEGINS.astimezone(UTC), "operational"), (OUTAGE_FROM.astimezone(UTC), "major_outage"),
        (OUTAGE_UNTIL.astimezone(UTC), "operational"), (WINDOW[0].astimezone(UTC), "under_maintenance"),
        (WINDOW[1].astimezone(UTC) + timedelta(minutes=15), "operational")]
    assert services.component_history("payments") == [(RECORD_BEGINS.astimezone(UTC), "operational")]


def test_a_three_hour_major_outage_shows_on_its_day_and_over_the_90_days(services, history) -> None:
    checkout = next(c for c in services.uptime() if c.name == "checkout")
    assert len(checkout.days) == 90
    assert checkout.days[0].day == date(2025, 10, 8) and checkout.days[-1].day == date(2026, 1, 5)
    days = {d.day: d for d in checkout.days}
    third = days[date(2026, 1, 3)]
    assert third.uptime == pytest.approx(1 - 3 / 24)  # 87.5 %
    assert third.seconds["major_outage"] == 3 * 3600 and third.worst == "major_outage"
    assert third.incidents == (history["outage"],)
    assert checkout.uptime == pytest.approx(OVERALL, abs=1e-12)
    assert uptime.percent(checkout.uptime) == 99.86
    assert days[date(2025, 10, 26)].measured_s == 25 * 3600  # the day the clocks went back
    assert days[date(2026, 1, 5)].measured_s == 12 * 3600  # today, up to now
    payments = next(c for c in services.uptime() if c.name == "payments")
    assert payments.uptime == 1.0


def test_a_maintenance_window_does_not_lower_it(services, history) -> None:
    checkout = next(c for c in services.uptime() if c.name == "checkout")
    fourth = next(d for d in checkout.days if d.day == date(2026, 1, 4))
    assert fourth.seconds["under_maintenance"] == 2 * 3600 + 15 * 60  # the work and its 15 minutes of checks
    assert fourth.uptime == 1.0 and fourth.worst == "under_maintenance"
    assert fourth.incidents == (history["window"],)
    assert checkout.uptime == pytest.approx(OVERALL, abs=1e-12)  # the same figure as with the outage alone


def test_the_page_shows_the_bars_with_their_text_and_links(client, history) -> None:
    page = client.get("/?lang=en").get_data(as_text=True)
    section = page[page.index('id="uptime-checkout"'):]
    section = section[:section.index("</ol>")]
    assert "99.86 % uptime" in section
    # one element a day: its worst status in one letter, its text as the title (tooltip and accessible name)
    bars = re.findall(r'<li class="([nodupm])" title="([^"]+)">(.*?)</li>', section, re.S)
    assert len(bars) == 90
    third = next(b for b in bars if b[1].startswith("3 Jan 2026"))
    assert third[0] == "m" and third[1] == "3 Jan 2026: 87.50 % uptime; at worst major outage"
    assert third[2] == (f'<a href="/incidents/{history["outage"]}?lang=en">3 Jan 2026: 87.50 % uptime; at worst '
                        'major outage; incidents that day: Checkout fails</a>')  # the link says it all
    fourth = next(b for b in bars if b[1].startswith("4 Jan 2026"))
    assert fourth[1] == "4 Jan 2026: 100.00 % uptime; at worst under maintenance"
    quiet = next(b for b in bars if b[1].startswith("2 Jan 2026"))
    assert quiet == ("o", "2 Jan 2026: 100.00 % uptime", "")  # no text twice: the title is its text

    spanish = client.get("/?lang=es").get_data(as_text=True)
    assert "99,86 % de disponibilidad" in spanish
    assert "3 ene 2026: 87,50 % de disponibilidad; en el peor momento, caída grave" in spanish
    assert "El pago falla" in spanish


def test_the_uptime_json_gives_the_same_figures(client, history) -> None:
    document = client.get("/api/v2/uptime.json").get_json()
    assert document["uptime"] == {"days": 90, "partial_outage_weight": 0.3, "time_zone": "Europe/Madrid"}
    checkout = next(c for c in document["components"] if c["id"] == _id("component", "checkout"))
    assert checkout["uptime_percentage"] == 99.86 and checkout["uptime"] == pytest.approx(OVERALL, abs=1e-6)
    third = next(d for d in checkout["days"] if d["date"] == "2026-01-03")
    assert third["uptime"] == 0.875 and third["downtime_seconds"] == 10800 and third["recorded_seconds"] == 86400
    assert [i["id"] for i in third["incidents"]] == [str(history["outage"])]


def test_the_computation_weighs_a_partial_outage_and_leaves_unrecorded_days_out() -> None:
    tz = ZoneInfo("UTC")
    day = date(2026, 2, 10)
    changes = [(datetime(2026, 2, 10, 6, tzinfo=tz), "operational"),
               (datetime(2026, 2, 10, 8, tzinfo=tz), "partial_outage"),
               (datetime(2026, 2, 10, 12, tzinfo=tz), "degraded_performance"),
               (datetime(2026, 2, 10, 14, tzinfo=tz), "operational")]
    before, on = uptime.daily(changes, [day - timedelta(days=1), day], tz, datetime(2026, 2, 11, tzinfo=tz), 0.3)
    assert before.uptime is None and before.worst == ""  # nothing recorded: no figure, not 100 %
    # recorded from 06:00: 18 h; 4 h of partial outage at 0.3 = 1.2 h down; degraded performance is not downtime
    assert on.measured_s == 18 * 3600 and on.uptime == pytest.approx(1 - 1.2 / 18)
    assert on.worst == "partial_outage"
    assert uptime.overall([before, on]) == pytest.approx(1 - 1.2 / 18)
    assert uptime.percent(0.99999) == 99.99  # cut, never rounded up to 100


def test_a_new_installation_starts_its_record_at_the_workers_first_tick(services, clock) -> None:
    assert services.component_history("website") == []
    services.tick()
    assert services.component_history("website") == [(RECORD_BEGINS.astimezone(UTC), "operational")]
    clock.advance(timedelta(hours=1))
    services.tick()  # once: nothing changed, nothing more is written
    assert len(services.component_history("website")) == 1
    website = next(c for c in services.uptime() if c.name == "website")
    assert website.days[-1].uptime == 1.0 and website.days[-1].measured_s == 3600
    assert website.days[0].uptime is None  # before the record: no figure
