"""Alembic environment: runs on the connection the caller hands over."""

from alembic import context
from sqlalchemy import create_engine

from crisisplan.store import (
    followup,  # noqa: F401  (its tables belong to the metadata)
    idempotency,  # noqa: F401  (the answers kept for Idempotency-Key)
)
from crisisplan.store.audit_models import AdminEventRow  # noqa: F401  (the admin chain's tables)
from crisisplan.store.models import Base
from crisisplan.store.uptime_models import UptimeDayRow  # noqa: F401  (the uptime bars' summary)

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run()
