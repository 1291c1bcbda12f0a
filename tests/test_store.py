"""Storage: the migration matches the models; the database is SQLite in WAL mode."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from crisisplan.store.db import Database
from crisisplan.store.models import Base


def test_migration_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_new_database_is_created_by_the_migration(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'new' / 'x.sqlite3'}")
    assert db.needs_migration()
    db.ensure_schema()
    assert not db.needs_migration()
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    db.dispose()


def test_a_failed_change_leaves_nothing_behind(services) -> None:
    view = services.declare("complaints", "high", "Parcels arrive broken", "ana")
    events = len(services.timeline(view.id))
    try:
        services.trigger(view.id, "judge_legitimate", "ana", {"topic": "Broken parcels"})
    except Exception as error:  # the guard blocks: the assessment is not set
        assert "blocked" in str(error)
    after = services.get(view.id)
    assert after.fields == {} and after.version == view.version
    assert len(services.timeline(view.id)) == events


def test_a_failed_publication_leaves_nothing_behind(services) -> None:
    """A public step is taken by publishing its post, in one transaction: a blocked step keeps the post unsent."""
    import pytest

    from crisisplan.errors import TriggerNotAllowed
    from tests.walk import review

    view = services.declare("outage", "sev1", "Down", "ana")
    with pytest.raises(TriggerNotAllowed, match="taken by publishing the 'cause' post"):  # not by hand
        services.trigger(view.id, "identify_cause", "ana", {"impact": "half the shop"})
    assert services.get(view.id).fields == {}
    cause = services.draft_post(view.id, "cause", "ana")
    review(services, cause.id, "ana")
    before, events = services.get(view.id), len(services.timeline(view.id))
    with pytest.raises(TriggerNotAllowed, match="'identify_cause' is blocked"):  # cause is not set
        services.publish_post(cause.id, "ana")
    after = services.get(view.id)
    assert after.state == "detected" and after.version == before.version
    assert services.post(cause.id).status == "approved" and services.post(cause.id).published_at is None
    assert len(services.timeline(view.id)) == events and "cause" not in services.incident(view.id).published


def test_the_suite_runs_on_the_database_it_was_given(services) -> None:
    from tests.databases import BACKEND

    assert services.db.engine.dialect.name == BACKEND
    with services.db.read() as session:
        assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1
