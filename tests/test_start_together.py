"""Two `serve` and a `worker` started at the same moment on a fresh, empty database all come up: the migrations
run under a lock (an advisory lock on PostgreSQL), so the second and third find the schema made
(issue 18, failure 9). On the PostgreSQL run of the suite (scripts/test.sh) the database is a new one on that
server; on the SQLite run, a new file."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crisisplan import SHIPPED_PLAN
from tests.databases import POSTGRES
from tests.test_serve_master import _answers, _free_port

_names = itertools.count(1)


@pytest.fixture
def empty_url(tmp_path: Path):
    """A database nobody has migrated: no tables at all."""
    if not POSTGRES:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"crisisplan_fresh_{os.getpid()}_{next(_names)}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", pool_size=1)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_two_servers_and_a_worker_start_together_on_an_empty_database(empty_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "CRISISPLAN_PLAN": str(SHIPPED_PLAN), "CRISISPLAN_DATABASE_URL": empty_url,
           "CRISISPLAN_INSTANCE": str(tmp_path), "CRISISPLAN_SECRET_KEY": "together"}
    cli = [sys.executable, "-m", "crisisplan.cli"]
    ports = [_free_port(), _free_port()]
    commands = [[*cli, "serve", "--port", str(ports[0])], [*cli, "serve", "--port", str(ports[1])],
                [*cli, "worker", "--interval", "0.2"]]
    logs = [(tmp_path / f"process{n}.log").open("w") for n in range(3)]
    processes = [subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
                 for command, log in zip(commands, logs, strict=True)]

    def output() -> str:
        return "\n".join(f"--- {' '.join(c[3:])}\n" + (tmp_path / f"process{n}.log").read_text()
                         for n, c in enumerate(commands))

    try:
        deadline = time.monotonic() + 120
        while not all(_answers(port) for port in ports):
            assert all(p.poll() is None for p in processes), output()
            assert time.monotonic() < deadline, output()
            time.sleep(0.3)
        time.sleep(1)  # the worker has gone round a few times by now
        assert all(p.poll() is None for p in processes), output()
        migrated = subprocess.run([*cli, "migrate", "--json"], env=env, capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        newest = max(p.name[:4] for p in (Path(__file__).parents[1] / "crisisplan/store/migrations/versions")
                     .glob("00*.py"))
        assert json.loads(migrated.stdout) == {"before": newest, "after": newest}  # made already: nothing to do
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def test_migrate_is_a_step_of_its_own_when_asked(empty_url: str, monkeypatch) -> None:
    from click.testing import CliRunner

    from crisisplan.cli import main

    monkeypatch.setenv("CRISISPLAN_PLAN", str(SHIPPED_PLAN))
    monkeypatch.setenv("CRISISPLAN_DATABASE_URL", empty_url)
    monkeypatch.setenv("CRISISPLAN_MIGRATE", "manual")
    runner = CliRunner()
    refused = runner.invoke(main, ["status"])
    assert refused.exit_code == 1 and "run `crisisplan migrate` first" in refused.output
    migrated = runner.invoke(main, ["migrate"])
    assert migrated.exit_code == 0 and "(was empty)" in migrated.output, migrated.output
    assert runner.invoke(main, ["status"]).exit_code == 0
    assert "nothing to do" in runner.invoke(main, ["migrate"]).output
