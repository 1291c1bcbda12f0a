"""Uptime bars: what computing them costs. A fresh SQLite file (WAL, fsync on) gets `--changes` status changes a
component (spread over the last 90 days, set by hand through the use case), then `services.uptime()` (every
component's 90 bars) and the uptime JSON are timed, the first call (cold) and the next ones (warm).

    .venv/bin/python benchmarks/uptime.py [--changes 200] [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.db import Database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200, help="status changes a component over 90 days")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    plan = load_plan(SHIPPED_PLAN)
    folder = Path(tempfile.mkdtemp(prefix="crisisplan-uptime-"))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = SimulatedClock(start)
    services = Services(plan, Database(f"sqlite:///{folder / 'u.sqlite3'}").ensure_schema(), clock)
    services.record_component_statuses()
    step = timedelta(days=90) / (args.changes + 1)
    cycle = ["partial_outage", "operational", "major_outage", "operational"]
    for n in range(args.changes):
        clock.set(start + step * (n + 1))
        for component in plan.settings.components:
            services.set_component_status(component.name, cycle[n % len(cycle)], "bench")
    clock.set(start + timedelta(days=90))
    rows = len(plan.settings.components) * (args.changes + 1)

    def timed(call) -> tuple[float, list[float]]:  # noqa: ANN001
        begin = time.perf_counter()
        call()
        cold = (time.perf_counter() - begin) * 1000
        warm = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            call()
            warm.append((time.perf_counter() - begin) * 1000)
        return cold, warm

    print(f"crisisplan uptime benchmark: SQLite (WAL, fsync on), {len(plan.settings.components)} components, "
          f"{args.changes} changes each over 90 days ({rows} history rows), {args.runs} warm runs")
    print(f"{'what':<34}{'cold ms':>9}{'warm p50 ms':>13}{'warm max ms':>13}")
    for name, call in (("services.uptime() (90 bars each)", services.uptime),
                       ("history of one component", lambda: services.component_history("checkout"))):
        cold, warm = timed(call)
        print(f"{name:<34}{cold:>9.1f}{statistics.median(warm):>13.1f}{max(warm):>13.1f}")


if __name__ == "__main__":
    main()
