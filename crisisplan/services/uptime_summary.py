"""The uptime bars' summary (store/uptime_models.py): per component and day, the seconds in each status and the
public incidents of that day, so that the status page reads 90 × components small rows whatever the history.

`fold` takes into the summary what the record gained since it last looked: the spans of the component history
that have ended (between two recorded changes), and the incidents and maintenance windows that closed. Every change
that can move a component's status runs it in its own transaction (services/uptime.py); a read runs it too when
something came in another way (rows written in bulk, a database from before the summary), in a transaction of its
own. What is still going on (the span from the last change to now, the open incidents) is never in the summary:
the read adds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from crisisplan.comms import uptime
from crisisplan.store.models import ComponentHistoryRow, IncidentRow
from crisisplan.store.uptime_models import UptimeDayRow, UptimeMarkRow, UptimeToldRow

FIRST_FEW = 4  # incidents kept by name a component and day: the bars link 3, and say when there are more
History = ComponentHistoryRow


def window(services: Any, now: datetime) -> tuple[ZoneInfo, list[date], datetime]:
    """The zone, the bars' days (oldest first) and the moment the summary starts caring (a day before them)."""
    settings = services.plan.settings
    tz = ZoneInfo(settings.organisation.time_zone)
    days = uptime.last_days(now, tz, settings.uptime.days)
    return tz, days, uptime.day_bounds(days[0] - timedelta(days=1), tz)[0]


def _mark(session: Session, locking: bool) -> UptimeMarkRow:
    query = select(UptimeMarkRow).where(UptimeMarkRow.id == 1)
    mark = session.scalars(query.with_for_update() if locking else query).one_or_none()
    if mark is None:
        mark = UptimeMarkRow(id=1, history_id=0, incident_id=0, changed_at=None)
        session.add(mark)
        session.flush()
    return mark


def _incidents_to_look_at(mark: UptimeMarkRow | None, floor: datetime, also: int | None) -> Any:
    """Closed real incidents with a publication, new or changed since the summary last looked and not yet seen
    as they are now: found through the primary key and the index on `updated_at`, never by reading them all."""
    recent = [IncidentRow.updated_at >= (mark.changed_at if mark and mark.changed_at else floor)]
    if mark is not None and mark.incident_id:
        recent.append(IncidentRow.id > mark.incident_id)
    if also is not None:
        recent.append(IncidentRow.id == also)
    # each condition apart (primary key, index), then joined: an OR of them, databases read every closed incident
    ids = union_all(*(select(IncidentRow.id).where(condition) for condition in recent)).subquery()
    return (select(IncidentRow).outerjoin(UptimeToldRow, UptimeToldRow.incident_id == IncidentRow.id)
            .where(IncidentRow.id.in_(select(ids.c.id)), IncidentRow.closed.is_(True), IncidentRow.is_drill.is_(False),
                   IncidentRow.last_published_at.is_not(None),
                   UptimeToldRow.incident_id.is_(None) | (UptimeToldRow.seen_at < IncidentRow.updated_at)))


def pending(services: Any, session: Session, now: datetime) -> bool:
    """Whether the record holds something the summary has not taken in yet (two small statements)."""
    mark = session.get(UptimeMarkRow, 1)
    newest = session.scalar(select(func.max(History.id)))
    if newest is not None and (mark is None or newest > mark.history_id):
        return True
    return session.scalar(_incidents_to_look_at(mark, window(services, now)[2], None)
                          .with_only_columns(IncidentRow.id).limit(1)) is not None


def fold(services: Any, session: Session, now: datetime, incident_id: int | None = None) -> None:
    """Take into the summary, in the caller's transaction, the history's ended spans and the closed incidents
    it has not counted yet (`incident_id`: the one this change is about, whatever the marks say)."""
    tz, _, floor = window(services, now)
    known = {c.name for c in services.plan.settings.components}
    mark = _mark(session, not services.db.is_sqlite)  # one fold at a time (SQLite: BEGIN IMMEDIATE already)
    seconds: dict[tuple[str, date], dict[str, float]] = {}
    told: dict[tuple[str, date], list[dict[str, Any]]] = {}
    _fold_history(session, mark, tz, floor, known, seconds)
    _fold_incidents(services, session, mark, tz, floor, known, told, incident_id)
    if seconds or told:
        mark.generation = (mark.generation or 0) + 1  # readers of the summary read it again
    _store(session, seconds, told)


def _fold_history(session: Session, mark: UptimeMarkRow, tz: ZoneInfo, floor: datetime, known: set[str],
                  seconds: dict[tuple[str, date], dict[str, float]]) -> None:
    rows = session.execute(select(History.id, History.component, History.at, History.status)
                           .where(History.id > mark.history_id).order_by(History.id)).all()
    if not rows:
        return
    names = {row.component for row in rows}
    before = select(func.max(History.id)).where(History.id <= mark.history_id,
                                                History.component.in_(names)).group_by(History.component)
    heads = {name: (at, status) for name, at, status in session.execute(
        select(History.component, History.at, History.status).where(History.id.in_(before)))}
    for _, name, at, status in rows:
        if name in heads and name in known:
            since, was = heads[name]
            for day, secs in uptime.spans_by_day(max(since, floor), at, tz):
                into = seconds.setdefault((name, day), {})
                into[was] = into.get(was, 0.0) + secs
        heads[name] = (at, status)
    mark.history_id = rows[-1].id


def _fold_incidents(services: Any, session: Session, mark: UptimeMarkRow, tz: ZoneInfo, floor: datetime,
                    known: set[str], told: dict[tuple[str, date], list[dict[str, Any]]],
                    incident_id: int | None) -> None:
    rows = list(session.scalars(_incidents_to_look_at(mark, floor, incident_id)))
    if not rows:
        return
    seen = {t.incident_id: t for t in session.scalars(
        select(UptimeToldRow).where(UptimeToldRow.incident_id.in_([r.id for r in rows])))}
    views = {v.id: v for v in services._public_views(session, rows)}
    first_day = uptime.last_days(floor, tz, 1)[0]
    for row in rows:
        entry = seen.get(row.id) or UptimeToldRow(incident_id=row.id, counted=False, seen_at=row.updated_at)
        if row.id not in seen:
            session.add(entry)
        entry.seen_at = row.updated_at
        view = views.get(row.id)
        if entry.counted or view is None or view.status == "scheduled":  # counted once; untold; never begun
            continue
        entry.counted = True
        began, ended = view.scheduled_for or view.declared_at, view.resolved_at or row.updated_at
        for name in (c for c in view.components if c in known):
            for day in uptime.touched_days(began, ended, tz, first_day):
                told.setdefault((name, day), []).append(
                    {"id": view.id, "title": view.title, "titles": dict(view.titles)})
    mark.incident_id = max(mark.incident_id, max(r.id for r in rows))
    newest = max(r.updated_at for r in rows)
    mark.changed_at = newest if mark.changed_at is None else max(mark.changed_at, newest)


def _store(session: Session, seconds: dict[tuple[str, date], dict[str, float]],
           told: dict[tuple[str, date], list[dict[str, Any]]]) -> None:
    keys = set(seconds) | set(told)
    if not keys:
        return
    names, days = {k[0] for k in keys}, {k[1] for k in keys}
    existing = {(r.component, r.day): r for r in session.scalars(select(UptimeDayRow).where(
        UptimeDayRow.component.in_(names), UptimeDayRow.day.in_(days)))}
    for key in keys:
        row = existing.get(key)
        if row is None:
            row = UptimeDayRow(component=key[0], day=key[1], seconds={}, incidents=[], incident_count=0)
            session.add(row)
        added = seconds.get(key, {})
        row.seconds = {s: row.seconds.get(s, 0.0) + added.get(s, 0.0) for s in set(row.seconds) | set(added)}
        new = told.get(key, [])
        if new:
            row.incidents = sorted(_unique([*row.incidents, *new]), key=lambda i: i["id"])[:FIRST_FEW]
            row.incident_count = (row.incident_count or 0) + len(new)
    session.flush()


def _unique(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({e["id"]: e for e in entries}.values())


@dataclass(frozen=True)
class Kept:
    """One component's day of the summary, as read."""

    seconds: dict[str, float]
    incidents: list[dict[str, Any]]
    incident_count: int


def generation(session: Session) -> int:
    """How many times the summary's rows have changed: what a reader keeps them by."""
    return session.scalar(select(UptimeMarkRow.generation).where(UptimeMarkRow.id == 1)) or 0


def read(session: Session, first_day: date) -> dict[tuple[str, date], Kept]:
    """The summary of the bars' days: one statement, 90 × components rows at most."""
    return {(component, day): Kept(dict(seconds or {}), list(incidents or []), count or 0)
            for component, day, seconds, incidents, count in session.execute(
                select(UptimeDayRow.component, UptimeDayRow.day, UptimeDayRow.seconds, UptimeDayRow.incidents,
                       UptimeDayRow.incident_count).where(UptimeDayRow.day >= first_day))}
