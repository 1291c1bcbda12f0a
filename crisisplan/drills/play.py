"""Play a scenario once or many times with the scripted responder, and keep the last run for the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crisisplan.drills.runner import Run, Scratch, run
from crisisplan.drills.scenario import Scenario
from crisisplan.drills.score import Scorecard, score
from crisisplan.plan.load import Plan


@dataclass
class Played:
    last: Run
    card: Scorecard
    scores: list[int]
    scratch: Scratch

    @property
    def mean(self) -> int:
        return round(sum(self.scores) / len(self.scores))


def play(plan: Plan, scenario: Scenario, repeat: int = 1, advance: Callable[[], None] | None = None) -> Played:
    """Every run in one scratch database; the caller closes `Played.scratch` when done with the report."""
    scratch = Scratch()
    scores: list[int] = []
    last: Run | None = None
    card: Scorecard | None = None
    for _ in range(max(1, repeat)):
        last = run(scenario, plan, scratch)
        card = score(last)
        scores.append(card.score)
        if advance:
            advance()
    assert last is not None and card is not None
    return Played(last, card, scores, scratch)
