"""Play a scenario with the scripted responder, once or many times: the simulated clock jumps from event to event.

The drill is a real incident (marked as a drill) in a scratch database,
driven through the same Services as production: the same runbook, templates,
approvals and timers. Only the clock and the audience differ. Each run ends in
a `DrillRecord`, the plain data the scoring and the report read.

A batch spreads over every core: each worker process plays its share in its
own scratch database; the parent plays the last run itself, for the report.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crisisplan.clock import SimulatedClock
from crisisplan.comms import approval
from crisisplan.drills.record import DrillRecord
from crisisplan.drills.scenario import Action, Inject, Scenario
from crisisplan.drills.score import Scorecard, score
from crisisplan.errors import CrisisplanError
from crisisplan.plan.load import Plan, load_plan
from crisisplan.services import Services
from crisisplan.store.db import Database

AUTHOR, APPROVERS = "drill-comms", ("drill-approver", "drill-second-approver")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday morning, always: runs are comparable

_template_lock = threading.Lock()
_template: Path | None = None


def _migrated_template() -> Path:
    """One migrated empty database a process; each scratch database starts as a copy of it."""
    global _template
    with _template_lock:
        if _template is None:
            path = Path(tempfile.mkdtemp(prefix="crisisplan-drill-")) / "template.sqlite3"
            db = Database(f"sqlite:///{path}")
            db.migrate()
            db.dispose()
            _template = path
    return _template


class Scratch:
    """A throw-away database for drills; many runs can share one."""

    def __init__(self) -> None:
        # In memory: a drill's database lives only as long as its run. SQLAlchemy keeps one
        # connection a thread for it, so it is filled from the migrated template by SQLite's backup.
        self.db = Database("sqlite://")
        raw = self.db.engine.raw_connection()
        template = sqlite3.connect(_migrated_template())
        template.backup(raw.driver_connection)
        template.close()
        self._services: Services | None = None

    def services(self, plan: Plan) -> Services:
        """One Services for every run here: templates compiled and machines built once."""
        if self._services is None or self._services.plan is not plan:
            self._services = Services(plan, self.db, SimulatedClock(START))
        self._services.clock = SimulatedClock(START)
        return self._services

    def close(self) -> None:
        """Throw the scratch database away."""
        self.db.dispose()


def run(scenario: Scenario, plan: Plan, scratch: Scratch) -> DrillRecord:
    """Play the scenario once with the scripted responder; the record of what happened."""
    services = scratch.services(plan)
    clock = services.clock
    view = services.declare(scenario.runbook, scenario.severity, scenario.title, AUTHOR, scenario.components,
                            is_drill=True)
    ended = START + scenario.duration
    injects: list[tuple[datetime, Inject]] = []
    errors: list[str] = []  # scripted actions the plan refused
    timeline: list[tuple[timedelta, int, Inject | Action]] = [(i.at, 0, i) for i in scenario.injects]
    timeline += [(at, 1, a) for a in scenario.script for at in a.times()]
    for offset, _, item in sorted(timeline, key=lambda t: (t[0], t[1])):
        _run_until(services, view.id, START + offset)
        if isinstance(item, Inject):
            injects.append((clock.now(), item))
            services.record_note(view.id, "drill_inject", "drill", inject=item.kind, text=item.text,
                                 author=item.author, reach=item.reach, fields=item.fields)
        else:
            try:
                _act(services, view.id, item)
            except CrisisplanError as error:
                errors.append(f"+{_offset(offset)} {_describe(item)}: {error}")
    _run_until(services, view.id, ended)
    return services.drill_record(view.id, scenario, START, ended, injects, errors)


def _run_until(services: Services, incident_id: int, moment: datetime) -> None:
    """Jump the clock to every timer due before `moment`, firing each, then to `moment`."""
    clock = services.clock
    assert isinstance(clock, SimulatedClock)
    for _ in range(10_000):
        wake = services.next_due(incident_id)  # the next due timer or promise turning at risk
        if wake is None or wake > moment:
            break
        clock.set(max(clock.now(), wake))
        services.tick(only=incident_id)  # runs sharing a scratch database never touch each other
    clock.set(max(clock.now(), moment))


def _act(services: Services, incident_id: int, action: Action) -> None:
    """One scripted step: set, assign, check, then the trigger (a public step by publishing its post), then
    the post to publish (unless the trigger's step just published it), then a post around the review."""
    who = action.by
    if action.set and not action.trigger:
        services.set_fields(incident_id, action.set, who)
    if action.assign:
        services.assign_roles(incident_id, action.assign, who)
    if action.check:
        view = services.get(incident_id)
        todo = [number for number, (_, done) in enumerate(view.checklist, start=1) if not done]
        if todo:
            services.check_items(incident_id, todo, who)
    taken = _take(services, incident_id, action.trigger, action.set, who) if action.trigger else None
    if action.publish and action.publish != taken:
        pending = [p for p in services.posts(incident_id)
                   if p.kind == action.publish and p.status != approval.PUBLISHED]
        post = pending[-1] if pending else services.draft_post(incident_id, action.publish, AUTHOR)
        _publish(services, post.id, who)
    if action.external_post:
        services.record_note(incident_id, "external_post", who, text=action.external_post)


def _take(services: Services, incident_id: int, trigger: str, fields: dict[str, str], who: str) -> str | None:
    """Take a runbook step; a public one (acknowledge, resolve…) by publishing its post, whose kind is returned."""
    incident = services.incident(incident_id)
    step = services.machine(incident.runbook_id).runbook.step(incident.state, trigger)
    if step is None or not step.post:
        services.trigger(incident_id, trigger, who, fields or None)
        return None
    if fields:
        services.set_fields(incident_id, fields, who)  # first: the post drafted for the step says them
    post = services.draft_for_step(incident_id, trigger, AUTHOR)
    _publish(services, post.id, who)
    return step.post


def _publish(services: Services, post_id: int, who: str) -> None:
    """Through the review the severity asks for, then publish: the drill's author submits, and the holder of
    the role the runbook names for the kind (if assigned), then the drill's approvers, approve until it is."""
    post = services.post(post_id)
    incident = services.incident(post.incident_id)
    role = services.machine(incident.runbook_id).runbook.approval_roles.get(post.kind)
    named = incident.roles.get(role, "") if role else ""
    if services.policy(incident) != "none" or named:
        if post.status == approval.DRAFT:
            services.submit_post(post.id, AUTHOR)
        for approver in dict.fromkeys(a for a in (named, *APPROVERS) if a and a != post.author):
            if services.post(post.id).status == approval.IN_REVIEW:
                services.approve_post(post.id, approver)
    services.publish_post(post.id, who)


def _describe(action: Action) -> str:
    parts = [f"{k}={v}" for k, v in action.model_dump(exclude_defaults=True).items() if k not in ("at", "by")]
    return ", ".join(parts)


def _offset(delta: timedelta) -> str:
    from crisisplan.duration import format_duration

    return format_duration(delta) if delta else "0m"


def summary(run_: DrillRecord) -> dict[str, Any]:
    """A run in brief: its scenario, the drill's incident, and the scripted steps the plan refused."""
    return {"scenario": run_.scenario.id, "incident": run_.incident_id, "errors": run_.errors}


PARALLEL_FROM = 20  # smaller batches are quicker in one process than starting workers


@dataclass
class Played:
    """A batch of drill runs: the last run and its scorecard, every run's score, and the scratch database."""

    last: DrillRecord
    card: Scorecard
    scores: list[int]
    scratch: Scratch

    @property
    def mean(self) -> int:
        """The batch's average score, rounded."""
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
        # spawn, not fork: a forked child inherits whatever lock another thread of this process held at that
        # moment (a server, a mail thread, a render) and can wait on it for ever
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn, initializer=_start_worker,
                                 initargs=(str(plan.root),)) as pool:
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
