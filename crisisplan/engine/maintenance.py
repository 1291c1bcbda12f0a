"""A maintenance window moves by itself at its planned times — pure: the window and the clock in, what is due out.

scheduled -> in progress at the start; in progress -> verifying at the end (straight to completed when the
runbook has no verifying state or `verify_for` is 0); verifying -> completed `verify_for` later. Subscribers
get a reminder `notify_before` the start, unless the window was announced later than that (the announcement
itself was the notice). Each move is the public status it reaches; the services take the runbook's way there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crisisplan.engine.incident import Incident
from crisisplan.plan.schema import Runbook


@dataclass(frozen=True)
class Due:
    """Something a maintenance window owes at a moment: a reminder, or a move to a public status."""

    at: datetime
    what: str  # "reminder", or the public status to reach: in_progress, verifying, completed


def _status(runbook: Runbook, incident: Incident) -> str | None:
    return runbook.state(incident.state).public_status


def _has(runbook: Runbook, status: str) -> bool:
    return any(s.public_status == status for s in runbook.states)


def next_move(runbook: Runbook, incident: Incident) -> Due | None:
    """The window's next change of public status and when it falls due; None when it has ended (or is no window)."""
    settings = runbook.maintenance
    if settings is None or incident.window is None:
        return None
    starts, ends = incident.window
    status = _status(runbook, incident)
    verifying = _has(runbook, "verifying") and settings.verify_for.total_seconds() > 0
    if status == "scheduled":
        return Due(starts, "in_progress")
    if status == "in_progress":
        return Due(ends, "verifying" if verifying else "completed")
    if status == "verifying":
        return Due(ends + settings.verify_for, "completed")
    return None


def reminder(runbook: Runbook, incident: Incident) -> Due | None:
    """When subscribers are reminded of the coming window; None once done, or when the announcement came later
    than the reminder would have (it told them already), or once the work has begun."""
    settings = runbook.maintenance
    if settings is None or incident.window is None or _status(runbook, incident) != "scheduled":
        return None
    if settings.reminder in incident.published or settings.notify_before.total_seconds() <= 0:
        return None
    at = incident.window[0] - settings.notify_before
    announced = incident.published.get(settings.announce, incident.declared_at)
    return None if announced >= at else Due(at, "reminder")


def due(runbook: Runbook, incident: Incident, now: datetime) -> Due | None:
    """What is owed at `now`, the earliest first: a reminder still ahead of the start, else a move."""
    told = reminder(runbook, incident)
    move = next_move(runbook, incident)
    if told is not None and told.at <= now and (move is None or now < move.at):
        return told
    return move if move is not None and move.at <= now else None


def wakeups(runbook: Runbook, incident: Incident) -> list[datetime]:
    """The moments the window next has work: its reminder and its next move."""
    return [d.at for d in (reminder(runbook, incident), next_move(runbook, incident)) if d is not None]
