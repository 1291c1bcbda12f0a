"""Logging in (issue 18, accounts): only a POST logs in; every failure gets the same words in about the
same time; a stranger cannot lock somebody out; limits are in the database, shared by every process;
behind a trusted reverse proxy each client is counted by its own address."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SystemClock
from tests.conftest import PASSWORD
from tests.web import csrf

STRANGER, OWNER = "203.0.113.9", "198.51.100.7"  # documentation addresses (RFC 5737)


def attempt(client, name: str, password: str, address: str = "127.0.0.1", forwarded: str | None = None):
    """One login from `address` (the peer the server sees), optionally with an X-Forwarded-For header."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/login", data={"name": name, "password": password, "csrf_token": csrf(client)},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def refusal(response) -> str:
    found = re.search(r'<p class="flash error" role="alert">([^<]*)</p>', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:500]
    return found.group(1)


@pytest.fixture
def cheap_dummy(monkeypatch):
    """The unknown-name hash made cheap, for tests that try many unknown names (timing is tested apart)."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr("crisisplan.services.accounts._DUMMY_HASH",
                        generate_password_hash("x", method="scrypt:1024:8:1"))


def test_head_requests_do_not_run_the_login_code(client, db) -> None:
    """An uptime monitor's HEADs (with a form body, even) neither count as failures nor lock anything."""
    for _ in range(25):
        assert client.head("/login", data={"name": "rudi", "password": "wrong password!"}).status_code == 200
    assert attempt(client, "rudi", PASSWORD).status_code == 302
    from crisisplan.store.models import LoginLimitRow

    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(LoginLimitRow)) == 0


def test_a_head_with_a_right_form_body_does_not_log_in(client) -> None:
    """HEAD skips the CSRF check (it is not meant to change anything), so it must not log in either."""
    answer = client.head("/login", data={"name": "ada", "password": PASSWORD})
    assert answer.status_code == 200
    assert client.get("/console/people").status_code == 302  # not logged in


def disable(db, name: str) -> None:
    """Disable somebody as operators did before `user disable` (the login code is what is tested here)."""
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE users SET active = :no WHERE name = :name"), {"no": False, "name": name})


def test_every_failure_gets_the_same_words(client, db) -> None:
    disable(db, "vera")
    answers = {"unknown name": attempt(client, "nobody-here", PASSWORD),
               "wrong password": attempt(client, "rudi", "wrong password!"),
               "disabled, right password": attempt(client, "vera", PASSWORD)}
    for _ in range(5):
        attempt(client, "lena", "wrong password!")
        attempt(client, "no-such-person", "wrong password!")
    answers["waiting, right password"] = attempt(client, "lena", PASSWORD)
    answers["waiting, unknown name"] = attempt(client, "no-such-person", PASSWORD)
    words = {why: (answer.status_code, refusal(answer)) for why, answer in answers.items()}
    assert set(words.values()) == {(401, "Login failed: wrong name or password, or too many attempts. "
                                         "Wait a few minutes and try again.")}, words


def _wait_for_ada(client) -> None:
    """Five failures of ada from the stranger's address: from there, ada now has to wait."""
    for _ in range(5):
        assert attempt(client, "ada", "wrong password!", STRANGER).status_code == 401


def test_every_failure_checks_exactly_one_password_hash(client, db, monkeypatch) -> None:
    """Unknown name, wrong password, disabled, waiting: each costs one scrypt check, as a success does."""
    import crisisplan.services.accounts as accounts_module

    disable(db, "vera")
    _wait_for_ada(client)
    calls: list[str] = []
    real = accounts_module.check_password_hash
    monkeypatch.setattr(accounts_module, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    for name, password in [("nobody", PASSWORD), ("rudi", "wrong password!"), ("vera", PASSWORD),
                           ("ada", PASSWORD)]:
        calls.clear()
        assert attempt(client, name, password, STRANGER).status_code == 401
        assert len(calls) == 1, name
    calls.clear()
    assert attempt(client, "rudi", PASSWORD, STRANGER).status_code == 302
    assert len(calls) == 1


def test_failures_take_about_as_long_whatever_failed(client, db, clock) -> None:
    """Timing does not tell an unknown, disabled or waiting name from a known one: the median of each kind
    of failure is within a factor of 3 of a wrong password's (one scrypt check each; skipping the check
    would make it some 50 times faster). The kinds take turns, so a busy machine slows them all alike."""
    disable(db, "vera")
    _wait_for_ada(client)
    kinds = {"wrong password": ("rudi", "wrong password!", OWNER), "unknown": ("nobody", PASSWORD, "192.0.2.1"),
             "disabled": ("vera", PASSWORD, "192.0.2.2"), "waiting": ("ada", PASSWORD, STRANGER)}
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(4):  # 4 tries a kind: under the 5 that make a name wait
        for kind, (name, password, address) in kinds.items():
            token = csrf(client)
            started = time.perf_counter()
            answer = client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                                 environ_base={"REMOTE_ADDR": address})
            times[kind].append(time.perf_counter() - started)
            assert answer.status_code == 401, kind
        clock.advance(timedelta(seconds=1))
    wrong = statistics.median(times.pop("wrong password"))
    for kind, took in times.items():
        assert 1 / 3 < statistics.median(took) / wrong < 3, (kind, took, wrong)


def test_a_stranger_cannot_lock_a_person_out(client, cheap_dummy) -> None:
    for _ in range(5):  # each of these is checked and counted against rudi
        assert attempt(client, "rudi", "wrong password!", STRANGER).status_code == 401
    for _ in range(20):
        assert attempt(client, "rudi", "wrong password!", STRANGER).status_code in (401, 429)
    assert attempt(client, "rudi", PASSWORD, STRANGER).status_code in (401, 429)  # the stranger waits
    assert attempt(client, "rudi", PASSWORD, OWNER).status_code == 302  # rudi, from his own address, does not


def test_the_wait_grows_with_each_failure(client, clock) -> None:
    """5 failures: 1 minute; one more after it: 2 minutes (doubling, at most 15)."""
    for _ in range(5):
        assert attempt(client, "rudi", "wrong password!").status_code == 401
    clock.advance(timedelta(seconds=61))
    assert attempt(client, "rudi", "wrong password!").status_code == 401  # the 6th: 2 minutes now
    clock.advance(timedelta(seconds=90))
    assert attempt(client, "rudi", PASSWORD).status_code == 401
    clock.advance(timedelta(seconds=31))
    assert attempt(client, "rudi", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_refuse_it_for_fifteen_minutes(client, clock, cheap_dummy) -> None:
    """README: 20 failed logins from one address in 15 minutes are refused, whatever the names."""
    for number in range(20):
        assert attempt(client, f"guess{number}", "wrong password!", STRANGER).status_code == 401
    refused = attempt(client, "rudi", PASSWORD, STRANGER)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 15 * 60
    assert attempt(client, "rudi", PASSWORD, OWNER).status_code == 302
    clock.advance(timedelta(minutes=15, seconds=1))
    assert attempt(client, "lena", PASSWORD, STRANGER).status_code == 302


@pytest.mark.parametrize("clock", [SystemClock()])  # the other process reads the real clock too
def test_limits_are_shared_by_every_process(client, db_url, cheap_dummy) -> None:
    """10 failures in another process and 10 here make 20 from one address: the next is refused."""
    script = f"""
from crisisplan.web import create_app
app = create_app({{"PLAN_DIR": {str(SHIPPED_PLAN)!r}, "DATABASE_URL": {db_url!r}, "SECRET_KEY": "x",
                   "TESTING": True, "WTF_CSRF_ENABLED": False}})
client = app.test_client()
codes = {{client.post("/login", data={{"name": f"other{{n}}", "password": "wrong password!"}},
                      environ_base={{"REMOTE_ADDR": {STRANGER!r}}}).status_code for n in range(10)}}
assert codes == {{401}}, codes
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr
    for number in range(10):
        assert attempt(client, f"here{number}", "wrong password!", STRANGER).status_code == 401
    assert attempt(client, "rudi", PASSWORD, STRANGER).status_code == 429


@pytest.fixture
def proxied(services, app):
    from crisisplan.web import create_app

    return create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0,
                       "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}).test_client()


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(proxied, cheap_dummy) -> None:
    for number in range(20):
        # what a client wrote into the header itself (the left part) is skipped: the proxy's entry counts
        assert attempt(proxied, f"guess{number}", "x" * 12, "10.1.2.3", f"192.0.2.{number}, {STRANGER}"
                       ).status_code == 401
    assert attempt(proxied, "rudi", PASSWORD, "127.0.0.1", STRANGER).status_code == 429
    assert attempt(proxied, "rudi", PASSWORD, "127.0.0.1", OWNER).status_code == 302


def test_forwarded_headers_from_anybody_else_are_ignored(proxied, cheap_dummy) -> None:
    """A client talking to the server directly cannot pick its address by writing the header."""
    for number in range(20):
        assert attempt(proxied, f"guess{number}", "x" * 12, STRANGER, f"192.0.2.{number}").status_code == 401
    assert attempt(proxied, "rudi", PASSWORD, STRANGER, OWNER).status_code == 429


def test_the_login_limits_table_keeps_no_name_in_clear(client, db) -> None:
    attempt(client, "my secret password typed as a name", "x" * 12)
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM login_limits")).fetchall()
    assert rows and "secret" not in repr(rows)
