"""The database schema as a deployment step: `crisisplan migrate` brings it to the newest migration."""

from __future__ import annotations

import os

from crisisplan.plan.load import load_plan
from crisisplan.services.views import instance_dir
from crisisplan.store.db import Database, default_url


def migrate_database(plan_dir: str | os.PathLike[str] | None = None,
                     database_url: str | None = None) -> tuple[str | None, str | None]:
    """Migrate the plan's database to the newest schema, safe to run beside starting servers and workers;
    returns (the revision before, the revision after)."""
    plan = load_plan(plan_dir)
    db = Database(database_url or default_url(instance_dir(plan.root)), instance_dir(plan.root))
    try:
        before = db.schema_revision()
        db.migrate()
        return before, db.schema_revision()
    finally:
        db.dispose()
