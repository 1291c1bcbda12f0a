"""Live drills: scenarios, injects on the drill clock, scoring into the history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crisisplan.clock import Clock, ScaledClock, SystemClock
from crisisplan.comms import approval
from crisisplan.drills.record import DrillPost, DrillRecord
from crisisplan.drills.scenario import Inject, Scenario, check_scenarios
from crisisplan.drills.score import Scorecard, score
from crisisplan.engine import Event, Incident, Outcome
from crisisplan.errors import InvalidInput, NotFound, PlanError, did_you_mean
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.services.views import (
    IncidentView,
)
from crisisplan.store.models import (
    DrillRunRow,
    IncidentRow,
)


class DrillCommands(UnitOfWork):
    """Live drills in the console, and the history of every drill's score."""

    def scenarios(self) -> dict[str, Any]:
        """The plan's drill scenarios by id, checked once; refuses them all if any has a problem."""
        if self._scenarios is None:
            self._scenarios, problems = check_scenarios(self.plan)
            if problems:
                raise PlanError(problems)
        return self._scenarios

    def _next_inject(self, incident: Incident) -> datetime | None:
        drill = incident.drill
        if not drill or "scenario" not in drill:
            return None
        injects = self.scenarios()[drill["scenario"]].injects
        if drill["injected"] >= len(injects):
            return None
        return datetime.fromisoformat(drill["started_at"]) + sorted(i.at for i in injects)[drill["injected"]]

    def _inject(self, work: Outcome | Work, clock: Clock) -> None:
        """The injects of a live drill whose time has come, into the audit trail (the console shows them)."""
        incident = work.incident
        while (due := self._next_inject(incident)) is not None and due <= clock.now():
            drill = dict(incident.drill or {})
            inject = sorted(self.scenarios()[drill["scenario"]].injects, key=lambda i: i.at)[drill["injected"]]
            work.events.append(Event("drill_inject", clock.now(), "drill", {
                "inject": inject.kind, "text": inject.text, "author": inject.author, "reach": inject.reach,
                "fields": inject.fields}))
            drill["injected"] += 1
            incident.drill = drill

    def start_drill(self, scenario_id: str, actor: str, speed: float = 1.0) -> IncidentView:
        """Start a live drill: the scenario's runbook and severity, injects arriving on the (sped-up) clock."""
        scenarios = self.scenarios()
        if scenario_id not in scenarios:
            raise NotFound(f"no drill scenario '{scenario_id}'; " + did_you_mean(scenario_id, scenarios))
        if not 1 <= speed <= 1000:
            raise InvalidInput("speed is how many times faster than real time: 1 to 1000", "speed")
        scenario = scenarios[scenario_id]
        started = self.clock.now()
        clock = self.clock if speed == 1 else ScaledClock(self.clock, started, speed)
        return self.declare(scenario.runbook, scenario.severity, scenario.title, actor, scenario.components,
                            is_drill=True, clock=clock,
                            drill={"scenario": scenario.id, "started_at": started.isoformat(), "speed": speed,
                                   "injected": 0})

    def drill_record(self, incident_id: int, scenario: Scenario, started: datetime, ended: datetime,
                     injects: Sequence[tuple[datetime, Inject]] = (), errors: Sequence[str] = ()) -> DrillRecord:
        """What happened in a drill, read from the database once: the plain data scoring and reports need."""
        incident = self.incident(incident_id)
        events = [(e.at, e.kind, e.actor, json.loads(e.payload)) for e in self.timeline(incident_id)]
        posts = [DrillPost(id=p.id, kind=p.kind, published_at=p.published_at, bodies=dict(p.bodies),
                           short_bodies=dict(p.short_bodies or {}), author=p.author,
                           approvals=[dict(a) for a in p.approvals], next_update_at=p.next_update_at)
                 for p in self.posts(incident_id) if p.status == approval.PUBLISHED and p.published_at is not None]
        tone = self.tone_context(incident, self.plan.settings.default_locale, None, "social_short")
        return DrillRecord(scenario=scenario, runbook=self.plan.runbook(incident.runbook_id), incident=incident,
                           started_at=started, ended_at=ended, events=events, posts=posts,
                           promises=self.promises(incident_id), injects=list(injects), errors=list(errors),
                           tone=tone, incident_id=incident_id)

    def finish_drill(self, incident_id: int, actor: str) -> tuple[DrillRecord, Scorecard]:
        """Score a live drill as it stands, keep the score in the drill history, and end the drill."""
        incident = self.incident(incident_id)
        if not incident.drill or "scenario" not in incident.drill:
            raise InvalidInput(f"incident {incident_id} is not a live drill", "incident")
        scenario = self.scenarios()[incident.drill["scenario"]]
        started = datetime.fromisoformat(incident.drill["started_at"])
        with self.db.read() as session:
            ended = self.clock_of(session.get(IncidentRow, incident_id)).now()
        order = sorted(scenario.injects, key=lambda i: i.at)
        injected = [(e.at, order[n]) for n, e in enumerate(
            e for e in self.timeline(incident_id) if e.kind == "drill_inject")]
        record = self.drill_record(incident_id, scenario, started, ended, injected)
        card = score(record)
        self.record_drill(scenario.id, scenario.runbook, scenario.title, card.score, card.as_dict())
        self.record_note(incident_id, "drill_finished", actor, score=card.score, missed=card.missed)
        return record, card

    def record_drill(self, scenario_id: str, runbook_id: str, title: str, score: int, scorecard: dict[str, Any],
                     runs: int = 1) -> DrillRunRow:
        """Keep a drill's score in the drill history (the mean score when it was run several times)."""
        with self.db.write() as session:
            row = DrillRunRow(scenario_id=scenario_id, runbook_id=runbook_id, title=title, ran_at=SystemClock().now(),
                              runs=runs, score=score, scorecard=scorecard)
            session.add(row)
            session.flush()
            return row

    def drill_history(self, runbook_id: str | None = None) -> list[DrillRunRow]:
        """Every drill's score so far, oldest first; only one runbook's when asked."""
        with self.db.read() as session:
            query = select(DrillRunRow).order_by(DrillRunRow.ran_at, DrillRunRow.id)
            if runbook_id:
                query = query.where(DrillRunRow.runbook_id == runbook_id)
            return list(session.scalars(query))

