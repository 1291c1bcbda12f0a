"""Issue 18, failure 3: "a crash between recording an alert and declaring leaves it recorded and undeclared, and
Alertmanager's resend is dropped as a duplicate". The kill is real: a process receiving the POST SIGKILLs itself
after the alerts are recorded and the incident declared, before the POST's transaction commits. Nothing of it may
stay, and the resend, at once (no wait for a claim to go stale), declares the incident once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from sqlalchemy import func, select

from crisisplan.store.models import IncidentRow, SignalRow
from tests.test_alertmanager import TOKEN, alert, payload

CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from pathlib import Path
    from crisisplan import SHIPPED_PLAN
    from crisisplan.clock import SimulatedClock
    from crisisplan.plan.load import load_plan
    from crisisplan.services import Services
    from crisisplan.store.db import Database
    from crisisplan.web import create_app

    url, instance, body = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    os.environ["CRISISPLAN_ALERTMANAGER_TOKEN"] = sys.argv[4]
    services = Services(load_plan(SHIPPED_PLAN), Database(url, instance=Path(instance)), SimulatedClock())
    app = create_app({"SERVICES": services, "SECRET_KEY": "test", "PUBLIC_CACHE_SECONDS": 0})
    real = Services.declare

    def declare_then_die(self, *args, **kwargs):
        view = real(self, *args, **kwargs)  # the first alert recorded, the second's incident declared
        os.kill(os.getpid(), signal.SIGKILL)  # ... and the POST's transaction not yet committed
        return view

    Services.declare = declare_then_die
    app.test_client().post("/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {sys.argv[4]}"})
    sys.exit(3)  # never reached
""")


def _count(services, table) -> int:
    with services.db.read() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_process_killed_between_recording_and_declaring_leaves_nothing_and_the_resend_declares(
        client, services, db_url, tmp_path, monkeypatch) -> None:
    body = payload(alert("CheckoutSlow", fingerprint="slow", severity="warning"), alert(component="checkout"))
    child = subprocess.run([sys.executable, "-c", CHILD, db_url, str(tmp_path), json.dumps(body), TOKEN],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr[-3000:]  # killed in the middle of the POST
    assert _count(services, SignalRow) == 0 and _count(services, IncidentRow) == 0  # not even the first alert
    monkeypatch.setenv("CRISISPLAN_ALERTMANAGER_TOKEN", TOKEN)
    resend = client.post("/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resend.status_code == 200, resend.get_data(as_text=True)
    answer = resend.get_json()
    assert len(answer["declared"]) == 1 and answer["recorded"] == 1 and answer["duplicates"] == 0
    assert services.get(answer["declared"][0]).title == "CheckoutDown: customers see errors"
    again = client.post("/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"}).get_json()
    assert again["duplicates"] == 2 and again["declared"] == []
    assert _count(services, IncidentRow) == 1 and _count(services, SignalRow) == 2


def test_alerts_sent_through_three_kill_9s_of_the_server_are_all_recorded_once(tmp_path, databases) -> None:
    """The issue's run, shortened: alerts posted without pause while the server is killed (SIGKILL) three times
    and started again; the sender resends what got no 200, as Alertmanager does. Every alert ends up recorded
    once and acted on: none lost, none left half-done, one incident a group."""
    import os
    import signal
    import socket
    import threading
    import time
    import urllib.error
    import urllib.request

    from sqlalchemy import create_engine, text

    from tests.e2e.conftest import CLI, _free_port, server_env

    env = server_env(tmp_path, databases, CRISISPLAN_ALERTMANAGER_TOKEN=TOKEN)
    port, stop, sent, lock = _free_port(), threading.Event(), [], threading.Lock()

    def start() -> subprocess.Popen:
        log = open(tmp_path / "server.log", "a")  # noqa: SIM115 - the server keeps it
        server = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return server
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start: " + (tmp_path / "server.log").read_text()[-2000:])

    def sender() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            group = n % 3  # groups 0, 1, 2: critical, so each declares once and then its alerts join
            body = payload(*(alert(f"Kill{group}", fingerprint=f"p{n}-{i}", component="checkout") for i in range(3)),
                           group=f"kill-{group}")
            request = urllib.request.Request(f"http://127.0.0.1:{port}/hooks/alertmanager",
                                             data=json.dumps(body).encode(), headers={
                                                 "Content-Type": "application/json",
                                                 "Authorization": f"Bearer {TOKEN}"})
            while True:  # resent until answered 200, as Alertmanager does after a 5xx or a broken connection
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        assert answer.status == 200
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    time.sleep(0.2)
            with lock:
                sent.extend(f"p{n}-{i}" for i in range(3))

    server = start()
    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    try:
        for _ in range(3):
            time.sleep(3)
            os.kill(server.pid, signal.SIGKILL)  # the master; its workers die with it (PR_SET_PDEATHSIG)
            server.wait()
            time.sleep(1)
            server = start()
        time.sleep(2)
        stop.set()
        thread.join(timeout=120)
        assert not thread.is_alive()
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = create_engine(env["CRISISPLAN_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT fingerprint, group_key, action, incident_id FROM signals")).all()
    finally:
        engine.dispose()
    assert len(sent) >= 9  # the sender got through between the kills
    recorded = [r.fingerprint for r in rows]
    assert set(sent) <= set(recorded) and len(recorded) == len(set(recorded))  # nothing lost, nothing twice
    assert all(r.action in ("declared", "attached") for r in rows), [r for r in rows if r.action not in
                                                                      ("declared", "attached")]
    groups = {}
    for row in rows:
        groups.setdefault(row.group_key, set()).add(row.incident_id)
    assert all(len(ids) == 1 for ids in groups.values()), groups
