"""Issue 14: the uptime bars cost the same whatever the history. Their figures come from a per-day summary kept in
the same transaction as each change (services/uptime_summary.py), and the markup says each day's text once.

Every expected figure below is worked out by hand in the comments, from the times the test sets.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from crisisplan.clock import SimulatedClock
from crisisplan.services import uptime_summary
from crisisplan.store.uptime_models import UptimeDayRow
from crisisplan.web.statusapi import _id
from tests.many import seed_incidents
from tests.test_public_cache import uptime_section
from tests.walk import satisfy, take

MADRID = ZoneInfo("Europe/Madrid")
BEGINS = datetime(2026, 1, 10, 0, 0, tzinfo=MADRID)  # the record begins at midnight on 10 January, in Madrid


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(BEGINS.astimezone(UTC))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=MADRID).astimezone(UTC)


@pytest.fixture
def record(services, clock) -> None:
    """Every component operational from 10 January 00:00; payments in a major outage 10:00-12:00 on 10 January;
    the website in a partial outage 08:00-12:00 on 11 January; the clock stops on 12 January at 06:00."""
    services.record_component_statuses()
    for moment, name, status in ((at(10, 10), "payments", "major_outage"), (at(10, 12), "payments", "operational"),
                                 (at(11, 8), "website", "partial_outage"), (at(11, 12), "website", "operational")):
        clock.set(moment)
        services.set_component_status(name, status, "ada")
    clock.set(at(12, 6))


def test_the_figures_are_the_hand_computed_ones(services, record, client) -> None:
    bars = {c.name: {d.day: d for d in c.days} for c in services.uptime()}
    payments, website = bars["payments"], bars["website"]
    # 2 h of major outage in a 24-hour day: 1 - 2/24 = 0.91666…, shown cut to 91.66 %
    assert payments[date(2026, 1, 10)].uptime == pytest.approx(1 - 2 / 24)
    assert payments[date(2026, 1, 10)].seconds == {"operational": 22 * 3600, "major_outage": 2 * 3600}
    # 4 h of partial outage weighed 0.3 (plan.yaml `uptime.partial_weight`): 1.2 h down, 1 - 1.2/24 = 95 %
    assert website[date(2026, 1, 11)].uptime == pytest.approx(0.95)
    assert website[date(2026, 1, 11)].down_s == pytest.approx(1.2 * 3600)
    assert payments[date(2026, 1, 12)].measured_s == 6 * 3600  # today, up to 06:00
    assert payments[date(2026, 1, 9)].uptime is None  # before the record: no figure
    # over the 90 days only 54 h are on the record (24 + 24 + 6): payments 1 - 2/54, the website 1 - 1.2/54
    overall = {c.name: c.uptime for c in services.uptime()}
    assert overall["payments"] == pytest.approx(1 - 2 / 54) and overall["website"] == pytest.approx(1 - 1.2 / 54)
    page = client.get("/?lang=en").get_data(as_text=True)
    assert 'title="10 Jan 2026: 91.66 % uptime; at worst major outage"' in page
    assert 'title="11 Jan 2026: 95.00 % uptime; at worst partial outage"' in page
    assert "96.29 % uptime" in page and "97.77 % uptime" in page  # 0.962962… and 0.977777…, cut
    document = client.get("/api/v2/uptime.json").get_json()
    found = {c["id"]: {d["date"]: d for d in c["days"]} for c in document["components"]}
    tenth = found[_id("component", "payments")]["2026-01-10"]
    assert (tenth["downtime_seconds"], tenth["recorded_seconds"], tenth["status"]) == (7200, 86400, "major_outage")
    assert found[_id("component", "website")]["2026-01-11"]["downtime_seconds"] == 4320  # 1.2 h


def test_the_summary_is_kept_in_the_changes_own_transaction(services, record) -> None:
    with services.db.read() as session:
        assert not uptime_summary.pending(services, session, services.clock.now())  # nothing left for a read
        kept = {(r.component, r.day): r for r in session.scalars(select(UptimeDayRow))}
    # the spans that have ended are in it, never the one still going on (from the last change to now): payments
    # 00:00-10:00 operational and 10:00-12:00 down on 10 January (operational since 12:00, still going on)
    assert kept[("payments", date(2026, 1, 10))].seconds == {"operational": 10 * 3600, "major_outage": 2 * 3600}
    # the website: operational from 10 January 00:00 to 11 January 08:00, then 4 h of partial outage
    assert kept[("website", date(2026, 1, 10))].seconds == {"operational": 24 * 3600}
    assert kept[("website", date(2026, 1, 11))].seconds == {"operational": 8 * 3600, "partial_outage": 4 * 3600}
    assert ("payments", date(2026, 1, 11)) not in kept and ("website", date(2026, 1, 12)) not in kept


def test_an_incident_is_counted_by_the_change_that_closes_it(services, record, clock) -> None:
    clock.set(at(12, 7))
    view = services.declare("outage", "sev1", "Checkout fails", "ana", ["checkout"])
    take(services, view.id, "acknowledge", "carmen")
    take(services, view.id, "post_update", "carmen")
    clock.set(at(12, 9))
    take(services, view.id, "resolve", "carmen")
    satisfy(services, view.id, "close", "carmen")
    take(services, view.id, "close", "carmen")
    assert services.get(view.id).closed
    with services.db.read() as session:
        assert not uptime_summary.pending(services, session, services.clock.now())
        row = session.scalars(select(UptimeDayRow).where(UptimeDayRow.component == "checkout",
                                                         UptimeDayRow.day == date(2026, 1, 12))).one()
    assert (row.incident_count, [i["id"] for i in row.incidents]) == (1, [view.id])
    checkout = {d.day: d for d in next(c for c in services.uptime() if c.name == "checkout").days}
    twelfth = checkout[date(2026, 1, 12)]
    assert twelfth.incidents == (view.id,) and twelfth.incident_count == 1
    # the walk to `close` (its follow-up) takes the clock past that day, so it is whole on the record: 2 h of major
    # outage (07:00 to 09:00) in 24 h, 1 - 2/24
    assert services.clock.now() > at(13, 0) and twelfth.uptime == pytest.approx(1 - 2 / 24)
    services.record_component_statuses()  # any later change folds again: the incident stays counted once
    checkout = {d.day: d for d in next(c for c in services.uptime() if c.name == "checkout").days}
    assert checkout[date(2026, 1, 12)].incident_count == 1 and checkout[date(2026, 1, 13)].incident_count == 0


def _render(client, services, status: str) -> tuple[int, str]:
    """Change something public (a component's status by hand), then count the statements of the render."""
    services.set_component_status("payments", status, "ada")
    statements: list[str] = []

    def count(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", count)
    try:
        page = client.get("/").get_data(as_text=True)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", count)
    return len(statements), page


def test_a_render_costs_the_same_with_10_and_with_2000_incidents(client, services, clock) -> None:
    clock.set(at(10, 12))
    services.record_component_statuses()
    empty = uptime_section(client.get("/").get_data(as_text=True))
    # one element a day, its text once: 6 components × 90 days at < 60 bytes a day (it was 84 KB, 155 a day)
    assert len(re.findall(r"<li ", empty)) == 540 and len(empty) < 540 * 60
    seed_incidents(services, 10)
    client.get("/")  # rows written in bulk, past the services: the summary takes them in on this read, once
    few, small = _render(client, services, "degraded_performance")
    seed_incidents(services, 1990)
    client.get("/")
    many, large = _render(client, services, "operational")
    assert few == many and few > 0, (few, many)
    # 2,000 incidents on the website over 90 days (~22 a day): each of its 90 bars says how many, and links the
    # month's history, once (a day of 3 or fewer names them)
    saturated = uptime_section(large)
    website = _component(saturated, "website")
    assert website.count("<a ") == 90 and "Seeded incident" not in website
    assert len(re.findall(r"incidents that day: \d\d \(All incidents, month by month\)</a>", website)) == 90
    # what history can add: one link of < 130 bytes a bar (it repeats the bar's text, so that it reads alone)
    assert len(saturated) < len(empty) + 90 * 130
    seed_incidents(services, 2000)  # twice the history: not one byte more in the bars, not one statement more
    client.get("/")
    more, larger = _render(client, services, "degraded_performance")
    assert more == few
    # the same bars, each day's count doubled (~44, two digits still)
    assert re.sub(r"\d\d \(", "(", _component(uptime_section(larger), "website")) == re.sub(r"\d\d \(", "(", website)
    assert len(uptime_section(larger)) == len(saturated)
    assert "Seeded incident" in small and len(large) < 64 * 1024


def _component(section: str, name: str) -> str:
    start = section.index(f'id="uptime-{name}"')
    return section[start:section.index("</ol>", start)]


def test_a_database_from_before_the_summary_fills_it_on_first_read(services, record) -> None:
    expected = {c.name: [(d.day, d.measured_s, d.down_s, d.worst) for d in c.days] for c in services.uptime()}
    with services.db.write() as session:  # as after the migration: empty summary, marks at the start
        for table in ("uptime_days", "uptime_marks", "uptime_told"):
            session.execute(UptimeDayRow.metadata.tables[table].delete())
    with services.db.read() as session:
        assert uptime_summary.pending(services, session, services.clock.now())
    found = {c.name: [(d.day, d.measured_s, d.down_s, d.worst) for d in c.days] for c in services.uptime()}
    assert found == expected
    assert found["payments"][-3] == (date(2026, 1, 10), 86400, 7200, "major_outage")  # 2 h down, by hand
    with services.db.read() as session:
        assert not uptime_summary.pending(services, session, services.clock.now())

