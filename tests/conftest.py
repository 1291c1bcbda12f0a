"""Fixtures: the shipped plan, a fresh database per test (SQLite, or PostgreSQL), services on a simulated clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.plan.load import Plan, load_plan
from crisisplan.services import Services
from crisisplan.store.db import Database
from tests.databases import Databases


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(SHIPPED_PLAN)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    """One database migrated by Alembic; each test gets a copy of it (SQLite or PostgreSQL, see tests/databases.py)."""
    pool = Databases(tmp_path_factory.mktemp("template"))
    yield pool
    pool.close()


@pytest.fixture(autouse=True)
def _instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's own instance folder (audit keys, checkpoints), also for the processes it starts."""
    monkeypatch.setenv("CRISISPLAN_INSTANCE", str(tmp_path))


@pytest.fixture
def db_url(tmp_path: Path, databases: Databases) -> str:
    url = databases.fresh(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def db(db_url: str, tmp_path: Path) -> Database:
    database = Database(db_url, instance=tmp_path)  # the audit keys and checkpoints: this test's own
    yield database
    database.dispose()


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def services(plan: Plan, db: Database, clock: SimulatedClock) -> Services:
    return Services(plan, db, clock)


@pytest.fixture
def runner(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CRISISPLAN_PLAN", str(SHIPPED_PLAN))
    monkeypatch.setenv("CRISISPLAN_DATABASE_URL", db_url)
    return CliRunner()


PASSWORD = "correct horse battery"
ROLE_USERS = {"vera": "viewer", "rudi": "responder", "carmen": "communicator", "lena": "approver",
              "ada": "admin"}


@pytest.fixture
def app(services: Services):
    from crisisplan.services.accounts import Accounts
    from crisisplan.web import create_app

    accounts = Accounts(services.db, services.clock)
    for name, role in ROLE_USERS.items():
        accounts.add_user(name, role, PASSWORD)
    application = create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True,
                              "PUBLIC_CACHE_SECONDS": 0})
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch):
    """A real SMTP server on loopback (aiosmtpd), with crisisplan's SMTP settings pointing at it."""
    from tests.mailbox import SmtpServer

    server = SmtpServer()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot():
    """A real Dovecot (IMAP and LMTP) for the session, started by scripts/dovecot.sh (tests/dovecot.py)."""
    from tests import dovecot as server

    running = server.start()
    yield running
    server.stop(running)


@pytest.fixture
def mailserver(dovecot, monkeypatch: pytest.MonkeyPatch):
    """SMTP that delivers into Dovecot, with crisisplan's SMTP settings pointing at it: replies reach mailboxes."""
    from tests.dovecot import MailServer

    server = MailServer(dovecot)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    yield server
    server.stop()
