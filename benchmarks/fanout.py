"""Fan-out: one post to 10,000 e-mail subscribers and to 1,000 webhooks, through `crisisplan worker` processes.

The SMTP server (aiosmtpd) and the webhook receiver (http.server) run as processes
of their own on loopback and count what arrives. Each run starts from a fresh
database, publishes one post (which writes the outbox rows in its transaction),
starts the workers and stops the clock when the outbox has nothing pending.
On PostgreSQL the benchmark starts a throw-away server (scripts/postgres.sh)
unless CRISISPLAN_TEST_POSTGRES names one.

    .venv/bin/python benchmarks/fanout.py [--subscribers 10000] [--webhooks 1000] [--workers 1 2]
                                           [--database sqlite postgresql]

Every message is checked: each subscriber's address and each webhook's Idempotency-Key must
arrive exactly once (no Message-ID twice); otherwise the run exits 1. PostgreSQL runs with its
production settings (fsync on; printed) unless --fast-postgres.

Targets: 10,000 e-mails in under 60 s; 1,000 webhooks in under 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
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
    """Accept every message, keep (recipient, Message-ID) of each; print them as JSON on SIGTERM."""
    from email import message_from_bytes

    from aiosmtpd.controller import Controller

    seen: list[tuple[str, str]] = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            message_id = message_from_bytes(envelope.content).get("Message-ID", "")
            seen.extend((rcpt, message_id) for rcpt in envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: (print(json.dumps(seen), flush=True), os._exit(0)))
    while True:
        time.sleep(1)


def http_sink(port: int) -> None:
    """Accept every POST, keep (path, Idempotency-Key) of each; print them as JSON on SIGTERM."""
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers.get("Idempotency-Key", "")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: (print(json.dumps(seen), flush=True), os._exit(0)))
    server.serve_forever()


def sink(kind: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, f"--{kind}-sink", str(port)], stdout=subprocess.PIPE,
                               text=True)
    time.sleep(1.0)
    return process, port


def stop_sink(process: subprocess.Popen) -> list[tuple[str, str]]:
    process.send_signal(signal.SIGTERM)
    return [tuple(pair) for pair in json.loads(process.communicate(timeout=30)[0].strip() or "[]")]


def exactly_once(kind: str, expected: list[str], received: list[tuple[str, str]]) -> tuple[int, int, int]:
    """(missing, duplicated, unexpected) ids: every expected id must arrive exactly once.

    E-mail: the recipients are the subscribers' addresses as inserted, and no Message-ID may repeat;
    webhooks: every outbox row's Idempotency-Key, once.
    """
    ids = Counter(rcpt if kind == "e-mail" else key for rcpt, key in received)
    wanted = set(expected)
    missing = len(wanted - set(ids))
    duplicated = sum(n - 1 for n in ids.values() if n > 1)
    if kind == "e-mail":
        duplicated += sum(n - 1 for n in Counter(key for _, key in received).values() if n > 1)
    return missing, duplicated, len(set(ids) - wanted)


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
        keys = list(session.scalars(select(OutboxRow.idempotency_key).where(OutboxRow.channel.like("webhook:%"))))
    db.dispose()
    expected = [f"reader{i}@example.org" for i in range(subscribers)] if kind == "e-mail" else keys
    return {"what": kind, "database": database, "workers": workers, "messages": owed, "delivered": delivered,
            "publish_ms": publish_s * 1000, "seconds": seconds, "rate": delivered / seconds, "expected": expected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--webhooks", type=int, default=1_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--fast-postgres", action="store_true",
                        help="PostgreSQL with fsync, synchronous_commit and full_page_writes off (printed)")
    parser.add_argument("--smtp-sink", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--http-sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.smtp_sink:
        return smtp_sink(args.smtp_sink)
    if args.http_sink:
        return http_sink(args.http_sink)

    server, started_pg = os.environ.get("CRISISPLAN_TEST_POSTGRES", ""), ""
    if "postgresql" in args.database and not server:
        # production settings unless --fast-postgres: fsync, synchronous_commit and full_page_writes on
        start = ["bash", str(ROOT / "scripts/postgres.sh"), "start"] + ([] if args.fast_postgres else ["--durable"])
        out = subprocess.run(start, check=True, capture_output=True, text=True).stdout
        exported = dict(line.removeprefix("export ").split("=", 1) for line in out.strip().splitlines())
        server, started_pg = exported["CRISISPLAN_TEST_POSTGRES"], exported["CRISISPLAN_PG_DIR"]
    durability = ""
    if server:
        engine = create_engine(server)
        with engine.connect() as connection:
            durability = ", ".join(f"{name}={connection.execute(text(f'SHOW {name}')).scalar()}"
                                   for name in ("fsync", "synchronous_commit", "full_page_writes"))
        engine.dispose()
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
                    received = stop_sink(smtp) + stop_sink(http)
                    row["received"] = len(received)
                    row["missing"], row["twice"], row["stray"] = exactly_once(kind, row.pop("expected"), received)
                    rows.append(row)
                    print(f"  {database} {kind} x{workers}: {row['seconds']:.1f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if started_pg:
            subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "stop", started_pg], check=False)

    print(f"\nfan-out benchmark: {args.subscribers} subscribers, {args.webhooks} webhooks, sinks on loopback; "
          f"SQLite WAL synchronous=NORMAL" + (f"; PostgreSQL {durability}" if durability else "")
          + f"; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'channel':<8} {'database':<10} {'workers':>7} {'messages':>8} {'received':>8} {'missing':>7} "
          f"{'twice':>6} {'stray':>6} {'publish':>9} {'all sent':>9} {'msg/s':>7} {'target':>8}")
    wrong = False
    for r in rows:
        target = TARGETS[r["what"]]
        exact = r["missing"] == r["twice"] == r["stray"] == 0 and r["received"] == r["messages"]
        wrong = wrong or not exact
        met = "met" if r["seconds"] < target and exact else "MISSED"
        print(f"{r['what']:<8} {r['database']:<10} {r['workers']:>7} {r['messages']:>8} {r['received']:>8} "
              f"{r['missing']:>7} {r['twice']:>6} {r['stray']:>6} "
              f"{r['publish_ms']:>7.0f}ms {r['seconds']:>8.1f}s {r['rate']:>7.0f} {'<' + str(int(target)) + 's':>5} "
              f"{met}")
    if wrong:
        raise SystemExit("some message did not arrive exactly once (see missing / twice / stray)")


if __name__ == "__main__":
    main()
