"""Component statuses set by hand."""

from __future__ import annotations

from sqlalchemy import select

from crisisplan.comms.statuspage import WORST_FIRST, ComponentStatus
from crisisplan.errors import InvalidInput, NotFound
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.models import (
    ComponentStatusRow,
)


class ComponentCommands(UnitOfWork):
    """Component statuses a person sets, beside what the incidents say."""

    COMPONENT_STATUSES = tuple(reversed(WORST_FIRST))  # kept for callers: every status, mildest first

    def component_overrides(self) -> dict[str, str]:
        """Statuses set by hand; components not listed follow their incidents alone."""
        with self.db.read() as session:
            return {name: status for name, status in session.execute(
                select(ComponentStatusRow.name, ComponentStatusRow.status))}

    def set_component_status(self, name: str, status: str, actor: str) -> None:
        """Set a component's status by hand; "operational" hands it back to its incidents."""
        if name not in {c.name for c in self.plan.settings.components}:
            raise NotFound(f"no component '{name}' in plan.yaml")
        if status not in self.COMPONENT_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(self.COMPONENT_STATUSES)}", field="status")
        with self.db.write() as session:
            note_admin_in(session, self.db, self.clock.now(), actor, "component_status_set", {"component": name,
                                                                                           "status": status})
            row = session.get(ComponentStatusRow, name)
            if status == ComponentStatus.OPERATIONAL:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(ComponentStatusRow(name=name, status=status, updated_at=self.clock.now(), actor=actor))
            else:
                row.status, row.updated_at, row.actor = status, self.clock.now(), actor
            session.flush()
            self._record_statuses(session, self.clock.now())  # uptime.py: the uptime record follows

