"""Response metrics across incidents: how fast the team goes public and whether it keeps its word. Pure.

Each incident's figures come from its review figures (comms/review.py, read from the audit chain); here
they are grouped by runbook, by severity and by month, as means (durations) and as a rate (promises).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crisisplan.comms.review import ReviewFigures

# (key, label): the durations averaged per group, in minutes
DURATIONS = [("acknowledge", "Time to acknowledge"), ("first_public", "Time to first public post"),
             ("approval_wait", "Approval wait"), ("resolve", "Time to resolve")]


@dataclass(frozen=True)
class IncidentMetrics:
    """One incident's response figures, as the metrics page counts them."""

    id: int
    title: str
    runbook: str
    severity: str
    month: str  # YYYY-MM of its declaration, in the organisation's time zone
    acknowledge: timedelta | None
    first_public: timedelta | None
    approval_wait: timedelta | None  # the mean over its posts that waited for approval
    resolve: timedelta | None
    kept: int
    broken: int
    approvals: int  # how many waits the mean is over

    @property
    def promise_rate(self) -> float | None:
        """Share of its settled promises kept."""
        return None if not self.kept + self.broken else self.kept / (self.kept + self.broken)


@dataclass(frozen=True)
class Group:
    """The figures of a set of incidents: how many, the mean of each duration, the promise-kept rate."""

    name: str
    incidents: int
    means: dict[str, timedelta | None]
    kept: int
    broken: int

    @property
    def promise_rate(self) -> float | None:
        """Share of the group's settled promises kept (every promise weighs the same)."""
        return None if not self.kept + self.broken else self.kept / (self.kept + self.broken)


def of_incident(incident_id: int, title: str, runbook: str, severity: str, figures: ReviewFigures,
                time_zone: str) -> IncidentMetrics:
    """An incident's response figures from its review figures."""
    waits = [a.wait for a in figures.approvals]
    resolve = figures.resolved_at - figures.declared_at if figures.resolved_at else None
    return IncidentMetrics(
        incident_id, title, runbook, severity, figures.declared_at.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m"),
        figures.time_to_acknowledge, figures.time_to_first_public,
        sum(waits, timedelta(0)) / len(waits) if waits else None, resolve, figures.kept, figures.broken, len(waits))


def _mean(values: list[timedelta]) -> timedelta | None:
    return sum(values, timedelta(0)) / len(values) if values else None


def group(name: str, incidents: list[IncidentMetrics]) -> Group:
    """One group's figures: each duration averaged over the incidents that have it."""
    means = {key: _mean([d for i in incidents if (d := getattr(i, key)) is not None]) for key, _ in DURATIONS}
    return Group(name, len(incidents), means, sum(i.kept for i in incidents), sum(i.broken for i in incidents))


def grouped(incidents: list[IncidentMetrics], key: Callable[[IncidentMetrics], str]) -> list[Group]:
    """The incidents grouped by `key`, groups in name order."""
    by: dict[str, list[IncidentMetrics]] = {}
    for incident in incidents:
        by.setdefault(key(incident), []).append(incident)
    return [group(name, members) for name, members in sorted(by.items())]


def minutes(delta: timedelta | None) -> float | None:
    """A duration in minutes, to one decimal (None stays None)."""
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def month_of(moment: datetime, time_zone: str) -> str:
    """The YYYY-MM a moment falls in, in the organisation's time zone."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m")
