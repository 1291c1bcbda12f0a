"""The uptime bars' summary: per component and day, what the 90 bars need, kept up to date on every change, so a
status page reads 90 days × components rows whatever the history (services/uptime_summary.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisplan.store.models import Base


class UptimeDayRow(Base):
    """One component's day (in the organisation's zone): seconds in each status over the spans of its record
    that have ended, and the public incidents of that day (how many, and the first few with their titles)."""

    __tablename__ = "uptime_days"
    __table_args__ = (UniqueConstraint("component", "day", name="uq_uptime_days_component_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    component: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    seconds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # status -> seconds
    incidents: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"id", "title", "titles"}], lowest ids
    incident_count: Mapped[int] = mapped_column(default=0)


class UptimeMarkRow(Base):
    """How far the summary has taken in the record (one row): the component history up to `history_id`, the
    incidents up to `incident_id` and those changed since `changed_at`; `generation` goes up with every change
    of the summary's rows, so a reader keeps what it read of them until it does."""

    __tablename__ = "uptime_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    history_id: Mapped[int] = mapped_column(default=0)
    incident_id: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime | None]
    generation: Mapped[int] = mapped_column(default=0, server_default="0")


class UptimeToldRow(Base):
    """A closed incident (or maintenance window) the summary has looked at, as it stood then (`seen_at`, its
    `updated_at`); `counted` once it was public and went into its days (never twice)."""

    __tablename__ = "uptime_told"

    incident_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    counted: Mapped[bool] = mapped_column(default=False)
    seen_at: Mapped[datetime]
