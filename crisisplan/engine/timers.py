"""Timers are data: due times computed from the runbook, the incident and the clock.

A deadline fires once per activation; a recurring timer fires every period,
and any public post restarts its period (the cadence promise is kept by
posting). A post that names its own next-update time moves the promise to
that time. A recurring timer with `ahead` wakes that long before it is due:
the promise is at risk and the next update is drafted. Entering a timer's
states activates it; leaving them clears it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from crisisplan.duration import parse_duration
from crisisplan.engine.incident import Incident, TimerState
from crisisplan.plan.schema import Runbook, Timer


class PromiseState(StrEnum):
    """Where a promise to the public stands (an acknowledge-by deadline, a next-update time)."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"  # inside the timer's `ahead` window
    BROKEN = "broken"  # missed, and not made good since
    KEPT = "kept"  # a deadline met


def promise_state(timer: Timer, incident: Incident, runbook: Runbook, now: datetime) -> PromiseState | None:
    """How the promise a timer stands for is doing at `now`; None while the timer does not run."""
    state = incident.timers.get(timer.name)
    if state is None or state.anchor is None:
        return None
    if timer.kind == "deadline":
        if satisfied(timer, incident):
            return PromiseState.KEPT
        if state.fired:
            return PromiseState.BROKEN
    elif state.fired_at and (incident.last_published_at is None or state.fired_at > incident.last_published_at):
        return PromiseState.BROKEN
    due = due_at(timer, state, incident, runbook)
    if due is None:
        return None
    if timer.ahead is not None and now >= due - timer.ahead:
        return PromiseState.AT_RISK
    return PromiseState.ON_TRACK


def timer_duration(timer: Timer, runbook: Runbook, severity: str) -> timedelta:
    """How long the timer runs at this severity: the severity's own time when the runbook says so, else a fixed one."""
    if timer.after.startswith("severity."):
        return getattr(runbook.severity(severity), timer.after.removeprefix("severity."))
    return parse_duration(timer.after)


def satisfied(timer: Timer, incident: Incident) -> bool:
    """Whether the timer's promise is met: the post it waits for is out, or the field it waits for is filled in."""
    if timer.until_published and timer.until_published in incident.published:
        return True
    return bool(timer.until_field and incident.fields.get(timer.until_field))


def due_at(timer: Timer, state: TimerState, incident: Incident, runbook: Runbook) -> datetime | None:
    """When the timer next fires (a deadline, or the next update the public was promised); None when it will not."""
    if state.anchor is None or satisfied(timer, incident):
        return None
    period = timer_duration(timer, runbook, incident.severity)
    if timer.kind == "deadline":
        return None if state.fired else state.anchor + period
    promised = incident.promised_update_at
    if promised is not None and promised >= state.anchor and (state.fired_at is None or state.fired_at < promised):
        return promised  # what the public was told wins over the cadence
    starts = [state.anchor, state.fired_at, incident.last_published_at]
    return max(t for t in starts if t is not None) + period


def at_risk_from(timer: Timer, due: datetime, state: TimerState) -> datetime | None:
    """When the promise due at `due` becomes at risk, unless already marked."""
    if timer.ahead is None or state.at_risk_for == due:
        return None
    return due - timer.ahead


def wakeups(incident: Incident, runbook: Runbook) -> list[datetime]:
    """Every moment the engine has something to do: due times and at-risk marks."""
    moments = []
    for timer in runbook.timers:
        state = incident.timers.get(timer.name)
        when = due_at(timer, state, incident, runbook) if state is not None else None
        if when is not None:
            moments.append(when)
            risk = at_risk_from(timer, when, state)
            if risk is not None:
                moments.append(risk)
    return moments


def all_due(incident: Incident, runbook: Runbook) -> dict[str, datetime]:
    """Every pending timer and its due time."""
    result = {}
    for timer in runbook.timers:
        state = incident.timers.get(timer.name)
        if state is not None:
            when = due_at(timer, state, incident, runbook)
            if when is not None:
                result[timer.name] = when
    return result


def activate(incident: Incident, runbook: Runbook, now: datetime) -> None:
    """Start timers whose states the incident is in; clear the others.

    A next-update time told to the public is kept whatever the state: a recurring
    (cadence) timer keeps running outside its states, or starts, while such a promise
    is pending, until the next public post or the incident is resolved.
    """
    here = runbook.state(incident.state)
    if here.final or here.public_status == "resolved":
        incident.promised_update_at = None  # resolved or over: no next update is owed
    promised = incident.promised_update_at is not None
    for timer in runbook.timers:
        state = incident.timers.setdefault(timer.name, TimerState())
        inside = incident.state in timer.states or (promised and timer.kind == "recurring")
        if inside and state.anchor is None:
            incident.timers[timer.name] = TimerState(anchor=now)
        elif not inside and state.anchor is not None:
            incident.timers[timer.name] = TimerState()
