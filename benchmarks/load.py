"""Mixed load: operators working an incident while the public reads the status page, with a long history.

For each database and size, a fresh database gets that many public incidents over the last
90 days (tests/many.py; one in 500 open), `crisisplan serve` starts on loopback, and locust
(headless, bounded in time) runs operators and readers against it at once:

- operators (50): through the REST API declare a sev2 incident, edit its acknowledgement,
  submit it, have a second person approve it, publish it (the acknowledge step), set the
  cause and publish the cause post the same way (the identify_cause step); and read the
  console (dashboard, the incident page) signed in like a person;
- readers (500): `/` with a browser's headers (brotli), an incident page, the v2 summary
  JSON, the Atom feed; each waits 1-3 s between pages like a person refreshing.

A third of the way in, an Alertmanager storm arrives: one POST of N distinct alerts
(default 3,000), each declaring an incident. The table gives each side's p50/p99 and errors,
the readers' p99 while the storm is processed, the storm's own time, and on SQLite the WAL's
largest size. PostgreSQL runs with its production settings (fsync, synchronous_commit and
full_page_writes on; printed) on a throw-away cluster (scripts/postgres.sh start --durable).
Needs locust (`bash scripts/setup.sh --bench`).

    .venv/bin/python benchmarks/load.py [--sizes 1000 10000] [--database sqlite postgresql]
                                        [--seconds 60] [--operators 50] [--readers 500] [--storm 3000]

Targets (issue 14, 10,000 incidents): 0 errors; operator p99 < 150 ms; reader p99 < 20 ms;
the storm < 3 s with the readers' p99 unaffected (< 20 ms); the SQLite WAL < 64 MB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from locust import FastHttpUser, between, events, task  # noqa: E402

PASSWORD = "load test password"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "en-US,en;q=0.9", "Accept-Encoding": "gzip, deflate, br",
           "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
SAMPLES: list[tuple[float, str, float, bool]] = []  # (time, name, ms, failed), written out when locust stops


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **_kw) -> None:  # noqa: ANN001
    SAMPLES.append((time.time(), name, response_time, exception is not None))


@events.quitting.add_listener
def _write(environment, **_kw) -> None:  # noqa: ANN001
    target = os.environ.get("CRISISPLAN_LOAD_SAMPLES")
    if target:
        Path(target).write_text(json.dumps(SAMPLES), encoding="utf-8")


def _setting(name: str) -> list[str]:
    return json.loads(os.environ.get(name, "[]"))


class Reader(FastHttpUser):
    """Somebody refreshing the status page during an outage."""

    fixed_count = int(os.environ.get("CRISISPLAN_LOAD_READERS", "500"))
    wait_time = between(1, 3)

    @task(10)
    def page(self) -> None:
        self.client.get("/", headers=BROWSER, name="read: /")

    @task(3)
    def incident(self) -> None:
        ids = _setting("CRISISPLAN_LOAD_IDS")
        self.client.get(f"/incidents/{random.choice(ids)}", headers=BROWSER, name="read: /incidents/N")

    @task(1)
    def summary(self) -> None:
        self.client.get("/api/v2/summary.json", headers={"Accept-Encoding": "gzip, br"}, name="read: summary.json")

    @task(1)
    def feed(self) -> None:
        self.client.get("/feed.atom", headers={"Accept-Encoding": "gzip, br"}, name="read: feed.atom")


class Operator(FastHttpUser):
    """A person on the incident team: declares, writes, approves, publishes, moves the runbook, reads the console."""

    fixed_count = int(os.environ.get("CRISISPLAN_LOAD_OPERATORS", "50"))
    wait_time = between(2, 5)

    def on_start(self) -> None:
        people = _setting("CRISISPLAN_LOAD_PEOPLE")
        self.me = people[random.randrange(len(people))]
        self.api = {"Authorization": f"Bearer {self.me['token']}"}
        self.approver = {"Authorization": f"Bearer {self.me['approver']}"}
        page = self.client.get("/login", name="op: login").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        self.client.post("/login", data={"name": self.me["name"], "password": PASSWORD, "csrf_token": token},
                         name="op: login")
        self.incident = 0

    @task(1)
    def work_an_incident(self) -> None:
        declared = self.client.post("/api/v1/incidents", json={
            "runbook": "outage", "severity": "sev2", "title": f"Load test outage {random.randrange(10**6)}",
            "components": ["website"]}, headers=self.api, name="op: declare")
        if declared.status_code != 201:
            return
        self.incident = declared.json()["id"]
        posts = self.client.get(f"/api/v1/incidents/{self.incident}/posts", headers=self.api,
                                name="op: posts").json()
        ack = posts[0]["id"]
        # an edit that keeps the promised time: every language must name the same one, or publishing refuses
        text = posts[0]["bodies"]["en"] + "\n\nThank you for bearing with us."
        self.client.post(f"/api/v1/posts/{ack}/edit", json={"text": text, "locale": "en"}, headers=self.api,
                         name="op: edit")
        self.client.post(f"/api/v1/posts/{ack}/confirm-locale", json={"locale": "es"}, headers=self.api,
                         name="op: edit")
        self.publish(ack)  # takes the runbook's acknowledge step
        # the next step (identify_cause) is public too: the field, then its post, published
        self.client.post(f"/api/v1/incidents/{self.incident}/fields", json={
            "fields": {"cause": "A full disk on one database server"}}, headers=self.api, name="op: fields")
        cause = self.client.post(f"/api/v1/incidents/{self.incident}/posts", json={"kind": "cause"},
                                 headers=self.api, name="op: draft")
        if cause.status_code == 201:
            self.publish(cause.json()["id"])

    def publish(self, post: int) -> None:
        """Submit, approved by a second person (sev2 asks for one approval), publish."""
        self.client.post(f"/api/v1/posts/{post}/submit", json={}, headers=self.api, name="op: submit")
        self.client.post(f"/api/v1/posts/{post}/approve", json={}, headers=self.approver, name="op: approve")
        self.client.post(f"/api/v1/posts/{post}/publish", json={}, headers=self.api, name="op: publish")

    @task(3)
    def read_the_console(self) -> None:
        self.client.get("/console/", name="op: dashboard")
        if self.incident:
            self.client.get(f"/console/incidents/{self.incident}", name="op: incident page")


# --- the driver: databases, the server, locust, the storm, the table ------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def postgres() -> tuple[str, str, str]:
    """A throw-away PostgreSQL with production settings: (server URL, its folder, the durability settings)."""
    out = subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "start", "--durable"], check=True,
                         capture_output=True, text=True).stdout
    exported = dict(line.removeprefix("export ").split("=", 1) for line in out.strip().splitlines())
    from sqlalchemy import create_engine, text

    engine = create_engine(exported["CRISISPLAN_TEST_POSTGRES"])
    with engine.connect() as connection:
        shown = ", ".join(f"{name}={connection.execute(text(f'SHOW {name}')).scalar()}"
                          for name in ("fsync", "synchronous_commit", "full_page_writes"))
    engine.dispose()
    return exported["CRISISPLAN_TEST_POSTGRES"], exported["CRISISPLAN_PG_DIR"], shown


def fresh_database(kind: str, scratch: Path, server: str, size: int) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        return f"sqlite:///{scratch / f'load-{size}.sqlite3'}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"crisisplan_load_{size}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def prepare(url: str, scratch: Path, size: int, operators: int) -> tuple[list[int], list[dict[str, str]]]:
    """The history, the people and their API tokens."""
    from crisisplan import SHIPPED_PLAN
    from crisisplan.plan.load import load_plan
    from crisisplan.services import Services
    from crisisplan.services.accounts import Accounts
    from crisisplan.store.db import Database
    from tests.many import seed_incidents

    db = Database(url, scratch / "instance")
    db.migrate()
    services = Services(load_plan(SHIPPED_PLAN), db)
    ids = seed_incidents(services, size, days=90, open_every=500)
    accounts = Accounts(db, services.clock)
    people = []
    for n in range(operators):
        accounts.add_user(f"op{n}", "admin", PASSWORD)
        _, token = accounts.add_token(f"op{n}-api", "admin")
        _, approver = accounts.add_token(f"op{n}-approver", "admin")
        people.append({"name": f"op{n}", "token": token, "approver": approver})
    db.dispose()
    return ids, people


def storm(port: int, alerts: int, token: str) -> float:
    body = {"version": "4", "groupKey": "{}:{alertname=\"LoadStorm\"}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "crisisplan", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager", "alerts": [
                {"status": "firing", "labels": {"alertname": f"Storm{n}", "severity": "critical",
                                                "component": "website", "instance": f"host{n}"},
                 "annotations": {"summary": f"host{n}: customers see errors"},
                 "startsAt": "2026-01-01T08:55:00Z", "endsAt": "0001-01-01T00:00:00Z",
                 "generatorURL": "http://prometheus/graph", "fingerprint": f"storm{n:06d}"} for n in range(alerts)]}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/hooks/alertmanager", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
    except urllib.error.HTTPError as error:  # reported in the table, not a crash of the benchmark
        print(f"  the storm was answered {error.code}", file=sys.stderr, flush=True)
        return -float(error.code)
    return time.perf_counter() - started


def one_run(kind: str, size: int, args: argparse.Namespace, scratch: Path, server: str) -> dict:
    url = fresh_database(kind, scratch, server, size)
    ids, people = prepare(url, scratch, size, args.operators)
    port = free_port()
    token = "load-storm-token"
    env = {**os.environ, "CRISISPLAN_PLAN": str(ROOT), "CRISISPLAN_DATABASE_URL": url,
           "CRISISPLAN_SECRET_KEY": "load", "CRISISPLAN_ALERTMANAGER_TOKEN": token}
    app = subprocess.Popen([sys.executable, "-m", "crisisplan.cli", "serve", "--port", str(port), "--workers",
                            str(args.workers), "--threads", str(args.threads)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = scratch / "samples.json"
    said = scratch / "locust.log"  # a file, not a pipe: a pipe nobody reads fills up and stops locust
    wal = Path(url.split("///", 1)[-1] + "-wal") if kind == "sqlite" else None
    largest = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.5):
            if wal is not None and wal.exists():
                largest[0] = max(largest[0], wal.stat().st_size)

    try:
        wait_for(port)
        # as a deployment's readiness check would: the first page takes in the history written in bulk above
        for _ in range(2 * args.workers):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120).read()
        users = args.operators + args.readers
        locust_env = {**os.environ, "CRISISPLAN_LOAD_IDS": json.dumps(ids[::max(1, len(ids) // 200)]),
                      "CRISISPLAN_LOAD_PEOPLE": json.dumps(people), "CRISISPLAN_LOAD_SAMPLES": str(samples),
                      "CRISISPLAN_LOAD_READERS": str(args.readers), "CRISISPLAN_LOAD_OPERATORS": str(args.operators)}
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.time()
        swarm = subprocess.Popen([sys.executable, "-m", "locust", "-f", __file__, "--headless", "-u", str(users),
                                  "-r", str(users // 5 or 1),
                                  "-t", f"{args.seconds}s", "--host", f"http://127.0.0.1:{port}", "--only-summary",
                                  "--stop-timeout", "5", "--loglevel", "WARNING"],
                                 env=locust_env, stdout=subprocess.DEVNULL, stderr=said.open("w"))
        time.sleep(args.seconds / 3)
        storm_started = time.time()
        storm_s = storm(port, args.storm, token) if args.storm else 0.0
        storm_ended = time.time()
        swarm.wait(timeout=args.seconds + 120)
        stop.set()
        problems = said.read_text(encoding="utf-8", errors="replace")
        if problems.strip():
            print(f"  locust said: {problems.strip()[-2000:]}", file=sys.stderr)
    finally:
        app.terminate()
        app.wait(timeout=30)
    found = json.loads(samples.read_text(encoding="utf-8")) if samples.exists() else []
    ops = [(ms, failed) for _, name, ms, failed in found if name.startswith("op:") and name != "op: login"]
    readers = [(ms, failed) for _, name, ms, failed in found if name.startswith("read:")]
    during = [ms for at, name, ms, _ in found if name.startswith("read:") and storm_started <= at <= storm_ended + 5]
    # after the ramp-up (every user started, the operators signed in: a password hash each) and outside the storm
    steady = [ms for at, name, ms, _ in found if name.startswith("read:") and at >= started + 15
              and not storm_started <= at <= storm_ended + 5]
    return {"database": kind, "size": size, "ops": len(ops), "op_errors": sum(f for _, f in ops),
            "op_p50": percentile([m for m, _ in ops], 50), "op_p99": percentile([m for m, _ in ops], 99),
            "reads": len(readers), "read_errors": sum(f for _, f in readers),
            "read_p50": percentile([m for m, _ in readers], 50), "read_p99": percentile([m for m, _ in readers], 99),
            "storm_s": storm_s, "storm_read_p99": percentile(during, 99), "steady_read_p99": percentile(steady, 99),
            "wal_mb": largest[0] / 1024 / 1024 if wal is not None else None,
            "elapsed": time.time() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--readers", type=int, default=500)
    parser.add_argument("--storm", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="Python threads a granian worker (serve --threads)")
    args = parser.parse_args()
    if importlib.util.find_spec("locust") is None:
        raise SystemExit("locust is missing: bash scripts/setup.sh --bench")
    server, pg_dir, durability = "", "", ""
    if "postgresql" in args.database:
        server, pg_dir, durability = postgres()
    scratch = Path(tempfile.mkdtemp(prefix="crisisplan-load-"))
    rows = []
    try:
        for kind in args.database:
            for size in args.sizes:
                rows.append(one_run(kind, size, args, scratch, server))
                print(f"  {kind} {size}: {rows[-1]}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if pg_dir:
            subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "stop", pg_dir], check=False)
    print(f"load benchmark: {args.operators} operators + {args.readers} readers (locust, headless, loopback), "
          f"{args.seconds} s a run, storm of {args.storm} alerts in one POST a third of the way in; "
          f"`crisisplan serve` with {args.workers} workers of {args.threads} threads; SQLite WAL synchronous=NORMAL"
          + (f"; PostgreSQL {durability}" if durability else "")
          + f"; {os.cpu_count()} cores shared with locust, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'database':<11}{'incidents':>9}{'op req':>8}{'op err':>7}{'op p50':>8}{'op p99':>8}{'reads':>7}"
          f"{'rd err':>7}{'rd p50':>8}{'rd p99':>8}{'steady':>8}{'storm s':>8}{'rd p99 storm':>13}{'WAL MB':>8}")
    for r in rows:
        wal = f"{r['wal_mb']:.1f}" if r["wal_mb"] is not None else "-"
        storm_text = f"{r['storm_s']:.1f}" if r["storm_s"] >= 0 else f"HTTP {-r['storm_s']:.0f}"
        print(f"{r['database']:<11}{r['size']:>9}{r['ops']:>8}{r['op_errors']:>7}{r['op_p50']:>8.0f}"
              f"{r['op_p99']:>8.0f}{r['reads']:>7}{r['read_errors']:>7}{r['read_p50']:>8.0f}{r['read_p99']:>8.0f}"
              f"{r['steady_read_p99']:>8.0f}"
              f"{storm_text:>8}{r['storm_read_p99']:>13.0f}{wal:>8}")
    print("targets at 10,000 incidents: 0 errors; operator p99 < 150 ms; reader p99 < 20 ms; storm < 3 s with "
          "reader p99 < 20 ms; WAL < 64 MB (times in ms; `steady`: readers' p99 from 15 s in, outside the storm)")


if __name__ == "__main__":
    main()
