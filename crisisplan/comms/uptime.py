"""Uptime from the record of a component's statuses — pure: the changes, the days and `now` in, figures out.

A major outage is downtime in full; a partial outage counts by the plan's weight (`uptime.partial_weight`,
0.3 by default, as Statuspage and Instatus count it); degraded performance and maintenance are not downtime.
Only time on the record counts: before a component's first recorded status, and after `now`, nothing is
measured, so a day without any record has no figure ("no data") rather than a made-up 100%.
Days are the organisation's calendar days (23 or 25 hours on the days its clocks change).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crisisplan.comms.statuspage import ComponentStatus, worst

DOWN = {ComponentStatus.MAJOR_OUTAGE.value: 1.0}  # and partial_outage: the plan's weight


@dataclass(frozen=True)
class Day:
    """One day of one component: how long each status lasted, and the weighted downtime."""

    day: date
    measured_s: float = 0.0  # seconds on the record
    down_s: float = 0.0  # weighted downtime
    seconds: dict[str, float] = field(default_factory=dict)  # status -> seconds in it
    incidents: tuple[int, ...] = ()  # what the public was told of that day, on this component (the first few)
    count: int | None = None  # how many incidents that day, when more than `incidents` lists

    @property
    def incident_count(self) -> int:
        """How many public incidents touched the component that day."""
        return len(self.incidents) if self.count is None else self.count

    @property
    def uptime(self) -> float | None:
        """The share of the day's recorded time that was up; None with no record that day."""
        return None if self.measured_s <= 0 else 1 - self.down_s / self.measured_s

    @property
    def worst(self) -> str:
        """The worst status the component had that day ("" with no record)."""
        return worst(s for s, secs in self.seconds.items() if secs > 0) if self.seconds else ""


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Where a calendar day of the zone starts and ends, in UTC (so that their difference is the day's real length:
    Python subtracts two times of the same zone by their wall clocks, which makes a 25-hour day 24)."""
    start = datetime.combine(day, time(0), tz)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)


def last_days(now: datetime, tz: ZoneInfo, count: int) -> list[date]:
    """The `count` calendar days up to and including today in that zone, oldest first."""
    today = now.astimezone(tz).date()
    return [today - timedelta(days=n) for n in range(count - 1, -1, -1)]


def daily(changes: Sequence[tuple[datetime, str]], days: Sequence[date], tz: ZoneInfo, now: datetime,
          partial_weight: float, incidents: Iterable[tuple[int, datetime, datetime | None]] = ()) -> list[Day]:
    """Each day's figures from a component's changes of status (moment, status from then on), oldest day first.

    `incidents` are (id, start, end or None while going on) of what touched the component; each day lists
    those that overlap it."""
    weights = {**DOWN, ComponentStatus.PARTIAL_OUTAGE.value: partial_weight}
    ordered = sorted(changes)
    spans = [(at, ordered[i + 1][0] if i + 1 < len(ordered) else now, status)
             for i, (at, status) in enumerate(ordered)]
    told = list(incidents)
    result = []
    first = 0  # days and spans both go forward in time: each day starts where the last one's spans did
    for day in sorted(days):
        start, end = day_bounds(day, tz)
        end = min(end, now)
        while first < len(spans) and spans[first][1] <= start:
            first += 1
        seconds: dict[str, float] = {}
        for since, until, status in spans[first:]:
            if since >= end:
                break
            overlap = (min(until, end) - max(since, start)).total_seconds()
            if overlap > 0:
                seconds[status] = seconds.get(status, 0.0) + overlap
        down = sum(secs * weights.get(status, 0.0) for status, secs in seconds.items())
        touched = tuple(sorted(i for i, began, ended in told if began < end and (ended or now) >= start))
        result.append(Day(day, sum(seconds.values()), down, seconds, touched))
    return result


def overall(days: Iterable[Day]) -> float | None:
    """Uptime over the days together: weighted downtime over recorded time; None with no record at all."""
    listed = list(days)
    measured = sum(d.measured_s for d in listed)
    return None if measured <= 0 else 1 - sum(d.down_s for d in listed) / measured


def percent(share: float | None) -> float | None:
    """A share as a percentage with two decimals, cut rather than rounded: 99.999% is 99.99, never 100.00
    while there was downtime."""
    if share is None:
        return None
    return int(round(share * 1_000_000) // 100) / 100  # rounding first drops float noise (0.875 stays 87.50)




def spans_by_day(since: datetime, until: datetime, tz: ZoneInfo) -> list[tuple[date, float]]:
    """The seconds of [since, until) that fall on each calendar day of the zone, oldest first."""
    result = []
    day = since.astimezone(tz).date()
    while True:
        start, end = day_bounds(day, tz)
        if start >= until:
            return result
        overlap = (min(until, end) - max(since, start)).total_seconds()
        if overlap > 0:
            result.append((day, overlap))
        day += timedelta(days=1)


def touched_days(began: datetime, ended: datetime, tz: ZoneInfo, first: date) -> list[date]:
    """The days from `first` on that an incident from `began` to `ended` touches (as `daily` counts them)."""
    day = max(first, began.astimezone(tz).date())
    result = []
    while True:
        start, end = day_bounds(day, tz)
        if start > ended:
            return result
        if began < end and ended >= start:
            result.append(day)
        day += timedelta(days=1)


def with_summary(live: Day, seconds: dict[str, float], ids: Sequence[int], count: int,
                 partial_weight: float) -> Day:
    """A day's figures from the summary kept of it (the spans that ended, the incidents that closed) and what is
    still going on (`live`: the span from the last change to now, the open incidents)."""
    weights = {**DOWN, ComponentStatus.PARTIAL_OUTAGE.value: partial_weight}
    total = dict(seconds)
    for status, secs in live.seconds.items():
        total[status] = total.get(status, 0.0) + secs
    down = sum(secs * weights.get(status, 0.0) for status, secs in total.items())
    listed = tuple(sorted(set(ids) | set(live.incidents)))
    return Day(live.day, sum(total.values()), down, total, listed, count + len(live.incidents))
