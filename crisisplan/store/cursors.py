"""Where each connector stopped reading its network, so the next pull starts there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crisisplan.store.models import Base


class ConnectorCursorRow(Base):
    """One connector's cursor (its network's own token: a notification time, a firehose sequence number)."""

    __tablename__ = "connector_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # the connector, as in plan.yaml
    cursor: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")  # why the last pull failed; "" when it worked
