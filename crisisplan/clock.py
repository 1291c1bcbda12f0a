"""Time as an argument: the system clock in production, a simulated one in drills and tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to, so a 24-hour incident runs in milliseconds."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("SimulatedClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("a clock does not go backwards")
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> datetime:
        if moment < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = moment
        return self._now


class ScaledClock:
    """Drill time for a live drill played faster: from `start`, `speed` drill seconds a real second."""

    def __init__(self, base: Clock, start: datetime, speed: float):
        self.base, self.start, self.speed = base, start, speed

    def now(self) -> datetime:
        return self.start + (self.base.now() - self.start) * self.speed

    def to_real(self, moment: datetime) -> datetime:
        return self.start + (moment - self.start) / self.speed
