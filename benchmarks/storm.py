"""An Alertmanager storm in one POST: N distinct alerts of one group (the first declares an incident, the others
join it), through the real webhook (Flask's test client, in process: no HTTP server, no other load), on SQLite
(WAL, synchronous=NORMAL) with the signed audit checkpoint fsynced after each commit, as installed.

It prints the time of the POST, the transactions committed and the checkpoint lines written for it, and checks
the answer (every alert declared, joined or a repeat exactly once; exit 1 otherwise). Run it on an older checkout
with PYTHONPATH pointing there to compare.

    .venv/bin/python benchmarks/storm.py [--alerts 300 3000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

import crisisplan
from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.db import Database
from crisisplan.web import create_app

TOKEN = "bench-storm"


def _payload(alerts: int, round_: int) -> dict:
    return {"version": "4", "groupKey": f'{{}}:{{alertname="Storm{round_}"}}', "truncatedAlerts": 0,
            "status": "firing", "receiver": "crisisplan", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager",
            "alerts": [{"status": "firing", "labels": {"alertname": f"Storm{n}", "severity": "critical",
                                                       "component": "checkout"},
                        "annotations": {"summary": f"Storm {n}: checkout errors"},
                        "startsAt": "2026-01-01T08:55:00Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prometheus/graph", "fingerprint": f"r{round_}s{n:06d}"}
                       for n in range(alerts)]}


def _run(alerts: int, round_: int, folder: Path) -> tuple[float, int, int, bool]:
    plan = load_plan(SHIPPED_PLAN)
    db = Database(f"sqlite:///{folder / 'bench.sqlite3'}", folder)
    db.migrate()
    services = Services(plan, db, SimulatedClock())
    app = create_app({"SERVICES": services, "SECRET_KEY": "bench", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0})
    client = app.test_client()
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _connection: commits.append(1))
    checkpoints = folder / "audit-checkpoints.jsonl"
    lines = checkpoints.read_text().count("\n") if checkpoints.exists() else 0
    commits.clear()
    start = time.perf_counter()
    answer = client.post("/hooks/alertmanager", json=_payload(alerts, round_),
                         headers={"Authorization": f"Bearer {TOKEN}"})
    took = time.perf_counter() - start
    found = answer.get_json() if answer.status_code == 200 else {}
    ok = (answer.status_code == 200 and len(found.get("declared", [])) == 1
          and len(found.get("attached", [])) == alerts - 1 and found.get("duplicates") == 0)
    written = checkpoints.read_text().count("\n") - lines
    db.dispose()
    return took, len(commits), written, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--rounds", type=int, default=2, help="POSTs per size, each on a fresh database")
    args = parser.parse_args()
    os.environ["CRISISPLAN_ALERTMANAGER_TOKEN"] = TOKEN
    os.environ.setdefault("CRISISPLAN_AUDIT_FSYNC", "1")
    load = os.getloadavg()
    print(f"crisisplan Alertmanager storm: one POST of N alerts of one group, in process (Flask test client), "
          "SQLite WAL synchronous=NORMAL, checkpoint fsync "
          f"{'on' if os.environ['CRISISPLAN_AUDIT_FSYNC'] != '0' else 'off'}; "
          f"{args.rounds} rounds a size, each on a fresh database; code from {Path(crisisplan.__file__).parent}; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    print(f"{'alerts':>7}{'median s':>10}{'max s':>8}{'ms/alert':>10}{'commits':>9}{'checkpoints':>13}{'answer':>8}")
    failed = False
    for alerts in args.alerts:
        times, commits, written, good = [], 0, 0, True
        for round_ in range(args.rounds):
            with tempfile.TemporaryDirectory() as folder:
                took, commits, written, ok = _run(alerts, round_, Path(folder))
            times.append(took)
            good = good and ok
        failed = failed or not good
        median = statistics.median(times)
        print(f"{alerts:>7}{median:>10.2f}{max(times):>8.2f}{median * 1000 / alerts:>10.1f}{commits:>9}"
              f"{written:>13}{'ok' if good else 'WRONG':>8}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
