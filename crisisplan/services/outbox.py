"""The outbox as people see it: counts, the messages with their attempts, dead letters, retry, delivery."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from crisisplan.publish import outbox
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.models import OutboxRow


class OutboxCommands(UnitOfWork):
    """The outbox: what is owed, what was delivered, the dead letters."""

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

    def outbox_messages(self, status: str | None = None) -> list[OutboxRow]:
        """Every message owed to a webhook or a subscriber, oldest first, with its delivery attempts (one status
        only if given: pending, delivered or dead)."""
        with self.db.read() as session:
            query = select(OutboxRow).order_by(OutboxRow.id)
            return list(session.scalars(query.where(OutboxRow.status == status) if status else query))

    def retry_message(self, message_id: int) -> None:
        """Put a dead message back in the queue, to be tried again from now."""
        outbox.retry(self.db, message_id, self.clock.now())

    def deliver_due(self, *, lease: timedelta | None = None, stopping: Callable[[], bool] = lambda: False,
                    limit: int = 200) -> outbox.Result:
        """Deliver one batch of due messages (webhooks, e-mails): delivered, retried later, or dead."""
        return outbox.deliver_due(self.db, self.plan.settings, self.clock.now(), lease=lease or outbox.LEASE,
                                  stopping=stopping, limit=limit)
