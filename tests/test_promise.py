"""One first-answer deadline a complaint: counted in the channel's staffed hours (plan.yaml `support: hours`, in the
organisation's zone Europe/Madrid), the same time in the customer's holding reply and in the inbox's countdown.
Every expected time below is worked out by hand from the plan's hours (Madrid is UTC+1 in winter, UTC+2 in summer)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crisisplan.comms.render import format_moment
from crisisplan.plan.hours import parse_hours
from crisisplan.signals.promise import first_answer_due

MADRID = ZoneInfo("Europe/Madrid")
SOCIAL, EMAIL = "Mon-Sun 08:00-22:00", "Mon-Fri 08:00-20:00"


def madrid(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MADRID)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def due(at: datetime, response: timedelta, hours: str, zone: str = "Europe/Madrid") -> datetime:
    return first_answer_due(at, response, hours, zone)


# the hours format ---------------------------------------------------------------------------------------------------

def test_the_plans_hours_read_as_days_and_a_span() -> None:
    assert parse_hours("24/7") is None
    social = parse_hours(SOCIAL)
    assert social.days == frozenset(range(7)) and social.opens == time(8) and social.minutes == 14 * 60
    assert parse_hours(EMAIL).days == frozenset({0, 1, 2, 3, 4})
    assert parse_hours("Sat 09:00-14:00").days == frozenset({5})
    wrapped = parse_hours("Sat-Mon 22:00-06:00")  # the week wraps, the span runs past midnight
    assert wrapped.days == frozenset({5, 6, 0}) and wrapped.minutes == 8 * 60
    assert parse_hours("Mon-Fri 00:00-24:00").minutes == 24 * 60


# the deadline -------------------------------------------------------------------------------------------------------

def test_arriving_while_staffed_is_due_response_later() -> None:
    # Tuesday 2026-01-06 10:15 Madrid, social answers within 1 h: 11:15 Madrid = 10:15 UTC
    assert due(madrid(2026, 1, 6, 10, 15), timedelta(hours=1), SOCIAL) == utc(2026, 1, 6, 10, 15)


def test_arriving_after_closing_is_due_response_after_the_next_opening() -> None:
    # Tuesday 23:30 Madrid: closed since 22:00, opens Wednesday 08:00, + 1 h = 09:00 Madrid = 08:00 UTC
    assert due(madrid(2026, 1, 6, 23, 30), timedelta(hours=1), SOCIAL) == utc(2026, 1, 7, 8, 0)
    # before opening the same morning: Wednesday 06:10 -> 09:00 Madrid
    assert due(madrid(2026, 1, 7, 6, 10), timedelta(hours=1), SOCIAL) == utc(2026, 1, 7, 8, 0)
    # right at closing is closed; right at opening is open
    assert due(madrid(2026, 1, 6, 22, 0), timedelta(hours=1), SOCIAL) == utc(2026, 1, 7, 8, 0)
    assert due(madrid(2026, 1, 7, 8, 0), timedelta(hours=1), SOCIAL) == utc(2026, 1, 7, 8, 0)


def test_a_weekday_channel_on_saturday_is_due_from_monday_morning() -> None:
    # e-mail (Mon-Fri 08:00-20:00, 4 h) on Saturday 2026-01-10 12:00 Madrid: Monday 12 Jan 08:00 + 4 h = 12:00
    # Madrid = 11:00 UTC
    assert due(madrid(2026, 1, 10, 12, 0), timedelta(hours=4), EMAIL) == utc(2026, 1, 12, 11, 0)


def test_what_runs_past_closing_carries_to_the_next_opening() -> None:
    # social at Tuesday 21:30 with 1 h: 30 min before 22:00, 30 min from Wednesday 08:00 -> 08:30 Madrid = 07:30 UTC
    assert due(madrid(2026, 1, 6, 21, 30), timedelta(hours=1), SOCIAL) == utc(2026, 1, 7, 7, 30)
    # e-mail on Friday 2026-01-09 18:00 with 4 h: 2 h on Friday, 2 h from Monday 08:00 -> 10:00 Madrid = 09:00 UTC
    assert due(madrid(2026, 1, 9, 18, 0), timedelta(hours=4), EMAIL) == utc(2026, 1, 12, 9, 0)
    # a response longer than a staffed day: e-mail Monday 12 Jan 10:00 with 20 h -> 10 h Monday, 10 h Tuesday 08:00
    # -> Tuesday 18:00 Madrid = 17:00 UTC
    assert due(madrid(2026, 1, 12, 10, 0), timedelta(hours=20), EMAIL) == utc(2026, 1, 13, 17, 0)


def test_always_staffed_counts_every_minute() -> None:
    at = madrid(2026, 1, 6, 23, 30)
    assert due(at, timedelta(hours=1), "24/7") == at + timedelta(hours=1)
    assert first_answer_due(at, None) == at + timedelta(hours=4)  # a channel the plan does not list


def test_the_hours_are_the_local_clocks_on_the_night_they_change() -> None:
    # Saturday 2026-03-28 23:00 Madrid (22:00 UTC); clocks go forward that night, so Sunday 08:00 is CEST (UTC+2):
    # opens 06:00 UTC, + 1 h = 07:00 UTC
    assert due(madrid(2026, 3, 28, 23, 0), timedelta(hours=1), SOCIAL) == utc(2026, 3, 29, 7, 0)


def test_a_channel_in_its_own_zone_and_a_span_past_midnight() -> None:
    # staffed 20:00-04:00 New York (UTC-5 in January); Tuesday 2026-01-06 03:30 New York = 08:30 UTC is still
    # Monday's span: 30 min there, then Tuesday 20:00 + 30 min = 20:30 New York = 01:30 UTC Wednesday
    at = utc(2026, 1, 6, 8, 30)
    assert due(at, timedelta(hours=1), "Mon-Fri 20:00-04:00", "America/New_York") == utc(2026, 1, 7, 1, 30)


def test_a_naive_moment_is_utc_and_comes_back_naive() -> None:
    assert due(datetime(2026, 1, 6, 22, 30), timedelta(hours=1), SOCIAL) == datetime(2026, 1, 7, 8, 0)


# the same time told and counted down ---------------------------------------------------------------------------------

def _item(services, signal_id: int):
    return next(i for i in services.inbox(state="all").items if i.signal.id == signal_id)


def test_the_holding_reply_and_the_inbox_name_the_same_time_after_hours(services) -> None:
    services.clock.set(madrid(2026, 1, 6, 23, 30).astimezone(UTC))
    row, _ = services.receive_complaint("social", "@lucia", 12, "The app logs me out every time")
    told = utc(2026, 1, 7, 8, 0)  # Wednesday 09:00 Madrid, by hand above
    assert row.data["answer_by"] == told.isoformat()
    assert format_moment(told, "en", "Europe/Madrid", services.clock.now()) in row.data["reply"]
    assert _item(services, row.id).due == told
    assert format_moment(told, "en", "Europe/Madrid", services.clock.now()) in row.data["reply"]


def test_the_inbox_counts_down_to_the_time_the_customer_was_told(services) -> None:
    # a legal threat goes up the escalation matrix and the customer is told so; the step they hear of first is legal
    # counsel within 1 h (plan.yaml `escalation`): at 23:30 Madrid (22:30 UTC) that is 23:30 UTC, not the social
    # channel's Wednesday 08:00 UTC. The inbox shows the time they were told.
    services.clock.set(madrid(2026, 1, 6, 23, 30).astimezone(UTC))
    row, _ = services.receive_complaint("social", "@pedro", 40, "I will take you to court, my lawyer will call")
    told = utc(2026, 1, 6, 23, 30)
    first = next(e for e in row.data["escalations"] if e["tell_customer"])
    assert (first["when"], first["by"]) == ("legal", told.isoformat())
    assert row.data["answer_by"] == told.isoformat()
    assert _item(services, row.id).due == told
    assert format_moment(told, "en", "Europe/Madrid", services.clock.now()) in row.data["reply"]


def test_no_time_told_the_inbox_and_the_signals_page_count_the_channels_hours(services) -> None:
    # judged trolling, so no holding reply named a time; the team thinks otherwise: both the inbox and the
    # responsiveness states (Signals page) count social's hours: Tuesday 23:30 Madrid -> Wednesday 09:00 Madrid
    services.clock.set(madrid(2026, 1, 6, 23, 30).astimezone(UTC))
    row, _ = services.receive_complaint("social", "@troll", 3, "WORST SHOP EVER, IDIOTS!!!! MORONS!!!")
    assert "answer_by" not in row.data and row.data["reply"] == ""
    row = services.override_triage(row.id, {"legitimacy": "legitimate"}, "carmen")
    due = utc(2026, 1, 7, 8, 0)
    assert _item(services, row.id).due == due
    state = services.reply_states([row])[row.id]
    assert (state["state"], state["answer_by"], state["overdue"]) == ("unanswered", due, False)
    services.clock.set(due)
    assert services.reply_states([row])[row.id]["overdue"] is True
