"""The one first-answer deadline of a complaint: the time its channel promises, counted in staffed hours.

Only staffed time counts toward a channel's `response`: a complaint that arrives while the channel is staffed is
due `response` later; when that would run past closing, the rest of it carries over to the next opening (a social
complaint at 21:30 on a channel staffed 08:00-22:00 with 1 h: half an hour tonight, due 08:30 the next morning). One
that arrives while the channel is closed is due `response` after the next opening. "24/7" counts every minute.
The hours are read in the channel's own time zone (the organisation's when it names none), so a day on which the
clocks change is as long as it really is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from crisisplan.plan.hours import Staffed, parse_hours
from crisisplan.plan.schema import PlanSettings

DEFAULT_RESPONSE = timedelta(hours=4)  # a channel the plan does not list: the same default triage uses


def _spans(staffed: Staffed, zone: ZoneInfo, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The staffed spans (UTC) opening on `day` and the days after it, in order."""
    while True:
        if day.weekday() in staffed.days:
            opens = datetime.combine(day, staffed.opens, tzinfo=zone)
            closes = (opens.replace(tzinfo=None) + timedelta(minutes=staffed.minutes)).replace(tzinfo=zone)
            yield opens.astimezone(UTC), closes.astimezone(UTC)
        day += timedelta(days=1)


def first_answer_due(at: datetime, response: timedelta | None, hours: str = "24/7", zone: str = "UTC") -> datetime:
    """When the first answer to a complaint received at `at` falls due: `response` of the channel's staffed time
    after it arrives (see the module's docstring); a naive `at` is read as UTC and the answer comes back naive."""
    left = response if response is not None else DEFAULT_RESPONSE
    staffed = parse_hours(hours)
    if staffed is None:
        return at + left
    moment = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    tz = ZoneInfo(zone or "UTC")
    # a span opened the day before may still run (one past midnight): start looking there
    for opens, closes in _spans(staffed, tz, moment.astimezone(tz).date() - timedelta(days=1)):
        if closes <= moment:
            continue
        begin = max(opens, moment)
        if begin + left <= closes:
            due = begin + left
            return due.replace(tzinfo=None) if at.tzinfo is None else due.astimezone(at.tzinfo)
        left -= closes - begin
        moment = closes
    raise AssertionError("unreachable: a staffed week always has a span")  # pragma: no cover


def channel_first_answer(settings: PlanSettings, channel: str, at: datetime) -> datetime:
    """The first-answer deadline of a complaint on a `support:` channel of the plan (a channel the plan does not
    list: 4 hours, every hour counting)."""
    support = next((c for c in settings.support if c.name == channel), None)
    if support is None:
        return first_answer_due(at, None)
    return first_answer_due(at, support.response, support.hours, support.time_zone or settings.organisation.time_zone)
