"""The outbox as people see it: counts, dead letters, retry."""

from __future__ import annotations

from sqlalchemy import func, select

from crisisplan.services.unit import UnitOfWork
from crisisplan.store.models import (
    OutboxRow,
)


class OutboxCommands(UnitOfWork):
    def outbox_overview(self, dead_limit: int = 200) -> tuple[dict[tuple[str, str], int], list[OutboxRow]]:
        """Messages by (channel kind, status), and the newest dead letters."""
        with self.db.read() as session:
            kind = func.substr(OutboxRow.channel, 1, func.instr(OutboxRow.channel, ":") - 1) if self.db.is_sqlite \
                else func.split_part(OutboxRow.channel, ":", 1)
            counts = {(k, status): n for k, status, n in session.execute(
                select(kind, OutboxRow.status, func.count()).group_by(kind, OutboxRow.status))}
            dead = list(session.scalars(select(OutboxRow).where(OutboxRow.status == "dead")
                                        .order_by(OutboxRow.id.desc()).limit(dead_limit)))
        return counts, dead

    def retry_message(self, message_id: int) -> None:
        from crisisplan.publish import outbox

        outbox.retry(self.db, message_id, self.clock.now())

