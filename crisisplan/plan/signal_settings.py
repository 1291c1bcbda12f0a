"""plan.yaml's shared value types (`Name`, `Duration`, `Strict`) and what it says about signals coming in: the
escalation matrix, Alertmanager's routes and when complaints declare on their own."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from crisisplan.duration import parse_duration

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(str(value))


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Escalation(Strict):
    """One row of the escalation matrix: what sets it off, who takes over, by when, what the customer hears."""

    when: Literal["severity", "dissatisfaction", "legal", "safety", "specialist"]
    to: Name  # a role
    within: Duration
    tell_customer: bool = True
    note: str = ""


class AlertRoute(Strict):
    """What an Alertmanager alert whose labels match does: declare on a runbook, or (no runbook) only record."""

    match: dict[str, str] = {}  # every label here must have this value; empty matches every alert
    runbook: Name | None = None
    severity: Name | None = None
    components_label: str = "component"  # the label that names the affected component


class AlertmanagerSettings(Strict):
    routes: list[AlertRoute] = []  # the first route that matches wins; no match: the alert is only recorded


class ComplaintSettings(Strict):
    """When complaints and mentions declare an incident on their own."""

    runbook: Name = "complaints"  # its first severity is used for high, its last for normal
    declare_reach: int = Field(50_000, ge=1)  # one complaint from an account this big
    high_reach: int = Field(5_000, ge=1)  # reach that makes a complaint high severity
    burst_count: int = Field(20, ge=2)  # this many on one topic...
    burst_within: Duration = timedelta(minutes=10)  # ...within this long


class Signals(Strict):
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    complaints: ComplaintSettings = ComplaintSettings()
