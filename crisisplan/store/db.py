"""The database handle and the unit of work.

SQLite is the embedded default (WAL, one writer at a time). A write unit of
work starts with BEGIN IMMEDIATE there, so two processes never both read a
version and then race to write; PostgreSQL gets row locks instead. Either way
the version column turns a lost race into a Conflict, never a half-applied change.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from crisisplan.errors import Conflict, CrisisplanError

MIGRATIONS = Path(__file__).parent / "migrations"


def default_url(instance_dir: Path) -> str:
    return os.environ.get("CRISISPLAN_DATABASE_URL") or f"sqlite:///{instance_dir / 'crisisplan.sqlite3'}"


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("crisisplan_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    def __init__(self, url: str):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url, connect_args={"timeout": 30})
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(self.engine.execution_options(crisisplan_write=True),
                                    expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (creates the database on first use)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def needs_migration(self) -> bool:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return True
            current = MigrationContext.configure(connection).get_current_heads()
        heads = ScriptDirectory(str(MIGRATIONS)).get_heads()
        return set(current) != set(heads)

    def ensure_schema(self) -> Database:
        if self.needs_migration():
            self.migrate()
        return self

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reads() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: everything in it lands together or not at all."""
        session = self._writes()
        try:
            yield session
            session.commit()
        except StaleDataError:
            session.rollback()
            raise Conflict("somebody else changed this incident at the same moment; "
                           "nothing of your change was applied — reload and try again") from None
        except OperationalError as error:
            session.rollback()
            if "locked" in str(error).lower() or "could not serialize" in str(error).lower():
                raise Conflict("the database was busy with another change; "
                               "nothing of your change was applied — try again") from None
            raise CrisisplanError(f"database error: {error.orig}") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
