"""Engine benchmark: declare and trigger latency with the audit event persisted to SQLite,
events per second, and the wall time of a simulated 24-hour sev1 incident.

    .venv/bin/python benchmarks/engine.py [--rounds 500]

Targets (issue "The runbook engine"): declare and trigger p99 < 10 ms; the 24-hour
simulation < 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.engine import IncidentMachine
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.db import Database


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(action) -> float:  # noqa: ANN001
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def simulate_day(machine: IncidentMachine) -> tuple[float, int]:
    """A 24-hour sev1 outage with a public update every 30 minutes, engine only."""
    clock = SimulatedClock()
    start = time.perf_counter()
    outcome = machine.declare(clock, severity="sev1", title="Payments failing", actor="bench")
    incident, events = outcome.incident, len(outcome.events)
    for step in (lambda i: machine.record_publication(i, "acknowledge", clock, "bench"),
                 lambda i: machine.trigger(i, "acknowledge", clock, "bench"),
                 lambda i: machine.trigger(i, "identify_cause", clock, "bench", {"cause": "bad deploy"})):
        outcome = step(incident)
        incident, events = outcome.incident, events + len(outcome.events)
    end = clock.now() + timedelta(hours=24)
    while clock.now() < end:
        clock.advance(timedelta(minutes=30))
        for step in (lambda i: machine.tick(i, clock),
                     lambda i: machine.record_publication(i, "update", clock, "bench"),
                     lambda i: machine.trigger(i, "post_update", clock, "bench")):
            outcome = step(incident)
            incident, events = outcome.incident, events + len(outcome.events)
    for step in (lambda i: machine.set_fields(i, {"fix": "rolled back"}, clock, "bench"),
                 lambda i: machine.trigger(i, "mitigate", clock, "bench"),
                 lambda i: machine.trigger(i, "resolve", clock, "bench")):
        outcome = step(incident)
        incident, events = outcome.incident, events + len(outcome.events)
    return (time.perf_counter() - start) * 1000, events


def simulate_day_stored(services: Services) -> tuple[float, int]:
    """The same day through services, every event in the SQLite audit chain."""
    clock = services.clock
    start = time.perf_counter()
    view = services.declare("outage", "sev1", "Payments failing", "bench")
    services.trigger(view.id, "acknowledge", "bench")
    services.trigger(view.id, "identify_cause", "bench", {"cause": "bad deploy"})
    end = clock.now() + timedelta(hours=24)
    while clock.now() < end:
        clock.advance(timedelta(minutes=30))
        services.tick()
        services.trigger(view.id, "post_update", "bench")
    services.set_fields(view.id, {"fix": "rolled back"}, "bench")
    services.trigger(view.id, "mitigate", "bench")
    return (time.perf_counter() - start) * 1000, len(services.timeline(view.id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    plan = load_plan(SHIPPED_PLAN)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}").ensure_schema()
        clock = SimulatedClock()
        services = Services(plan, db, clock)
        for _ in range(20):  # warm up caches, compiled templates, connection pool
            services.trigger(services.declare("outage", "sev1", "warm", "bench").id, "acknowledge", "bench")

        declare_ms, trigger_ms, ids = [], [], []
        events_before = services.verify_audit()[1]
        start = time.perf_counter()
        for _ in range(args.rounds):
            started = time.perf_counter()
            ids.append(services.declare("outage", "sev1", "Checkout fails", "bench", components=["checkout"]).id)
            declare_ms.append((time.perf_counter() - started) * 1000)
        for incident_id in ids:
            trigger_ms.append(timed(lambda i=incident_id: services.trigger(i, "acknowledge", "bench")))
        for incident_id in ids:
            trigger_ms.append(timed(lambda i=incident_id: services.trigger(
                i, "identify_cause", "bench", {"cause": "expired certificate"})))
        elapsed = time.perf_counter() - start
        events = services.verify_audit()[1] - events_before

        machine = IncidentMachine(plan.runbook("outage"))
        simulate_day(machine)
        sims = [simulate_day(machine) for _ in range(20)]
        sim_ms, sim_events = statistics.median(s[0] for s in sims), sims[0][1]
        db.dispose()
        # a database of its own: the incidents above would all be overdue on this clock
        day_db = Database(f"sqlite:///{Path(tmp) / 'day.sqlite3'}").ensure_schema()
        stored_ms, stored_events = simulate_day_stored(Services(plan, day_db, SimulatedClock()))
        day_db.dispose()

    rows = [
        ("declare (incident + events + draft, SQLite)", f"{statistics.median(declare_ms):.2f} ms",
         f"{percentile(declare_ms, 99):.2f} ms", "p99 < 10 ms"),
        ("trigger (state + events + draft, SQLite)", f"{statistics.median(trigger_ms):.2f} ms",
         f"{percentile(trigger_ms, 99):.2f} ms", "p99 < 10 ms"),
        ("events persisted per second", f"{events / elapsed:,.0f}", "", ""),
        (f"24 h sev1, update every 30 m, engine ({sim_events} events)", f"{sim_ms:.1f} ms", "", "< 200 ms"),
        (f"24 h sev1 through services + SQLite ({stored_events} events)", f"{stored_ms:.1f} ms", "", ""),
    ]
    print(f"crisisplan engine benchmark: {args.rounds} declares, {2 * args.rounds} triggers, "
          f"{events} audit events")
    widths = [max(len(r[i]) for r in rows + [("what", "p50", "p99", "target")]) for i in range(4)]
    for row in [("what", "p50 / value", "p99", "target")] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)))


if __name__ == "__main__":
    main()
