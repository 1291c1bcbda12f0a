"""What a runbook of the maintenance kind and the uptime bars take from the plan files (kept out of schema.py).

A runbook with a `maintenance:` block is a planned window, not a failure: it is scheduled with a start and an
end, and moves by itself at those times (scheduled -> in progress -> verifying -> completed, the states whose
`public_status` say so). `plan.yaml` `uptime:` sets how the 90 daily bars count a partial outage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from crisisplan.duration import parse_duration

# the public statuses of a maintenance window, in order (Statuspage's words for them)
MaintenanceStatus = Literal["scheduled", "in_progress", "verifying", "completed"]
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")


def _duration(value: object) -> timedelta:
    """A duration as plan files write them; here 0 is allowed too (no reminder, no checks after the end)."""
    if isinstance(value, timedelta):
        return value
    if str(value).strip() in ("0", "0s", "0m", "0h", "0d"):
        return timedelta(0)
    return parse_duration(str(value))


class MaintenanceSettings(BaseModel):
    """How a maintenance window runs: who hears of it when, and how long it is watched after its end."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # subscribers get a reminder this long before the start (none when it was announced later than that)
    notify_before: Annotated[timedelta, BeforeValidator(_duration)] = timedelta(hours=1)
    # after the planned end the window is "verifying" this long, then "completed"; 0 goes straight to completed
    verify_for: Annotated[timedelta, BeforeValidator(_duration)] = timedelta(minutes=15)
    # the post kinds: the announcement (drafted on entering the first state) and the reminder
    announce: str = Field("maintenance_scheduled", pattern=r"^[a-z][a-z0-9_]*$")
    reminder: str = Field("maintenance_reminder", pattern=r"^[a-z][a-z0-9_]*$")


class UptimeSettings(BaseModel):
    """How the uptime bars count: a major outage is downtime in full, a partial outage by `partial_weight`;
    degraded performance and maintenance are not downtime."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partial_weight: float = Field(0.3, ge=0, le=1)
    days: int = Field(90, ge=1, le=366)


def window_problems(runbook: Any, src: Any) -> list[Any]:
    """What a schema cannot say about maintenance: a maintenance runbook starts `scheduled` and can reach
    `in_progress` and a final `completed`, and uses no incident status; an incident runbook uses none of a
    window's statuses. Each problem at its line of the runbook file."""
    problems = []
    statuses = [(i, s.public_status) for i, s in enumerate(runbook.states)]
    if runbook.maintenance is None:
        for i, status in statuses:
            if status in MAINTENANCE_STATUSES:
                problems.append(src.problem(("states", i, "public_status"), f"public_status '{status}' is a "
                                            "maintenance window's", "add a `maintenance:` block to make this runbook "
                                            "a maintenance one, or use investigating, identified, monitoring or "
                                            "resolved"))
        return problems
    for i, status in statuses:
        if status is not None and status not in MAINTENANCE_STATUSES:
            problems.append(src.problem(("states", i, "public_status"), f"public_status '{status}' is an "
                                        "incident's; a maintenance runbook's states are "
                                        + ", ".join(MAINTENANCE_STATUSES)))
    initial = next((s for s in runbook.states if s.name == runbook.initial), None)
    if initial is not None and initial.public_status != "scheduled":
        problems.append(src.problem(("initial",), "a maintenance runbook starts in a state whose public_status is "
                                    "'scheduled'", "the window is announced before it begins"))
    for needed in ("in_progress", "completed"):
        if not any(s.public_status == needed and (needed != "completed" or s.final) for s in runbook.states):
            which = "a final" if needed == "completed" else "an"
            problems.append(src.problem(("states",), f"a maintenance runbook needs {which} state whose public_status "
                                        f"is '{needed}'", "it moves there by itself at the planned time"))
    return problems
