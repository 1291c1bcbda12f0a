"""Play a scenario once or many times with the scripted responder, and keep the last run for the report.

A batch spreads over every core: each worker process plays its share in its
own scratch database; the parent plays the last run itself, for the report.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from crisisplan.drills.runner import Run, Scratch, run
from crisisplan.drills.scenario import Scenario
from crisisplan.drills.score import Scorecard, score
from crisisplan.plan.load import Plan, load_plan

PARALLEL_FROM = 20  # smaller batches are quicker in one process than starting workers


@dataclass
class Played:
    last: Run
    card: Scorecard
    scores: list[int]
    scratch: Scratch

    @property
    def mean(self) -> int:
        return round(sum(self.scores) / len(self.scores))


_worker: dict[str, object] = {}  # in each worker process: the plan and one scratch database, made once


def _start_worker(root: str) -> None:
    _worker["plan"], _worker["scratch"] = load_plan(Path(root)), Scratch()


def _share(scenario: Scenario, count: int) -> list[int]:
    plan, scratch = _worker["plan"], _worker["scratch"]
    return [score(run(scenario, plan, scratch)).score for _ in range(count)]  # type: ignore[arg-type]


def play(plan: Plan, scenario: Scenario, repeat: int = 1, advance: Callable[[int], None] | None = None,
         workers: int | None = None) -> Played:
    """Run `repeat` times; the caller closes `Played.scratch` when done with the report."""
    repeat = max(1, repeat)
    workers = workers or os.cpu_count() or 1
    scores: list[int] = []
    others = repeat - 1
    if others >= PARALLEL_FROM and workers > 1:
        chunk = max(1, others // (workers * 4))
        shares = [chunk] * (others // chunk) + ([others % chunk] if others % chunk else [])
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(str(plan.root),)) as pool:
            futures = [pool.submit(_share, scenario, n) for n in shares]
            for future in as_completed(futures):
                done = future.result()
                scores += done
                if advance:
                    advance(len(done))
    else:
        scratch = Scratch()
        try:
            for _ in range(others):
                scores.append(score(run(scenario, plan, scratch)).score)
                if advance:
                    advance(1)
        finally:
            scratch.close()
    scratch = Scratch()
    last = run(scenario, plan, scratch)
    card = score(last)
    scores.append(card.score)
    if advance:
        advance(1)
    return Played(last, card, scores, scratch)
