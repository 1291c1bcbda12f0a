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
    view = services.declare("outage", "sev1", "Down", "ana")
    events = len(services.timeline(view.id))
    try:
        services.trigger(view.id, "identify_cause", "ana", {"impact": "half the shop"})
    except Exception as error:  # the guard blocks: cause is not set
        assert "blocked" in str(error)
    after = services.get(view.id)
    assert after.fields == {} and after.version == view.version
    assert len(services.timeline(view.id)) == events


def test_the_suite_runs_on_the_database_it_was_given(services) -> None:
    from tests.databases import BACKEND

    assert services.db.engine.dialect.name == BACKEND
    with services.db.read() as session:
        assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1
