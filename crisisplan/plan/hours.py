"""The staffed-hours format of a support channel (`hours:` in plan.yaml): "24/7", or days and a time span such as
"Mon-Fri 08:00-20:00" / "Sat 09:00-14:00" (the schema's pattern admits nothing else)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

PLAN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # Monday is 0, as date.weekday() counts


@dataclass(frozen=True)
class Staffed:
    """When a channel is staffed: on these weekdays (0 = Monday) from `opens` for `minutes` minutes (a span that
    closes at or before it opens, "22:00-06:00", runs past midnight into the next day)."""

    days: frozenset[int]
    opens: time
    minutes: int


def parse_hours(text: str) -> Staffed | None:
    """The staffed days and span of a channel's `hours`; None for "24/7" (always staffed). A range of days may wrap
    the week ("Sat-Mon")."""
    text = text.strip()
    if text in ("", "24/7"):
        return None
    days, span = text.split(" ")
    first, _, last = days.partition("-")
    a, b = PLAN_DAYS.index(first), PLAN_DAYS.index(last or first)
    weekdays = frozenset((a + i) % 7 for i in range((b - a) % 7 + 1))
    start, _, end = span.partition("-")
    (oh, om), (ch, cm) = (map(int, start.split(":")), map(int, end.split(":")))
    minutes = (ch * 60 + cm) - (oh * 60 + om)
    return Staffed(weekdays, time(oh, om), minutes if minutes > 0 else minutes + 24 * 60)
