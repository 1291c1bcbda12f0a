"""Responsiveness, measured from the record and published as aggregates: per support channel, the share of the last
30 days' complaints answered (a reply delivered) and the median first-answer time; in the console, in
`crisisplan signals list`, and on the public status page next to "Reach us" when plan.yaml says so — never a
person. Every expected figure is worked out by hand in the comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisisplan.cli import main
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.models import OutboxRow
from tests.plans import plan_copy
from tests.web import login

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)  # the window of 30 days: after 2026-01-01 12:00 UTC


def at(day: int, hour: int, minute: int = 0, month: int = 1, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def complaint(services: Services, channel: str, author: str, when: datetime, text: str = "") -> int:
    row, new = services.receive_complaint(channel, author, 10, text or f"The app is slow today, says {author}",
                                          at=when, source_id=f"{channel}-{author}")
    assert new
    return row.id


def reply(services: Services, signal: int | None, created: datetime, delivered: datetime | None, *,
          status: str = "delivered", channel: str = "email:reply", key: str = "") -> None:
    """A reply as the outbox records it: created when it was sent off, delivered (or not) later."""
    with services.db.write() as session:
        session.add(OutboxRow(post_id=None, channel=channel, target="someone@example.net",
                              payload=json.dumps({"text": "Thank you", **({"signal": signal} if signal else {})}),
                              idempotency_key=key or f"test-reply-{signal}-{created.isoformat()}", status=status,
                              attempts=1, next_attempt_at=created, created_at=created, delivered_at=delivered,
                              log=[]))


@pytest.fixture
def record(services: Services, clock) -> dict[str, int]:
    """Complaints and replies over January 2026; the figures at NOW are worked out beside each."""
    ids = {}
    # e-mail, in the window: e1 answered after 30 min; e2 after 120 min (a second reply later does not count);
    # e3 answered never (one reply still pending, one dead); e4 after 45 min
    ids["e1"] = complaint(services, "email", "e1@example.net", at(10, 10))
    reply(services, ids["e1"], at(10, 10, 20), at(10, 10, 30))
    ids["e2"] = complaint(services, "email", "e2@example.net", at(12, 8))
    reply(services, ids["e2"], at(12, 9, 55), at(12, 10))
    reply(services, ids["e2"], at(12, 15), at(12, 15, 1))
    ids["e3"] = complaint(services, "email", "e3@example.net", at(20, 9))
    reply(services, ids["e3"], at(20, 9, 30), None, status="pending")
    reply(services, ids["e3"], at(20, 9, 31), None, status="dead")
    ids["e4"] = complaint(services, "email", "e4@example.net", at(25, 9))
    reply(services, None, at(25, 9, 40), at(25, 9, 45), key=f"post-77-reply-{ids['e4']}")  # named by its key
    # not counted: before the window (Dec 20, answered), judged trolling (Jan 30)
    ids["old"] = complaint(services, "email", "old@example.net", at(20, 9, month=12, year=2025))
    reply(services, ids["old"], at(20, 9, 10, month=12, year=2025), at(20, 9, 15, month=12, year=2025))
    ids["troll"] = complaint(services, "email", "troll@example.net", at(30, 9))
    services.override_triage(ids["troll"], {"legitimacy": "trolling"}, "carmen")
    # social: s1 answered after 60 min (by a connector's reply), s2 after 20 min
    ids["s1"] = complaint(services, "social", "@sam", at(5, 9))
    reply(services, ids["s1"], at(5, 9, 59), at(5, 10), channel="bluesky:reply")
    ids["s2"] = complaint(services, "social", "@sue", at(6, 9))
    reply(services, ids["s2"], at(6, 9, 19), at(6, 9, 20), channel="bluesky:reply")
    # a channel the plan does not list (a CSV import): one complaint, unanswered
    ids["t1"] = complaint(services, "twitter", "@tom", at(15, 9))
    clock.set(NOW)
    return ids


def test_share_answered_and_median_first_answer_per_channel(services: Services, record) -> None:
    figures = {f["channel"]: f for f in services.responsiveness(30)}
    assert list(figures) == ["social", "email", "phone", "chat", "twitter"]  # the plan's order, then the others
    # e-mail: e1, e2, e3, e4 count; 3 answered: 3/4 = 0.75; median of 30, 120, 45 minutes = 45
    assert (figures["email"]["complaints"], figures["email"]["answered"]) == (4, 3)
    assert figures["email"]["share"] == 0.75 and figures["email"]["median_minutes"] == 45
    # social: 2 of 2; median of 60 and 20 = (20 + 60) / 2 = 40
    assert figures["social"]["share"] == 1.0 and figures["social"]["median_minutes"] == 40
    assert figures["phone"] == {"channel": "phone", "label": "Phone", "complaints": 0, "answered": 0, "share": None,
                                "median_minutes": None}
    assert figures["twitter"]["share"] == 0.0 and figures["twitter"]["median_minutes"] is None
    # 15 days back from NOW (after Jan 16 12:00): e-mail has only e3 and e4, one answered after 45 min
    recent = {f["channel"]: f for f in services.responsiveness(15)}
    assert (recent["email"]["complaints"], recent["email"]["answered"], recent["email"]["median_minutes"]) == (2, 1, 45)
    assert recent["social"]["complaints"] == 0


def test_signals_list_shows_channel_source_triage_and_reply_state(services: Services, record, runner, clock) -> None:
    listed = runner.invoke(main, ["signals", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["source_id"]: r for r in json.loads(listed.output)}
    assert rows["email-e2@example.net"]["reply"]["state"] == "answered"
    assert rows["email-e2@example.net"]["reply"]["answered_at"] == "2026-01-12T10:00:00+00:00"  # the first of two
    assert rows["email-e3@example.net"]["reply"]["state"] == "unanswered"
    assert rows["email-troll@example.net"]["reply"]["state"] == "not_due"
    e1 = rows["email-e1@example.net"]
    assert e1["channel"] == "email" and e1["triage"]["category"] and e1["triage"]["severity"] == "normal"
    assert e1["triage"]["locale"] == "en"
    text = runner.invoke(main, ["signals", "list", "--channel", "social"])
    assert text.exit_code == 0 and "social-@sam" in text.output and "email-" not in text.output
    assert "answered" in text.output


def test_the_console_shows_the_figures(client, services: Services, record) -> None:
    login(client, "vera")
    page = client.get("/console/signals").get_data(as_text=True)
    assert "Responsiveness, last 30 days" in page
    row = page.split("<td>E-mail</td>")[1].split("</tr>")[0]
    assert "<td>4</td><td>3</td>" in row and "75%" in row and "45 min" in row


def public_services(tmp_path: Path, services: Services, public: bool, minimum: int = 2) -> Services:
    folder = plan_copy(tmp_path / "plan", lambda s: s.update(support_metrics={"public": public,
                                                                              "min_complaints": minimum}))
    return Services(load_plan(folder), services.db, services.clock)


def test_the_status_page_shows_the_aggregates_and_nobody(tmp_path: Path, services: Services, record) -> None:
    from crisisplan.web import create_app

    shown = public_services(tmp_path, services, public=True)
    app = create_app({"SERVICES": shown, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0})
    page = app.test_client().get("/").get_data(as_text=True)
    reach = page.split('id="support-h"')[1].split("</section>")[0]
    assert "last 30 days: 75% of 4 messages answered, half of them within 45 min" in reach
    assert "last 30 days: 100% of 2 messages answered, half of them within 40 min" in reach
    assert reach.count("too few messages to measure") == 2  # phone and chat: none
    for person in ("@sam", "@sue", "@tom", "example.net"):
        assert person not in page
    es = app.test_client().get("/?lang=es").get_data(as_text=True)
    assert "respondimos el 75% de 4 mensajes, la mitad en menos de 45 min" in es
    # off unless the plan says so
    hidden = public_services(tmp_path / "off", services, public=False)
    app = create_app({"SERVICES": hidden, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0})
    assert "messages answered" not in app.test_client().get("/").get_data(as_text=True)


def test_a_channel_with_too_few_complaints_shows_no_figure(tmp_path: Path, services: Services, record) -> None:
    from crisisplan.web import create_app

    shown = public_services(tmp_path, services, public=True, minimum=3)  # social has 2: too few
    app = create_app({"SERVICES": shown, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0})
    reach = app.test_client().get("/").get_data(as_text=True).split('id="support-h"')[1].split("</section>")[0]
    assert "75% of 4 messages" in reach and "100% of 2" not in reach and reach.count("too few") == 3


def test_support_metrics_are_validated(tmp_path: Path) -> None:
    from crisisplan.errors import PlanError

    folder = plan_copy(tmp_path / "plan", lambda s: s.update(support_metrics={"public": True, "dayz": 30}))
    with pytest.raises(PlanError, match="dayz"):
        load_plan(folder)
    folder = plan_copy(tmp_path / "plan2", lambda s: s.update(support_metrics={"days": 0}))
    with pytest.raises(PlanError, match="days"):
        load_plan(folder)


def test_staffing_uses_the_measured_load(services: Services, clock) -> None:
    # 60 complaints at 10:xx Madrid (09:xx UTC), two a day from Jan 2 to Jan 31, all in the 30 days before NOW
    # (Jan 31 12:00 UTC): 60 / 30 = 2.0 an hour at 10:00
    for n in range(60):
        services.receive_complaint("email", f"p{n}@example.net", 1, "Where is my parcel",
                                   at=at(2 + n // 2, 9, n % 2 * 30), source_id=f"load-{n}")
    # the record goes back further (so the window is 30 whole days), with one complaint outside it
    services.receive_complaint("email", "early@example.net", 1, "Where is my parcel",
                               at=at(1, 9, month=12, year=2025), source_id="load-early")
    clock.set(NOW)
    load, days = services.measured_load(30)
    assert days == 30 and list(load) == [10] and load[10] == pytest.approx(2.0)
    # a young record: only the 6 complaints of Jan 29-31 left, the first Jan 29 09:00 UTC, 2 days 3 hours before
    # NOW: the load is 6 / 2.125 a day at 10:00, not 6 / 30
    fresh = Services(services.plan, services.db, services.clock)
    with services.db.write() as session:
        from crisisplan.store.models import SignalRow

        session.query(SignalRow).filter(SignalRow.source_id.like("load-%"),
                                        SignalRow.source_id.not_in([f"load-{n}" for n in range(54, 60)])).delete(
            synchronize_session=False)
    load, days = fresh.measured_load(30)
    assert days == pytest.approx(2.125) and load[10] == pytest.approx(6 / 2.125)


def test_the_staffing_command_staffs_the_measured_load(services: Services, runner) -> None:
    from zoneinfo import ZoneInfo

    # the command runs on the real clock: 60 complaints within one minute two days ago, and one 40 days ago (so
    # the record covers the whole window): 60 / 30 = 2.0 an hour in the hour (Madrid) of two days ago
    base = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    for n in range(60):
        services.receive_complaint("email", f"q{n}@example.net", 1, "Where is my parcel",
                                   at=base + timedelta(seconds=n), source_id=f"cli-{n}")
    services.receive_complaint("email", "first@example.net", 1, "Where is my parcel",
                               at=base - timedelta(days=40), source_id="cli-first")
    hour = base.astimezone(ZoneInfo("Europe/Madrid")).hour
    # 2 an hour, 30 minutes each: 1 Erlang; with 2 people P(wait) = 1/3 (Erlang C), answered within 15 min:
    # 1 - 1/3 * e^(-(2-1) * 15/30) = 1 - 0.3333 * 0.6065 = 0.798 < 0.8, so 3 people: P(wait) = 1/11,
    # 1 - 1/11 * e^(-2 * 0.5) = 1 - 0.0909 * 0.3679 = 0.967
    result = runner.invoke(main, ["staffing", "--measured", "--handle-minutes", "30", "--target-answer-minutes", "15",
                                  "--hours", f"{hour}-{hour + 1}", "--json"])
    assert result.exit_code == 0, result.output
    [staffed] = json.loads(result.output)["hours"]
    assert staffed["contacts"] == pytest.approx(2.0) and staffed["agents"] == 3
    assert round(staffed["service_level"], 3) == 0.967
    assert runner.invoke(main, ["staffing", "--handle-minutes", "30"]).exit_code != 0  # neither given


def test_a_reply_sent_by_hand_counts_once_published(services: Services, clock) -> None:
    from tests.walk import publish_reviewed

    start = clock.now()
    row, _ = services.receive_complaint("social", "@big", 60_000, "Your app lost my order, this is terrible",
                                        at=start)
    assert row.action == "declared"  # 60,000 followers: an incident, its holding reply private
    [holding] = [p for p in services.posts(row.incident_id) if p.kind == "holding_reply"]
    clock.advance(timedelta(minutes=12))
    publish_reviewed(services, holding.id, "carmen")  # a handle: no outbox row, the team sends it by hand
    clock.advance(timedelta(hours=1))
    [social] = [f for f in services.responsiveness(30) if f["channel"] == "social"]
    assert (social["complaints"], social["answered"], social["median_minutes"]) == (1, 1, 12)


def test_an_email_reply_counts_once_delivered(services: Services, clock, smtp) -> None:
    from tests.walk import publish_reviewed

    start = clock.now()
    row, _ = services.receive_complaint("email", "ann@example.net", 10, "You charged me twice, I will call my lawyer",
                                        at=start)
    assert row.action == "declared"  # legal words
    [holding] = [p for p in services.posts(row.incident_id) if p.kind == "holding_reply"]
    clock.advance(timedelta(minutes=5))
    publish_reviewed(services, holding.id, "carmen")  # published, in the outbox, not yet delivered
    [email] = [f for f in services.responsiveness(30) if f["channel"] == "email"]
    assert (email["complaints"], email["answered"], email["share"]) == (1, 0, 0.0)
    assert services.reply_states([row])[row.id]["state"] == "unanswered"
    clock.advance(timedelta(minutes=15))  # delivered 20 minutes after the complaint
    from crisisplan.publish import outbox

    assert outbox.deliver_due(services.db, services.plan.settings, clock.now()).dead == 0  # the reply, notices
    [email] = [f for f in services.responsiveness(30) if f["channel"] == "email"]
    assert (email["answered"], email["share"], email["median_minutes"]) == (1, 1.0, 20)
    assert services.reply_states([row])[row.id]["answered_at"] == start + timedelta(minutes=20)
