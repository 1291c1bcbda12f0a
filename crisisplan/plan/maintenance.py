"""What a runbook of the maintenance kind and the uptime bars take from the plan files (kept out of schema.py).

A runbook with a `maintenance:` block is a planned window, not a failure: it is scheduled with a start and an
end, and moves by itself at those times (scheduled -> in progress -> verifying -> completed, the states whose
`public_status` say so). `plan.yaml` `uptime:` sets how the 90 daily bars count a partial outage.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from crisisplan.duration import parse_duration

# the public statuses of a maintenance window, in order (Statuspage's words for them)
MaintenanceStatus = Literal["scheduled", "in_progress", "verifying", "completed"]
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")


def _duration(value: object) -> timedelta:
    return value if isinstance(value, timedelta) else parse_duration(str(value))


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
