"""A moment a person types, read one way everywhere: the command line, the console, imports.

The one rule: **a time written without a zone is in the organisation's time zone**
(`organisation.time_zone` in plan.yaml), whoever types it and wherever the server runs.

`parse_moment` accepts, tried in this order:

- a duration from now, as plan files write them: `45m`, `2h`, `1h30m`, `1d`;
- a time of day, `HH:MM` (or `H:MM`): that time today, "today" being the date in the
  organisation's time zone at `now` (it may already be past: the caller decides what that means);
- an ISO 8601 date and time: with an offset (`2026-05-01T10:00+02:00`, `…Z`) as written; without one
  (`2026-05-01T10:00`, `2026-05-01 10:00`) in the organisation's time zone; a date alone is its midnight.

Around a change of the clocks: a wall time they skip (spring) does not exist and is refused; one they
pass twice (autumn) is the first of the two. The result is always in UTC (so it compares and stores
plainly, even for a time in the autumn's repeated hour). Pure: `now` is an argument, nothing reads the
wall clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crisisplan.duration import parse_duration
from crisisplan.errors import InvalidInput

_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_moment(text: str, zone: str | tzinfo, now: datetime, field: str = "time") -> datetime:
    """The moment (in UTC) a person meant by `text`; `InvalidInput` naming `field` when it is none of the forms."""
    if now.tzinfo is None:
        raise ValueError("parse_moment needs an aware `now`")
    tz = _zone(zone, field)
    raw = (text or "").strip()
    try:
        return _in_range((now + parse_duration(raw)).astimezone(UTC), field)
    except (ValueError, OverflowError):
        pass
    of_day = _TIME_OF_DAY.match(raw)
    if of_day:
        today = now.astimezone(tz).date()
        wall = datetime(today.year, today.month, today.day, int(of_day[1]), int(of_day[2]))
        return _local(wall, tz, raw, field).astimezone(UTC)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{field}: {raw!r} is neither a duration (45m, 2h) nor a time of day (14:30) and not "
                           f"an ISO time such as 2026-05-01T10:00 ({_name(tz)}) or 2026-05-01T10:00+02:00",
                           field) from None
    if not 2 <= moment.year <= 9998:  # a day either side must stay in the calendar: year 1 and 9999 cannot
        raise InvalidInput(f"{field}: the year {moment.year} is out of range", field)
    return (moment if moment.tzinfo is not None else _local(moment, tz, raw, field)).astimezone(UTC)


def _in_range(moment: datetime, field: str) -> datetime:
    if not 2 <= moment.year <= 9998:
        raise InvalidInput(f"{field}: the year {moment.year} is out of range", field)
    return moment


def _zone(zone: str | tzinfo, field: str) -> tzinfo:
    if isinstance(zone, tzinfo):
        return zone
    try:
        return ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{field}: the organisation's time zone {zone!r} is not a known time zone "
                           "(plan.yaml organisation.time_zone, e.g. Europe/Madrid)", field) from None


def _local(wall: datetime, tz: tzinfo, raw: str, field: str) -> datetime:
    """A wall-clock time in `tz`; refused when the clocks skip it."""
    moment = wall.replace(tzinfo=tz)  # fold 0: of a time passed twice, the first
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise InvalidInput(f"{field}: {raw!r} does not exist in {_name(tz)} (the clocks skip it that day); "
                           "write a time after the change, or give an offset", field)
    return moment


def _name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)
