"""plan.yaml `support_metrics:`: whether the status page shows, next to "Reach us", how responsive the team has
been on each channel (aggregates only: the share of messages answered and the median first-answer time)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SupportMetrics(BaseModel):
    """Responsiveness in public. Off unless the plan turns it on: a team decides to publish its figures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public: bool = False  # show them on the status page
    days: int = Field(30, ge=1, le=365)  # the window, in days up to the current hour
    # a channel with fewer complaints in the window shows "too few to measure": a figure of one or two messages
    # says more about those customers than about the team
    min_complaints: int = Field(5, ge=1, le=10_000)
