"""Fan-out: one post to 10,000 e-mail subscribers and to 1,000 webhooks, through `crisisplan worker` processes.

The SMTP server (aiosmtpd) and the webhook receiver (http.server) run as processes
of their own on loopback and count what arrives. Each run starts from a fresh
database, publishes one post (which writes the outbox rows in its transaction),
starts the workers and stops the clock when the outbox has nothing pending.
On PostgreSQL the benchmark starts a throw-away server (scripts/postgres.sh)
unless CRISISPLAN_TEST_POSTGRES names one.

    .venv/bin/python benchmarks/fanout.py [--subscribers 10000] [--webhooks 1000] [--workers 1 2]
                                           [--database sqlite postgresql]

Targets: 10,000 e-mails in under 60 s; 1,000 webhooks in under 10 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crisisplan import SHIPPED_PLAN  # noqa: E402
from crisisplan.plan.load import load_plan  # noqa: E402
from crisisplan.services import Services  # noqa: E402
from crisisplan.store.db import Database  # noqa: E402
from crisisplan.store.models import OutboxRow, SubscriberRow  # noqa: E402
from tests.mailbox import free_port  # noqa: E402

TARGETS = {"e-mail": 60.0, "webhook": 10.0}


def smtp_sink(port: int) -> None:
    """Accept every message, count them; print the count on SIGTERM."""
    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            Count.n += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: (print(Count.n, flush=True), os._exit(0)))
    while True:
        time.sleep(1)


def http_sink(port: int) -> None:
    count = [0]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            count[0] += 1
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: (print(count[0], flush=True), os._exit(0)))
    server.serve_forever()


def sink(kind: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, f"--{kind}-sink", str(port)], stdout=subprocess.PIPE,
                               text=True)
    time.sleep(1.0)
    return process, port


def stop_sink(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return int(process.communicate(timeout=10)[0].strip() or 0)


def fresh_database(kind: str, scratch: Path, server: str) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{scratch / 'fanout.sqlite3'}"
        Path(scratch / "fanout.sqlite3").unlink(missing_ok=True)
    else:
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS crisisplan_fanout WITH (FORCE)"))
            c.execute(text("CREATE DATABASE crisisplan_fanout"))
        admin.dispose()
        url = make_url(server).set(database="crisisplan_fanout").render_as_string(hide_password=False)
    db = Database(url)
    db.migrate()
    db.dispose()
    return url


def plan_with_webhooks(scratch: Path, webhooks: int, port: int) -> Path:
    plan = scratch / "plan"
    shutil.rmtree(plan, ignore_errors=True)
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    settings = yaml.safe_load((SHIPPED_PLAN / "plan.yaml").read_text(encoding="utf-8"))
    settings["webhooks"] = [{"name": f"hook{i}", "url": f"http://127.0.0.1:{port}/hook/{i}"} for i in range(webhooks)]
    (plan / "plan.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return plan


def run(kind: str, database: str, url: str, plan: Path, subscribers: int, workers: int, smtp_port: int) -> dict:
    db = Database(url)
    services = Services(load_plan(plan), db)
    if subscribers:
        now = datetime.now(UTC)
        with db.write() as session:
            session.execute(insert(SubscriberRow), [
                {"email": f"reader{i}@example.org", "components": [], "locale": "en", "status": "confirmed",
                 "token": f"t{i:031d}", "created_at": now, "confirmed_at": now} for i in range(subscribers)])
    view = services.declare("outage", "sev3", "Search is slow", "bench", ["website"])
    post = services.posts(view.id)[0]
    started = time.perf_counter()
    services.publish_post(post.id, "bench")
    publish_s = time.perf_counter() - started
    with db.read() as session:
        owed = session.scalar(select(func.count()).select_from(OutboxRow))
    env = {**os.environ, "CRISISPLAN_DATABASE_URL": url, "CRISISPLAN_PLAN": str(plan),
           "CRISISPLAN_SMTP_HOST": "127.0.0.1", "CRISISPLAN_SMTP_PORT": str(smtp_port)}
    procs = [subprocess.Popen([sys.executable, "-m", "crisisplan.cli", "worker", "--interval", "0.1", "--json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(workers)]
    while True:
        with db.read() as session:
            left = session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending"))
        if not left:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    for p in procs:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    with db.read() as session:
        delivered = session.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "delivered"))
    db.dispose()
    return {"what": kind, "database": database, "workers": workers, "messages": owed, "delivered": delivered,
            "publish_ms": publish_s * 1000, "seconds": seconds, "rate": delivered / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--smtp-sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--http-sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smtp_sink:
        return smtp_sink(args.smtp_sink)
    if args.http_sink:
        return http_sink(args.http_sink)

    server, started_pg = os.environ.get("CRISISPLAN_TEST_POSTGRES", ""), ""
    if "postgresql" in args.database and not server:
        out = subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "start"], check=True, capture_output=True,
                             text=True).stdout
        exported = dict(line.removeprefix("export ").split("=", 1) for line in out.strip().splitlines())
        server, started_pg = exported["CRISISPLAN_TEST_POSTGRES"], exported["CRISISPLAN_PG_DIR"]
    scratch = Path(tempfile.mkdtemp(prefix="crisisplan-fanout-"))
    rows = []
    try:
        for database in args.database:
            for workers in args.workers:
                for kind in ("e-mail", "webhook"):
                    smtp, smtp_port = sink("smtp")
                    http, http_port = sink("http")
                    plan = plan_with_webhooks(scratch, args.webhooks if kind == "webhook" else 0, http_port)
                    url = fresh_database(database, scratch, server)
                    row = run(kind, database, url, plan, args.subscribers if kind == "e-mail" else 0, workers,
                              smtp_port)
                    row["received"] = stop_sink(smtp) + stop_sink(http)
                    rows.append(row)
                    print(f"  {database} {kind} x{workers}: {row['seconds']:.1f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if started_pg:
            subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "stop", started_pg], check=False)

    print(f"\n{'channel':<8} {'database':<10} {'workers':>7} {'messages':>8} {'received':>8} {'publish':>9} "
          f"{'all sent':>9} {'msg/s':>7} {'target':>8}")
    for r in rows:
        target = TARGETS[r["what"]]
        met = "met" if r["seconds"] < target and r["received"] == r["messages"] else "MISSED"
        print(f"{r['what']:<8} {r['database']:<10} {r['workers']:>7} {r['messages']:>8} {r['received']:>8} "
              f"{r['publish_ms']:>7.0f}ms {r['seconds']:>8.1f}s {r['rate']:>7.0f} {'<' + str(int(target)) + 's':>5} "
              f"{met}")


if __name__ == "__main__":
    main()
