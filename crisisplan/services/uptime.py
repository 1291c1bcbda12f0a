"""Uptime history: each component's public status is recorded whenever it changes, and read back as daily bars.

The status recorded is the one the status page shows (the same rules: `comms.statuspage`): the worse of the
status set by hand and what each active public incident (or maintenance window in progress) does to the
component. A change that can move it (a step, a publication, a severity, a status set by hand) records the
components whose status it changed, in its own transaction. The figures are computed in `comms.uptime`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crisisplan.comms import statuspage, uptime
from crisisplan.comms.audience import PUBLIC
from crisisplan.errors import Conflict, Unavailable
from crisisplan.services import uptime_summary
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.store.models import ComponentHistoryRow, ComponentStatusRow, IncidentRow

# the audit events after which a component's public status may differ
MOVES = {"declared", "state_changed", "post_published", "severity_changed", "component_status_set"}
OVER = ("resolved", "completed")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComponentUptime:
    """One component's bars: a day each, oldest first, and the uptime over them all."""

    name: str
    days: list[uptime.Day]
    uptime: float | None
    names: dict[int, tuple[str, dict[str, str]]] = field(default_factory=dict)  # incident -> title, translations
    past_key: tuple[Any, ...] = ()  # what the days before today follow: the same key, the same figures


class UptimeReads(UnitOfWork):
    """The component status record and the uptime figures computed from it."""

    def _component_history(self, work: Work) -> None:
        """The unit of work's hook: record the components whose public status this change moved."""
        if work.incident.is_drill or not any(e.kind in MOVES for e in work.events):
            return
        self._record_statuses(work.session, work.clock.now(), work.row.id)

    def _record_statuses(self, session: Session, now: datetime, incident_id: int | None = None) -> None:
        """Append a history row for each component whose public status is not the last one recorded, and bring
        the uptime summary up to date in the same transaction (with `incident_id`, if it just closed)."""
        current = self._statuses_now(session)
        newest = select(func.max(ComponentHistoryRow.id)).group_by(ComponentHistoryRow.component)
        last = {row.component: row.status for row in session.scalars(
            select(ComponentHistoryRow).where(ComponentHistoryRow.id.in_(newest)))}
        for name, status in current.items():
            if last.get(name) != status:
                session.add(ComponentHistoryRow(component=name, status=status, at=now))
        session.flush()
        uptime_summary.fold(self, session, now, incident_id)

    def _statuses_now(self, session: Session) -> dict[str, str]:
        """Every component's public status as the record stands (what the status page derives, from the rows)."""
        result = {c.name: statuspage.ComponentStatus.OPERATIONAL.value for c in self.plan.settings.components}
        for name, status in session.execute(select(ComponentStatusRow.name, ComponentStatusRow.status)):
            if name in result:
                result[name] = status
        rows = session.scalars(select(IncidentRow).where(
            IncidentRow.closed.is_(False), IncidentRow.is_drill.is_(False), IncidentRow.last_published_at.is_not(None)))
        for row in rows:
            if row.runbook_id not in self.plan.runbooks:
                continue
            runbook = self.plan.runbook(row.runbook_id)
            if not any(runbook.audience(kind) == PUBLIC for kind in (row.doc or {}).get("published", {})):
                continue  # only private or internal words so far: the public has been told nothing
            public = runbook.state(row.state).public_status or "investigating"
            severity = next((s for s in runbook.severities if s.name == row.severity), None)
            if public in OVER or severity is None:
                continue
            status = statuspage.incident_component_status(severity.impact, public)
            for name in row.components:
                if name in result:
                    result[name] = statuspage.worst((result[name], status))
        return result

    def _start_history(self) -> None:
        """Once a process (the worker's first tick): an empty record begins with every component's status now, so
        a new installation's bars fill from its first day rather than from its first incident."""
        if getattr(self, "_history_started", False):
            return
        self._history_started = True
        with self.db.write() as session:
            if session.scalar(select(ComponentHistoryRow.id).limit(1)) is None:
                self._record_statuses(session, self.clock.now())

    def record_component_statuses(self) -> None:
        """Record every component's public status now, where it differs from the last recorded one."""
        with self.db.write() as session:
            self._record_statuses(session, self.clock.now())

    def component_history(self, name: str) -> list[tuple[datetime, str]]:
        """A component's recorded changes of public status, oldest first."""
        with self.db.read() as session:
            return [(at, status) for at, status in session.execute(
                select(ComponentHistoryRow.at, ComponentHistoryRow.status).where(
                    ComponentHistoryRow.component == name).order_by(ComponentHistoryRow.at, ComponentHistoryRow.id))]

    def uptime(self) -> list[ComponentUptime]:
        """Each component's daily bars over the plan's `uptime.days` (90), in the organisation's days, with the
        public incidents (and maintenance windows) of each day. The days come from the summary kept on change
        (uptime_summary.py), what is still going on is added here: the cost does not grow with history. The
        summary as read, and each component's days before today, are kept until the summary or what is going on
        changes: a render while an incident goes on computes today's bar alone."""
        settings = self.plan.settings
        now = self.clock.now()
        tz, days, _ = uptime_summary.window(self, now)
        start = uptime.day_bounds(days[0], tz)[0]
        self._summary_up_to_date(now)
        live = [i for i in self.public_incidents(which="open") + self.public_incidents(which="open", maintenance=True)
                if i.status != "scheduled"]  # a window not begun: not yet
        names = {i.id: (i.title, dict(i.titles)) for i in live}
        with self.db.read() as session:
            summary, past_kept, past_digest = self._summary_read(session, days[0], days[-1])
            newest = select(func.max(ComponentHistoryRow.id)).group_by(ComponentHistoryRow.component)
            last = {name: (at, status) for name, at, status in session.execute(
                select(ComponentHistoryRow.component, ComponentHistoryRow.at, ComponentHistoryRow.status).where(
                    ComponentHistoryRow.id.in_(newest)))}
        for row in summary.values():
            names.update({i["id"]: (i["title"], i.get("titles") or {}) for i in row.incidents})
        weight = settings.uptime.partial_weight
        today = uptime.day_bounds(days[-1], tz)[0]
        result = []
        for component in settings.components:
            spans = tuple((i.id, i.scheduled_for or i.declared_at, i.resolved_at) for i in live
                          if component.name in i.components)
            going_on = [(max(last[component.name][0], start), last[component.name][1])] \
                if component.name in last else []
            # all the days before today follow: their summary, and what goes on since before today began
            key = (past_digest.get(component.name), days[0], days[-1], str(tz), weight,
                   tuple(g for g in going_on if g[0] < today), tuple(s for s in spans if s[1] < today))
            kept = past_kept.get(component.name)
            if kept is None or kept[0] != key:  # the days before today hold still until one of these moves
                kept = key, self._bars(component.name, going_on, days[:-1], tz, now, spans, summary)
                past_kept[component.name] = kept
            bars = kept[1] + self._bars(component.name, going_on, days[-1:], tz, now, spans, summary)
            result.append(ComponentUptime(component.name, bars, uptime.overall(bars), names, key))
        return result

    def _bars(self, name: str, going_on: list[tuple[datetime, str]], days: list[Any], tz: Any, now: datetime,
              spans: tuple[tuple[int, datetime, datetime | None], ...],
              summary: dict[Any, uptime_summary.Kept]) -> list[uptime.Day]:
        weight = self.plan.settings.uptime.partial_weight
        bars = []
        for day in uptime.daily(going_on, days, tz, now, weight, spans):
            kept = summary.get((name, day.day))
            bars.append(uptime.with_summary(
                day, kept.seconds if kept else {}, [i["id"] for i in kept.incidents] if kept else [],
                kept.incident_count if kept else 0, weight))
        return bars

    def _summary_read(self, session: Session, first_day: date, today: date) -> tuple[
            dict[Any, uptime_summary.Kept], dict[str, Any], dict[str, str]]:
        """The summary of the bars' days, read again only when its generation moved (or the days did); the
        components' past bars kept with it (dropped with it); and per component a digest of its days before
        today, which a change of today's figures leaves alone."""
        key = (uptime_summary.generation(session), first_day, today)
        kept = self.__dict__.get("_uptime_kept")
        if kept is None or kept[0] != key:
            summary = uptime_summary.read(session, first_day)
            past: dict[str, list[Any]] = {}
            for (name, day), row in sorted(summary.items()):
                if day < today:
                    past.setdefault(name, []).append((day, row))
            digests = {name: hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()
                       for name, rows in past.items()}
            kept = key, summary, {}, digests
            self.__dict__["_uptime_kept"] = kept
        return kept[1], kept[2], kept[3]

    def _summary_up_to_date(self, now: datetime) -> None:
        """What came into the record some other way (rows written in bulk, a database from before the summary):
        taken into the summary now, once; a database that cannot be written shows what the summary has."""
        with self.db.read() as session:
            if not uptime_summary.pending(self, session, now):
                return
        try:
            with self.db.write() as session:
                uptime_summary.fold(self, session, now)
        except (Conflict, Unavailable) as error:
            log.warning("the uptime summary could not be brought up to date: %s", error)
