"""E-mail in: how fast `crisisplan inbox pull` turns messages waiting in an IMAP mailbox into triaged complaint
signals. A real Dovecot (scripts/dovecot.sh, IMAP with STARTTLS on loopback) holds N customer e-mails, delivered by
LMTP beforehand; one pull reads them (pages of 50, BODY.PEEK), parses each (comms/inmail.py), triages and records
it (receive_complaint) on SQLite (WAL, the audit checkpoint fsynced, as installed). "cold" is the first pull of a
process (the language and tone libraries load in it); "warm" is a second batch pulled by the same process.

    .venv/bin/python benchmarks/mail_pull.py [--messages 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.db import Database

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ("The checkout fails when I pay with my card", "My parcel is three days late",
          "I was charged twice for order 4411", "The app logs me out every five minutes",
          "Your website is very slow this morning")


def _mail(n: int, tag: str) -> bytes:
    return "\r\n".join([f'From: "Customer {n}" <customer{n}@example.net>', "To: support@example.com",
                        f"Subject: Problem {n}", f"Message-ID: <{tag}-{n}@example.net>",
                        "Content-Type: text/plain; charset=utf-8", "", TOPICS[n % len(TOPICS)] + ".",
                        "", "On Mon, 23 Nov 2026 at 09:00, Support <support@example.com> wrote:",
                        "> Thank you for writing.", ""]).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="batches pulled by one process (1 cold, then warm)")
    args = parser.parse_args()
    started = subprocess.run(["bash", str(ROOT / "scripts" / "dovecot.sh"), "start", "support@example.com:bench"],
                             capture_output=True, text=True, check=False)
    if started.returncode:
        print(started.stderr, file=sys.stderr)
        return 1
    env = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines())
    os.environ.update({"CRISISPLAN_IMAP_HOST": "127.0.0.1", "CRISISPLAN_IMAP_PORT": env["CRISISPLAN_DOVECOT_IMAP_PORT"],
                       "CRISISPLAN_IMAP_TLS": "starttls", "CRISISPLAN_IMAP_USER": "support@example.com",
                       "CRISISPLAN_IMAP_PASSWORD": "bench", "CRISISPLAN_IMAP_CAFILE": env["CRISISPLAN_DOVECOT_CAFILE"]})
    rows = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            db = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", Path(folder))
            db.migrate()
            services = Services(load_plan(SHIPPED_PLAN), db, SimulatedClock())
            for round_ in range(args.rounds):
                with smtplib.LMTP("127.0.0.1", int(env["CRISISPLAN_DOVECOT_LMTP_PORT"])) as lmtp:
                    for n in range(args.messages):
                        lmtp.sendmail(f"customer{n}@example.net", ["support@example.com"], _mail(n, f"r{round_}"))
                start = time.perf_counter()
                [pulled] = services.pull_inbox("imap")
                seconds = time.perf_counter() - start
                if pulled.error or pulled.new != args.messages:
                    print(f"round {round_}: expected {args.messages} new, got {pulled.as_dict()}", file=sys.stderr)
                    return 1
                # the IMAP side alone: the same folder read and parsed again from the start, nothing recorded
                connector, cursor, read = services.inbox_connectors()["imap"], None, 0
                start = time.perf_counter()
                while True:
                    mentions, cursor = connector.fetch(cursor)
                    read += len(mentions)
                    if not mentions:
                        break
                rows.append(("cold" if round_ == 0 else "warm", pulled.new, seconds,
                             (time.perf_counter() - start) * (args.messages / read)))
    finally:
        subprocess.run(["bash", str(ROOT / "scripts" / "dovecot.sh"), "stop", env["CRISISPLAN_DOVECOT_DIR"]],
                       check=False)
    dovecot = subprocess.run(["dovecot", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"settings: {args.messages} messages a round, {args.rounds} rounds, Dovecot {dovecot} (STARTTLS, "
          f"loopback), SQLite WAL, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'round':<6} {'messages':>8} {'seconds':>8} {'per second':>10} {'ms each':>8} "
          f"{'of it IMAP read+parse':>22}")
    for name, count, seconds, imap in rows:
        print(f"{name:<6} {count:>8} {seconds:>8.2f} {count / seconds:>10.1f} {1000 * seconds / count:>8.1f} "
              f"{1000 * imap / count:>19.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
