"""Drill speed: wall time of one scenario run (scripted responder, simulated clock, scored), and drills a second
in a batch over the mix of every shipped scenario. Targets: a 24-hour scenario in under 200 ms; at least 20
drills a second in a batch of 1,000.

    .venv/bin/python benchmarks/drills.py [--runs 20] [--batch 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from crisisplan import SHIPPED_PLAN
from crisisplan.drills.scenario import check_scenarios
from crisisplan.drills.score import score
from crisisplan.duration import format_duration
from crisisplan.plan.load import load_plan
from crisisplan.services.drill_runs import Scratch, play, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    plan = load_plan(SHIPPED_PLAN)
    scenarios, _ = check_scenarios(plan)
    scratch = Scratch()
    print(f"crisisplan drills benchmark: {args.runs} runs a scenario, then a batch of {args.batch}")
    print(f"{'scenario':<18}{'length':>8}{'events':>8}{'p50 ms':>9}{'max ms':>9}   target: 24 h in < 200 ms")
    for scenario in scenarios.values():
        run(scenario, plan, scratch)  # warm: templates compiled, machines built
        times, events = [], 0
        for _ in range(args.runs):
            start = time.perf_counter()
            result = run(scenario, plan, scratch)
            score(result)
            times.append((time.perf_counter() - start) * 1000)
            events = len(result.events)
        print(f"{scenario.id:<18}{format_duration(scenario.duration):>8}{events:>8}"
              f"{statistics.median(times):>9.1f}{max(times):>9.1f}")
    scratch.close()
    # the batch over the whole scenario mix, an equal share each: not the cheapest scenario alone
    mix = sorted(scenarios.values(), key=lambda s: s.id)
    share = max(1, args.batch // len(mix))
    for workers in (1, os.cpu_count() or 1):
        took = 0.0
        for scenario in mix:
            start = time.perf_counter()
            played = play(plan, scenario, share, workers=workers)
            took += time.perf_counter() - start
            played.scratch.close()
        total = share * len(mix)
        print(f"batch: {total} drills, {share} of each of {len(mix)} scenarios ({', '.join(s.id for s in mix)}), "
              f"{workers} process(es): {took:.1f} s = {total / took:.1f} drills/s   target: >= 20/s")
    print(f"settings: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; scratch SQLite databases")


if __name__ == "__main__":
    main()
