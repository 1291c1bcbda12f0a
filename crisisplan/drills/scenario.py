"""Drill scenario files (runbooks/drills/*.yaml): what happens when, what a good response is,
and what the scripted responder does. Checked like runbooks: every problem names file:line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from crisisplan.comms.tone import RULES
from crisisplan.errors import PlanError, Problem, did_you_mean
from crisisplan.plan.load import Plan, read_model
from crisisplan.plan.schema import Duration, Name, Strict
from crisisplan.plan.source import Located, read_yaml


def _offset(value: object) -> object:
    """An offset from the start of the drill: a duration, or zero (`0m`) for the very start."""
    return timedelta(0) if re.fullmatch(r"\s*0+[smhdw]?\s*", str(value)) else value


Offset = Annotated[Duration, BeforeValidator(_offset)]

InjectKind = Literal["signal", "complaint", "journalist", "cause_known", "executive_post", "second_failure",
                     "deadline"]


class Expect(Strict):
    """A good response to an inject: exactly one of a trigger, a published post, or a tone rule kept quiet."""

    trigger: Name | None = None
    post: Name | None = None
    quiet: str | None = None
    within: Duration = timedelta(hours=1)

    @model_validator(mode="after")
    def _one(self) -> Expect:
        if len({"trigger", "post", "quiet"} & self.model_fields_set) != 1:
            raise ValueError("an expectation names exactly one of: trigger, post, quiet")
        return self


class Inject(Strict):
    at: Offset
    kind: InjectKind
    text: str
    author: str = ""
    reach: int = Field(default=0, ge=0)
    fields: dict[Name, str] = {}
    expect: list[Expect] = []


class Action(Strict):
    """One step of the scripted responder, `at` an offset from the start of the drill."""

    at: Offset
    trigger: Name | None = None
    set: dict[Name, str] = {}
    publish: Name | None = None  # the pending draft of this kind (drafted now if none), through review
    check: Literal["all"] | None = None
    assign: dict[Name, str] = {}
    external_post: str | None = None  # somebody posts outside the review: always flagged
    by: str = "drill-team"
    # repeat the action every so long until an offset: an update cadence in one line
    every: Duration | None = None
    until: Duration | None = None

    def times(self) -> list[timedelta]:
        if self.every is None:
            return [self.at]
        end, at, result = self.until or self.at, self.at, []
        while at <= end:
            result.append(at)
            at += self.every
        return result

    @model_validator(mode="after")
    def _something(self) -> Action:
        if not ({"trigger", "set", "publish", "check", "assign", "external_post"} & self.model_fields_set):
            raise ValueError("an action needs one of: trigger, set, publish, check, assign, external_post")
        return self


class ScoreExpectation(Strict):
    min: int = Field(ge=0, le=100)
    max: int = Field(default=100, ge=0, le=100)
    missed: list[str] = []  # the scorecard lines expected to fail, by check name


class Scenario(Strict):
    id: Name
    title: str
    description: str = ""
    runbook: Name
    severity: Name
    components: list[Name] = []
    duration: Duration = timedelta(hours=24)
    injects: list[Inject] = Field(min_length=1)
    script: list[Action] = []
    expect_score: ScoreExpectation | None = None


def scenario_problems(scenario: Scenario, src: Located, plan: Plan) -> list[Problem]:
    """What the schema cannot see: names of the runbook, severities, triggers, fields, kinds, rules."""
    if scenario.runbook not in plan.runbooks:
        return [src.problem(("runbook",), f"unknown runbook '{scenario.runbook}'",
                            did_you_mean(scenario.runbook, plan.runbooks))]
    runbook = plan.runbooks[scenario.runbook]
    check = _ScenarioCheck(
        src, scenario.duration,
        triggers={t.trigger for t in runbook.transitions},
        fields={f.name for f in runbook.fields},
        roles={r.name for r in runbook.roles},
        kinds=plan.kinds(),
    )
    check.known(("severity",), scenario.severity, [s.name for s in runbook.severities], "severity")
    components = {c.name for c in plan.settings.components}
    for i, name in enumerate(scenario.components):
        check.known(("components", i), name, components, "component")
    for i, inject in enumerate(scenario.injects):
        check.inject(i, inject)
    for i, action in enumerate(scenario.script):
        check.action(i, action)
    return check.out


@dataclass
class _ScenarioCheck:
    """One scenario's problems, checked against the names its runbook and the plan give."""

    src: Located
    duration: timedelta
    triggers: set[str]
    fields: set[str]
    roles: set[str]
    kinds: set[str]
    out: list[Problem] = field(default_factory=list)

    def known(self, path: tuple, value: str, names: set[str] | list[str], what: str) -> None:
        """A name the plan does not know, with the nearest one it does."""
        if value not in names:
            self.out.append(self.src.problem(path, f"unknown {what} '{value}'", did_you_mean(value, names)))

    def inject(self, i: int, inject: Inject) -> None:
        """An inject within the drill, setting known fields, expecting known triggers, posts and rules."""
        if inject.at > self.duration:
            self.out.append(self.src.problem(("injects", i, "at"), "inject comes after the end of the drill",
                                             "make `duration` longer or the inject earlier"))
        for name in inject.fields:
            self.known(("injects", i, "fields", name), name, self.fields, "field")
        for j, expect in enumerate(inject.expect):
            self.expect(("injects", i, "expect", j), expect)

    def expect(self, path: tuple, expect: Expect) -> None:
        """A good response naming a known trigger, post kind or tone rule."""
        if expect.trigger:
            self.known(path + ("trigger",), expect.trigger, self.triggers, "trigger")
        if expect.post:
            self.known(path + ("post",), expect.post, self.kinds, "post kind")
        if expect.quiet:
            self.known(path + ("quiet",), expect.quiet, RULES, "tone rule")

    def action(self, i: int, action: Action) -> None:
        """A scripted step within the drill, on known triggers, fields, post kinds and roles."""
        path = ("script", i)
        if max(action.times()) > self.duration:
            self.out.append(self.src.problem(path + ("at",), "action comes after the end of the drill"))
        if (action.every is None) != (action.until is None):
            self.out.append(self.src.problem(path, "`every` and `until` go together", "give both, or neither"))
        if action.trigger:
            self.known(path + ("trigger",), action.trigger, self.triggers, "trigger")
        for name in action.set:
            self.known(path + ("set", name), name, self.fields, "field")
        if action.publish:
            self.known(path + ("publish",), action.publish, self.kinds, "post kind")
        for role in action.assign:
            self.known(path + ("assign", role), role, self.roles, "role")


def drill_dir(plan: Plan) -> Path:
    return plan.root / "runbooks" / "drills"


def check_scenarios(plan: Plan) -> tuple[dict[str, Scenario], list[Problem]]:
    scenarios: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for path in sorted(drill_dir(plan).glob("*.yaml")) if drill_dir(plan).is_dir() else []:
        loaded = read_model(path, str(path.relative_to(plan.root)), Scenario, problems, "a drill scenario")
        if loaded is None:
            continue
        scenario, src = loaded
        found = scenario_problems(scenario, src, plan)
        if scenario.id in scenarios:
            found.append(src.problem(("id",), f"scenario id '{scenario.id}' is used twice"))
        problems.extend(found)
        if not found:
            scenarios[scenario.id] = scenario
    return scenarios, problems


def load_scenario(plan: Plan, name: str) -> Scenario:
    """A scenario by id, or by the path of its file."""
    from crisisplan.errors import NotFound

    scenarios, problems = check_scenarios(plan)
    if problems:
        raise PlanError(problems)
    by_file = {p.stem: p for p in drill_dir(plan).glob("*.yaml")} if drill_dir(plan).is_dir() else {}
    stem = Path(name).stem
    if name in scenarios:
        return scenarios[name]
    if stem in by_file:
        return next(s for s in scenarios.values()
                    if read_yaml(by_file[stem], stem).data.get("id") == s.id)
    raise NotFound(f"no drill scenario '{name}' in {drill_dir(plan)}; " + did_you_mean(name, scenarios))
