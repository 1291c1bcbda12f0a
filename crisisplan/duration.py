"""Durations as plan files write them: `90s`, `15m`, `2h`, `1d`, `1h30m`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+[smhdw])+$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse a duration or raise ValueError with a message fit for a user."""
    compact = str(text).strip().replace(" ", "")
    if not _WHOLE.match(compact):
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit, e.g. 90s, 15m, 2h, 1d, 1h30m"
        )
    seconds = sum(int(n) * _UNIT[u] for n, u in _PART.findall(compact))
    if seconds <= 0:
        raise ValueError(f"{text!r} is zero; a duration must be longer than that")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + ("".join(parts[:2]) or "0s")


def spoken_duration(delta: timedelta) -> str:
    """A duration as a person says it, the two largest units: '15 min', '1 h 30 min', '1 day', '2 days 4 h'.

    Seconds show only under a minute; a negative duration is told as its length (the caller says 'overdue').
    """
    seconds = abs(int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day" + ("s" if days != 1 else ""))
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts[:2])
