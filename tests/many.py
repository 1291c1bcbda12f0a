"""Thousands of public incidents in seconds: one walked through the services, the rest copied row by row.

The copies are the real incident's rows (incident, its published posts, its audit moves) with a new id,
title and day, inserted in bulk; resolved and closed unless asked. Their audit chains are not recomputed:
this is history for the pages and benchmarks to carry, not for `audit verify`.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text

from crisisplan.services import Services
from crisisplan.store.models import AuditEventRow, IncidentRow, PostRow


def seed_incidents(services: Services, count: int, days: int = 90, open_every: int = 0,
                   runbook: str = "outage") -> list[int]:
    """`count` public incidents declared over the last `days` (newest first), one in `open_every` still open.

    Returns their ids, the newest first.
    """
    from tests.walk import publish_reviewed

    view = services.declare(runbook, "sev3", "Seed incident", "seeder", ["website"])
    [ack] = services.posts(view.id)
    publish_reviewed(services, ack.id, "seeder")
    machine = services.machine(runbook)
    resolved = next(s.name for s in machine.runbook.states if s.public_status == "resolved")
    now = services.clock.now()
    with services.db.write() as session:
        template = _row(session.get(IncidentRow, view.id))
        posts = [_row(p) for p in session.scalars(select(PostRow).where(PostRow.incident_id == view.id))]
        moves = [_row(e) for e in session.scalars(select(AuditEventRow).where(
            AuditEventRow.incident_id == view.id, AuditEventRow.kind == "state_changed"))]
        last_seq = max(e["seq"] for e in moves)
        first = (session.scalar(select(IncidentRow.id).order_by(IncidentRow.id.desc()).limit(1)) or 0) + 1
        first_post = (session.scalar(select(PostRow.id).order_by(PostRow.id.desc()).limit(1)) or 0) + 1
        step = timedelta(days=days) / max(count, 1)
        incidents, copies, events = [], [], []
        for n in range(count):
            at = now - step * (n + 1)
            still_open = bool(open_every) and n % open_every == 0
            incident_id = first + n
            incidents.append({**template, "id": incident_id, "title": f"Seeded incident {incident_id}",
                              "declared_at": at, "state_entered_at": at, "last_published_at": at,
                              "updated_at": at, "next_due_at": None, "closed": not still_open,
                              "state": template["state"] if still_open else resolved})
            for offset, post in enumerate(posts):
                copies.append({**post, "id": first_post + n * len(posts) + offset, "incident_id": incident_id,
                               "created_at": at, "updated_at": at, "published_at": at})
            events += [{**e, "incident_id": incident_id, "at": at} for e in moves]
            if not still_open:  # resolved when it was declared: the public page reads the move from the trail
                events.append({**moves[-1], "incident_id": incident_id, "at": at, "seq": last_seq + 1,
                               "payload": json.dumps({"from": template["state"], "to": resolved})})
        session.execute(insert(IncidentRow), incidents)
        session.execute(insert(PostRow), copies)
        for event in events:
            event.pop("id", None)
        if events:
            session.execute(insert(AuditEventRow), events)
        if not services.db.is_sqlite:  # ids given by hand: PostgreSQL's sequences must hear of them (seed again)
            for table in ("incidents", "posts"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
    return [first + n for n in range(count)]


def _row(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__mapper__.column_attrs}
