"""The status page with a long history: its bytes, and how long it takes to render again after a change.

For each size (default 1,000 and 10,000 public incidents declared over the last 90 days, one in
500 still open) a fresh SQLite database is filled (tests/many.py: one incident walked through the
services, the rest copied in bulk), then each round publishes an update on an open incident and
times the next `GET /` in the app: the check that something changed, the database reads, the page
with its unchanged fragments taken from memory, gzip and brotli. `cold` is the very first render
(every fragment rendered). In-process, no HTTP server: this is the render, not the network.

    .venv/bin/python benchmarks/history.py [--sizes 1000 10000] [--rounds 30]

Targets (issue 14): re-render after a change < 30 ms with 10,000 incidents; `/` < 64 KB uncompressed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crisisplan import SHIPPED_PLAN  # noqa: E402
from crisisplan.clock import SimulatedClock  # noqa: E402
from crisisplan.plan.load import load_plan  # noqa: E402
from crisisplan.services import Services  # noqa: E402
from crisisplan.store.db import Database  # noqa: E402
from crisisplan.web import create_app  # noqa: E402
from crisisplan.web.public import cache  # noqa: E402
from tests.many import seed_incidents  # noqa: E402

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "en-US,en;q=0.9", "Accept-Encoding": "gzip, deflate, br",
           "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(size: int, rounds: int, scratch: Path) -> dict[str, float]:
    url = f"sqlite:///{scratch / f'history-{size}.sqlite3'}"
    db = Database(url, scratch / f"instance-{size}")
    db.migrate()
    services = Services(load_plan(SHIPPED_PLAN), db, SimulatedClock())
    started = time.perf_counter()
    ids = seed_incidents(services, size, days=90, open_every=500)
    seeded = time.perf_counter() - started
    app = create_app({"SERVICES": services, "SECRET_KEY": "bench", "PUBLIC_CACHE_SECONDS": 0})
    client = app.test_client()
    started = time.perf_counter()
    first = client.get("/", headers=BROWSER)
    cold = (time.perf_counter() - started) * 1000
    plain = client.get("/", headers={**BROWSER, "Accept-Encoding": "identity"}).get_data()
    gz = client.get("/", headers={**BROWSER, "Accept-Encoding": "gzip"}).get_data()
    open_ones = ids[::500]
    times = []
    renders = cache(app).renders
    for n in range(rounds):
        services.clock.advance(timedelta(minutes=1))
        incident = open_ones[n % len(open_ones)]
        text = f"Sorry for the wait: still on it, round {n}. Next update by 23:30. Help: https://help.example.com"
        post = services.draft_post(incident, "update", "bench", text=text)
        services.publish_post(post.id, "bench")
        started = time.perf_counter()
        answer = client.get("/", headers=BROWSER)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "br"
    assert cache(app).renders - renders == rounds  # each round rendered once, and only once
    db.dispose()
    return {"size": size, "seeded": seeded, "cold": cold, "p50": statistics.median(times),
            "p99": percentile(times, 99), "max": max(times), "bytes": len(plain), "gzip": len(gz),
            "br": len(first.get_data()), "open": len(open_ones)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="crisisplan-history-"))
    try:
        rows = [measure(size, args.rounds, scratch) for size in args.sizes]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"history benchmark: SQLite (WAL, synchronous=NORMAL) on a local disk; public incidents over 90 days, "
          f"1 in 500 open; {args.rounds} changes a size (an update published on an open incident), each followed "
          f"by GET / with a browser's headers (brotli); in-process, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"{'incidents':>9}{'open':>6}{'cold ms':>9}{'re-render p50':>15}{'p99':>8}{'max':>8}"
          f"{'bytes':>8}{'gzip':>7}{'br':>7}")
    for r in rows:
        print(f"{r['size']:>9}{r['open']:>6}{r['cold']:>9.1f}{r['p50']:>13.1f}ms{r['p99']:>6.1f}ms{r['max']:>6.1f}ms"
              f"{r['bytes']:>8}{r['gzip']:>7}{r['br']:>7}")
    largest = rows[-1]
    print(f"targets with {largest['size']} incidents: re-render < 30 ms: "
          f"{'met' if largest['p99'] < 30 else 'MISSED'} (p99 {largest['p99']:.1f} ms); "
          f"/ < 64 KB: {'met' if largest['bytes'] < 64 * 1024 else 'MISSED'} ({largest['bytes'] / 1024:.1f} KB)")


if __name__ == "__main__":
    main()
