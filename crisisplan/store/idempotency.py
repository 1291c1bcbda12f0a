"""The answers kept for requests sent with an `Idempotency-Key`, so a client's retry gets the first answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crisisplan.store.models import Base


class IdempotencyRow(Base):
    """One key of one caller: what it was sent with, who is at work on it, and (once done) the answer it got."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"), Index("ix_idempotency_keys_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(200))  # who sent it: the token's account
    key: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(300))  # method and path
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the body
    status: Mapped[int] = mapped_column(default=0)  # 0 while the first request is still at work
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    # the request at work holds the key under a lease: a random mark, and when it was taken; a request that died
    # (a killed process) leaves its lease behind, and after LEASE a retry takes the key over with a new mark
    lease: Mapped[str] = mapped_column(String(32), default="", server_default="")
    leased_at: Mapped[datetime | None]
