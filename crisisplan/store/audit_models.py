"""The admin chain's tables: admin actions in a chain of their own, and the heads of chains kept in a table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisplan.store.models import GENESIS, Base


class AdminEventRow(Base):
    """One admin action (people, tokens, subscribers removed, component statuses, triage overrides)."""

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32), default="")

    __table_args__ = (UniqueConstraint("seq", name="uq_admin_events_seq"),)


class ChainHeadRow(Base):
    """The head and length of a chain that has no row of its own to keep them (the admin chain)."""

    __tablename__ = "audit_heads"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    head: Mapped[str] = mapped_column(String(64), default=GENESIS)
    length: Mapped[int] = mapped_column(default=0)
