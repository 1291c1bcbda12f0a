"""The public views are built once per version of an incident, and the status page's reads stay on their indexes
whatever the size of the history (issue 14)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from tests.many import seed_incidents
from tests.walk import publish_reviewed


def _statements(services, read) -> tuple[list[str], object]:
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", count)
    try:
        result = read()
    finally:
        event.remove(services.db.engine, "before_cursor_execute", count)
    return seen, result


def test_an_unchanged_incident_is_not_read_again_and_a_changed_one_is(services) -> None:
    ids = seed_incidents(services, 60, days=30, open_every=10)  # ids[0], ids[10], ... still open
    first = services.public_incidents(limit=50)
    assert [i.id for i in first] == [ids[0] - 1, *ids[:49]]  # the walked seed (now), then the copies, newest first
    # read again: the ids and versions, nothing else (no row, no post, no step)
    seen, again = _statements(services, lambda: services.public_incidents(limit=50))
    assert len(seen) == 1 and "incidents.version" in seen[0] and "posts" not in seen[0]
    assert again == first
    # one of them changes: only it is built again, and the change shows
    changed = ids[10]
    note = "A late note: the cause was a certificate. Next update by 23:30."
    post = services.draft_post(changed, "update", "ana", text=note)
    publish_reviewed(services, post.id, "ana")
    seen, third = _statements(services, lambda: services.public_incidents(limit=50))
    rebuilt = [s for s in seen if "FROM posts" in s]
    assert len(rebuilt) == 1 and rebuilt[0].count("?") <= 3  # the posts of one incident (and the status filter)
    shown = next(i for i in third if i.id == changed)
    assert shown.updates[0].bodies["en"] == note
    assert [i for i in third if i.id != changed] == [i for i in first if i.id != changed]


def test_a_plan_reloaded_builds_the_views_again(services) -> None:
    ids = seed_incidents(services, 3, days=5)
    before = services.public_incidents(which="closed")
    services.plan = services.plan.__class__(**{**services.plan.__dict__})  # another plan object, same files
    seen, after = _statements(services, lambda: services.public_incidents(which="closed"))
    assert any("FROM posts" in s for s in seen) and [i.id for i in after] == [i.id for i in before] == ids


def test_the_status_pages_reads_use_their_indexes_not_every_incident(services) -> None:
    if not services.db.is_sqlite:
        pytest.skip("the query plan checked here is SQLite's; PostgreSQL chooses by its statistics")
    seed_incidents(services, 300, days=90, open_every=50)
    plans: list[str] = []

    def explain(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "incidents" in statement:
            plans.append(" ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters).fetchall()))

    event.listen(services.db.engine, "before_cursor_execute", explain)
    try:
        services.public_incidents(which="open")
        services.public_maintenances()
        services.public_stamp()
    finally:
        event.remove(services.db.engine, "before_cursor_execute", explain)
    joined = "\n".join(plans)
    assert "ix_incidents_open_declared (closed=? AND is_drill=?)" in joined  # the open ones, in date order
    assert "ix_incidents_runbook_declared (runbook_id=?)" in joined  # the maintenance windows
    assert "COVERING INDEX ix_incidents_drill_updated (is_drill=?)" in joined  # the newest change
    # none of them walks the 90 days of incidents by date
    assert not re.search(r"ix_incidents_public_declared \(is_drill=\?\)$", joined, re.M), joined
