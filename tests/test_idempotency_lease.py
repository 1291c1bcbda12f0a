"""Issue 18, Idempotency-Key after a crash: a key left "in progress" by a killed process does not block its retries
for ever, the retry never duplicates what the first request did, and old keys are forgotten.

The request and its kept answer are one transaction, so a process killed at any point leaves either both (the
retry replays the answer) or neither (the key is reserved under a lease; once the lease has run out, a retry
takes the key over and runs the request once). The kills are real: a child process SIGKILLs itself in the
middle of the request.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crisisplan.errors import Conflict
from crisisplan.services.accounts import Accounts
from crisisplan.services.idempotency import KEEP, LEASE, Lease, Replay
from crisisplan.store.idempotency import IdempotencyRow
from crisisplan.store.models import IncidentRow

BODY = {"runbook": "outage", "severity": "sev3", "title": "Search is slow"}

# the same app the tests use, in a process of its own that kills itself (SIGKILL: no finally, no rollback by us)
CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from crisisplan import SHIPPED_PLAN
    from crisisplan.clock import SimulatedClock
    from crisisplan.plan.load import load_plan
    from crisisplan.services import Services
    from crisisplan.store.db import Database
    from crisisplan.web import create_app
    from pathlib import Path

    url, instance, token, key, when = sys.argv[1:6]
    services = Services(load_plan(SHIPPED_PLAN), Database(url, instance=Path(instance)), SimulatedClock())
    app = create_app({"SERVICES": services, "SECRET_KEY": "test", "PUBLIC_CACHE_SECONDS": 0})
    if when == "before-commit":  # the incident is declared inside the request's transaction, then the process dies
        real = Services.declare
        def declare_then_die(self, *args, **kwargs):
            real(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        Services.declare = declare_then_die
    else:  # committed, the answer not yet sent
        @app.after_request
        def die(response):
            os.kill(os.getpid(), signal.SIGKILL)
    app.test_client().post("/api/v1/incidents", json=json.loads(sys.argv[6]),
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
    sys.exit(3)  # never reached
""")


def _incidents(services) -> int:
    with services.db.read() as session:
        return session.scalar(select(func.count()).select_from(IncidentRow))


def _keys(services) -> list[tuple[str, int]]:
    with services.db.read() as session:
        return [(r.key, r.status) for r in session.scalars(select(IdempotencyRow).order_by(IdempotencyRow.id))]


def _killed_in_the_middle(db_url, tmp_path, token: str, key: str, when: str) -> None:
    child = subprocess.run([sys.executable, "-c", CHILD, db_url, str(tmp_path), token, key, when, json.dumps(BODY)],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr[-3000:]  # it died by SIGKILL, in the middle of the request


@pytest.fixture
def token(app, services) -> str:
    return Accounts(services.db, services.clock).add_token("deploy", "responder")[1]


def test_a_key_left_in_progress_by_a_killed_process_is_taken_over_once_its_lease_runs_out(
        app, client, services, db_url, tmp_path, token) -> None:
    _killed_in_the_middle(db_url, tmp_path, token, "deploy-1", "before-commit")
    assert _incidents(services) == 0  # the declare died with its transaction
    assert _keys(services) == [("deploy-1", 0)]  # the key is left "in progress"
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "deploy-1"}
    soon = client.post("/api/v1/incidents", json=BODY, headers=headers)
    assert soon.status_code == 409 and "still being handled" in soon.get_json()["error"]["message"]
    services.clock.advance(LEASE + timedelta(seconds=1))
    retry = client.post("/api/v1/incidents", json=BODY, headers=headers)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    again = client.post("/api/v1/incidents", json=BODY, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == retry.get_json()["id"]
    assert _incidents(services) == 1


def test_a_process_killed_after_its_commit_leaves_the_answer_for_the_retry(
        app, client, services, db_url, tmp_path, token) -> None:
    _killed_in_the_middle(db_url, tmp_path, token, "deploy-2", "after-commit")
    assert _incidents(services) == 1
    [(key, status)] = _keys(services)
    assert (key, status) == ("deploy-2", 201)  # kept with the incident, in the same transaction
    services.clock.advance(LEASE * 3)
    retry = client.post("/api/v1/incidents", json=BODY,
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "deploy-2"})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert _incidents(services) == 1  # never twice


def test_a_slow_holder_whose_lease_was_taken_over_is_undone(services) -> None:
    first = services.idempotency_begin("deploy", "k", "POST /api/v1/incidents", "f" * 64)
    assert isinstance(first, Lease)
    services.clock.advance(LEASE + timedelta(seconds=1))  # the first is still at work, but very late
    second = services.idempotency_begin("deploy", "k", "POST /api/v1/incidents", "f" * 64)
    assert isinstance(second, Lease) and second.mark != first.mark
    with pytest.raises(Conflict, match="lease"), services.idempotency_applying(first) as keep:
        services.declare("outage", "sev3", "Search is slow", "deploy")
        keep(201, '{"id": 1}')
    assert _incidents(services) == 0  # the late first request is undone whole
    with services.idempotency_applying(second) as keep:
        services.declare("outage", "sev3", "Search is slow", "deploy")
        keep(201, '{"id": 2}')
    assert _incidents(services) == 1
    assert services.idempotency_begin("deploy", "k", "POST /api/v1/incidents", "f" * 64) == Replay(201, '{"id": 2}')


def test_old_keys_are_purged_after_a_day(services) -> None:
    route, body = "POST /api/v1/incidents", "f" * 64
    for key in ("old", "done-late"):
        lease = services.idempotency_begin("deploy", key, route, body)
        with services.idempotency_applying(lease) as keep:
            keep(201, f'"{key}"')
        services.clock.advance(timedelta(hours=2))
    assert timedelta(hours=24) == KEEP  # what the README says
    services.clock.advance(timedelta(hours=19))  # "old" is 23 h old: still replayed
    assert services.idempotency_begin("deploy", "old", route, body) == Replay(201, '"old"')
    services.clock.advance(timedelta(hours=1, seconds=1))  # "old" is past 24 h, "done-late" is 22 h old
    assert isinstance(services.idempotency_begin("deploy", "new", route, body), Lease)  # a write purges
    assert [k for k, _ in _keys(services)] == ["done-late", "new"]
    assert isinstance(services.idempotency_begin("deploy", "old", route, body), Lease)  # a new request now
