"""The database handle and the unit of work.

SQLite is the embedded default (WAL, one writer at a time). A write unit of
work starts with BEGIN IMMEDIATE there, so two processes never both read a
version and then race to write; PostgreSQL gets row locks instead. Either way
the version column turns a lost race into a Conflict, never a half-applied change.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from crisisplan.errors import Conflict, CrisisplanError, InvalidInput, Unavailable
from crisisplan.store.checkpoints import FILE_NAME as CHECKPOINTS_FILE
from crisisplan.store.checkpoints import CheckpointLog
from crisisplan.store.keys import AuditKeys

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x6372_6973_6973  # "crisis": the PostgreSQL advisory lock the migrations run under


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
        # Checkpoints run in the background (see _Checkpointer), not inside somebody's commit.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("crisisplan_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# The WAL past this size is folded back and cut to nothing (RESTART then TRUNCATE), even if that means making
# writers wait a moment: passive checkpoints alone never finish while readers are busy, and never shrink the file.
WAL_LIMIT_BYTES = int(os.environ.get("CRISISPLAN_WAL_LIMIT_MB", "16")) * 1024 * 1024
# after any complete checkpoint SQLite cuts the WAL back to this size when it starts writing it again
JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024


class _Checkpointer(threading.Thread):
    """Copies the WAL back into the database file twice a second, off the command path.

    SQLite's automatic checkpoint runs inside whichever commit crosses the
    threshold and fsyncs the database there: a 10-15 ms stall for an unlucky
    operator. A passive checkpoint here never blocks readers or writers; when the
    WAL has grown past `limit` anyway (readers kept it from completing), a TRUNCATE
    checkpoint waits up to a fifth of a second for them and resets the file to 0 bytes.
    """

    def __init__(self, path: str, limit: int = WAL_LIMIT_BYTES, every: float = 0.5):
        super().__init__(name="crisisplan-checkpoint", daemon=True)
        self.path = path
        self.limit = limit
        self.every = every
        self.stopping = threading.Event()
        self.truncations = 0

    def wal_size(self) -> int:
        try:
            return os.path.getsize(self.path + "-wal")
        except OSError:
            return 0

    def round(self, connection: sqlite3.Connection) -> None:
        """One checkpoint: passive below the limit, TRUNCATE above it."""
        if self.wal_size() <= self.limit:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            return
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            self.truncations += 1

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=1, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=200")  # how long a TRUNCATE may hold writers back, at most
        try:
            while not self.stopping.wait(self.every):
                try:
                    self.round(connection)
                except sqlite3.Error:
                    continue  # busy now; the next round catches up
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()


def _reason(error: Exception) -> str:
    """The database's own first line, without the SQL and parameters SQLAlchemy appends."""
    return str(getattr(error, "orig", error)).strip().splitlines()[0][:200] if str(error).strip() else "no detail"


def conflict_of(error: Exception) -> Conflict:
    """A unique key two changes raced for, as the loser is told: nothing of theirs was applied (HTTP 409)."""
    return Conflict("somebody else made the same change at the same moment; nothing of yours was applied "
                    f"({_reason(error)}) — reload and try again")


class Database:
    wal_limit = WAL_LIMIT_BYTES  # SQLite: the WAL size past which the checkpointer truncates it
    def __init__(self, url: str, instance: Path | None = None):
        self.url = url
        # the audit keys and the checkpoint file live here, outside the database (None: in memory, no file)
        self.instance = instance
        self._audit_keys: AuditKeys | None = None
        self._keys_lock = threading.Lock()
        self._checkpoints: CheckpointLog | None = None
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url, connect_args={"timeout": 30})
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._checkpointer: _Checkpointer | None = None
        self._batch = threading.local()  # batch(): the one session this thread's reads and writes share
        self._reads = sessionmaker(self.engine, expire_on_commit=False)
        self._writes = sessionmaker(self.engine.execution_options(crisisplan_write=True),
                                    expire_on_commit=False)
        event.listen(self._writes, "after_commit", self._anchor)
        event.listen(self._writes, "after_soft_rollback", lambda session, _previous: session.info.clear())

    @property
    def audit_keys(self) -> AuditKeys:
        """The keys of the audit chains (store/keys.py), loaded (or created) on first use."""
        with self._keys_lock:  # one set of keys per database, whichever thread asks first
            if self._audit_keys is None:
                self._audit_keys = AuditKeys.load(self.instance)
        return self._audit_keys

    @property
    def checkpoints(self) -> CheckpointLog | None:
        """The signed checkpoint file written after every change of a chain; None for a scratch database."""
        # only the installation's own database: a scratch one (a scripted drill) must never write its
        # incidents into the installation's checkpoints, wherever CRISISPLAN_AUDIT_CHECKPOINTS puts them
        if self._checkpoints is None and self.instance is not None:
            configured = os.environ.get("CRISISPLAN_AUDIT_CHECKPOINTS", "").strip()
            path = Path(configured) if configured else self.instance / CHECKPOINTS_FILE
            keys = self.audit_keys
            with self._keys_lock:
                self._checkpoints = self._checkpoints or CheckpointLog(path, keys)
        return self._checkpoints

    def _anchor(self, session: Session) -> None:
        """After a commit that grew chains: their new heads go into a signed checkpoint outside the database."""
        if session.in_nested_transaction():  # a savepoint of a batch: the batch's own commit writes the checkpoint
            return
        heads = session.info.pop("audit_heads", None)
        if heads and self.checkpoints is not None:
            self.checkpoints.safely(heads)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (creates the database on first use).

        Any number of processes may call this at once: on PostgreSQL they take turns under an
        advisory lock, on SQLite under BEGIN IMMEDIATE, and whoever comes second finds the schema
        at its newest and does nothing.
        """
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.execution_options(crisisplan_write=True).begin() as connection:
            if not self.is_sqlite:
                # held until this transaction ends: the migrations and the version row commit together
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def schema_revision(self) -> str | None:
        """The migration the database is at (None before the first)."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

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
            if os.environ.get("CRISISPLAN_MIGRATE") == "manual":
                raise CrisisplanError("the database is not at the newest migration; run `crisisplan migrate` "
                                      "first (CRISISPLAN_MIGRATE=manual leaves migrating to that step)")
            self.migrate()
        return self

    def in_batch(self) -> bool:
        """Whether this thread is inside `batch()` (its changes commit with the outermost one)."""
        return getattr(self._batch, "session", None) is not None

    @contextmanager
    def batch(self) -> Iterator[Session]:
        """Many changes as one transaction (an Alertmanager POST): inside it, this thread's `write()` and `read()`
        share its session, each `write()` a savepoint (one that fails is undone alone, for its caller to handle);
        all commit together on leaving, with one audit checkpoint for every chain they grew."""
        if getattr(self._batch, "session", None) is not None:  # already in one: the outer batch commits
            yield self._batch.session
            return
        with self.write() as session:
            self._batch.session = session
            try:
                yield session
            finally:
                self._batch.session = None

    @contextmanager
    def _in_batch(self, session: Session) -> Iterator[Session]:
        heads = dict(session.info.get("audit_heads", {}))
        try:
            with session.begin_nested():
                yield session
        except BaseException:
            # the savepoint is undone: the checkpoint names the chains as the batch had them before it
            session.info["audit_heads"] = heads
            raise
        session.flush()

    @contextmanager
    def read(self) -> Iterator[Session]:
        if getattr(self._batch, "session", None) is not None:  # a batch sees what it wrote so far
            yield self._batch.session
            return
        try:
            with self._reads() as session:
                yield session
        except OperationalError as error:
            raise Unavailable(f"the database cannot be read now ({_reason(error)}); try again shortly") from None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: everything in it lands together or not at all."""
        if getattr(self._batch, "session", None) is not None:  # inside batch(): a savepoint of its transaction
            with self._in_batch(self._batch.session) as session:
                yield session
            return
        if self.is_sqlite and self._checkpointer is None:
            self._start_checkpointer()
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
            # a lock another change held, a serialisation failure, a deadlock PostgreSQL broke: a lost race
            if any(word in str(error).lower() for word in ("locked", "could not serialize", "deadlock detected")):
                raise Conflict("the database was busy with another change; "
                               "nothing of your change was applied — try again") from None
            # disk full, a read-only file, a server gone: worth trying again later, unlike a refusal
            raise Unavailable(f"the database cannot take changes now ({_reason(error)}); "
                              "nothing was applied — try again shortly") from None
        except DataError as error:
            session.rollback()  # a value the database cannot hold; the input gate should have refused it first
            raise InvalidInput(f"a value cannot be stored ({_reason(error)})") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def take_turns(self, session: Session, name: str) -> None:
        """Make every transaction that calls this with `name` wait for the one before it to end (PostgreSQL: an
        advisory lock held to the end of the transaction). SQLite's writers take turns already (BEGIN IMMEDIATE).
        For a check-then-act that two transactions must not both pass, e.g. "no open incident: declare one"."""
        if not self.is_sqlite:
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def _start_checkpointer(self) -> None:
        path = self.engine.url.database
        if path and path != ":memory:":
            self._checkpointer = _Checkpointer(path, self.wal_limit)
            self._checkpointer.start()

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stopping.set()
            self._checkpointer.join(timeout=5)
            self._checkpointer = None
        self.engine.dispose()
