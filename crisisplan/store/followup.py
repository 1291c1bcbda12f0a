"""Tables of what comes after an incident: its post-incident review and its follow-up actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisplan.store.models import Base


class ReviewRow(Base):
    """An incident's post-incident review: the team's own sections and its state (draft, in_review, final).
    The figures are not stored: they are read from the audit chain each time, so they cannot drift from it."""

    __tablename__ = "reviews"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="draft")
    # section name -> Markdown the team wrote
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class ActionRow(Base):
    """A follow-up action: what the team will change, who owns it and by when."""

    __tablename__ = "follow_up_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | done | dropped
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    # when the owner was reminded before the due date, and told it was overdue: each once
    reminded_at: Mapped[datetime | None]
    overdue_sent_at: Mapped[datetime | None]
