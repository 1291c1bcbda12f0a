"""Fresh migrated databases for tests, on SQLite (a copied file) or PostgreSQL (a database cloned from a template).

`scripts/test.sh` runs the suite twice: once as is (SQLite), once with
CRISISPLAN_TEST_POSTGRES set to a throw-away server (`scripts/postgres.sh`).
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crisisplan.store.db import Database

POSTGRES = os.environ.get("CRISISPLAN_TEST_POSTGRES", "")
BACKEND = "postgresql" if POSTGRES else "sqlite"
TEMPLATE = f"crisisplan_template_{os.getpid()}"
_names = itertools.count(1)


def _admin():
    return create_engine(POSTGRES, isolation_level="AUTOCOMMIT", pool_size=1)


class Databases:
    """Hands out migrated databases; drops what it handed out at the end."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.created: list[str] = []
        if POSTGRES:
            self.admin = _admin()
            with self.admin.connect() as c:
                c.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE}"))
                c.execute(text(f"CREATE DATABASE {TEMPLATE}"))
            self._migrate(self._url(TEMPLATE))
        else:
            self.template = scratch / "template.sqlite3"
            self._migrate(f"sqlite:///{self.template}")

    @staticmethod
    def _migrate(url: str) -> None:
        db = Database(url)
        db.migrate()
        db.dispose()

    def _url(self, name: str) -> str:
        return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)

    def fresh(self, folder: Path) -> str:
        if not POSTGRES:
            target = folder / "crisisplan.sqlite3"
            shutil.copy(self.template, target)
            return f"sqlite:///{target}"
        name = f"crisisplan_test_{os.getpid()}_{next(_names)}"
        with self.admin.connect() as c:
            c.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
        self.created.append(name)
        return self._url(name)

    def drop(self, url: str) -> None:
        if not POSTGRES:
            return
        name = make_url(url).database
        with self.admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.created.remove(name)

    def close(self) -> None:
        if POSTGRES:
            for name in [*self.created, TEMPLATE]:
                with self.admin.connect() as c:
                    c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            self.admin.dispose()
