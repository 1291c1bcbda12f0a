"""Turn pydantic errors and cross-reference mistakes into located problems."""

from __future__ import annotations

import difflib
import types
import typing
from collections import deque
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from crisisplan.duration import format_duration, parse_duration
from crisisplan.errors import Problem, did_you_mean
from crisisplan.plan.schema import SEVERITY_DURATIONS, TONE_RULES, Guard, Runbook, Timer, Transition
from crisisplan.plan.source import Located, PathKey

RESERVED_TRIGGERS = {"trigger", "to", "may", "state", "set", "model", "machine"}


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last segment of `loc` (for listing its keys)."""
    current: Any = model
    for segment in loc:
        if isinstance(segment, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(segment)
        if info is None:
            return current
        current = _unwrap(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin in (list, typing.Annotated):
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            models = [
                a for a in typing.get_args(annotation)
                if isinstance(a, type) and issubclass(a, BaseModel)
            ]
            return models[0] if models else annotation
        else:
            return annotation


def _data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """Keep the segments of a pydantic loc that exist in the data (drop union tags)."""
    path: list[str | int] = []
    current = data
    for segment in loc:
        in_dict = isinstance(current, dict) and segment in current
        in_list = isinstance(current, list) and isinstance(segment, int) and segment < len(current)
        if in_dict or in_list:
            current = current[segment]
            path.append(segment)
        elif isinstance(current, dict) and isinstance(segment, str) and segment not in current:
            path.append(segment)  # a missing or unknown key: point at its mapping
            break
    return tuple(path)


def _where(path: PathKey) -> str:
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
    return text or "the file"


def validation_problems(
    error: ValidationError, located: Located, model: type[BaseModel]
) -> list[Problem]:
    problems = []
    items = error.errors()
    # A misspelt key shows up as "unknown" plus "missing": report only the typo.
    unknown = {(tuple(i["loc"][:-1]), i["loc"][-1]) for i in items if i["type"] == "extra_forbidden"}
    typos = {
        (parent, match)
        for parent, key in unknown
        for match in difflib.get_close_matches(str(key), [
            str(i["loc"][-1]) for i in items if i["type"] == "missing" and tuple(i["loc"][:-1]) == parent
        ], n=1, cutoff=0.6)
    }
    items = [i for i in items if not (i["type"] == "missing" and (tuple(i["loc"][:-1]), i["loc"][-1]) in typos)]
    for item in items:
        loc = tuple(item["loc"])
        path = _data_path(located.data, loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            owner = _model_at(model, loc[:-1])
            allowed = list(owner.model_fields) if owner else []
            problems.append(
                located.problem(
                    path,
                    f"unknown key '{loc[-1]}' in {_where(path[:-1])}",
                    did_you_mean(loc[-1], allowed),
                )
            )
        elif kind == "missing":
            problems.append(
                located.problem(path[:-1], f"missing required key '{loc[-1]}' in {_where(path[:-1])}")
            )
        else:
            message = item["msg"].removeprefix("Value error, ")
            value = item.get("input")
            shown = f" (got {value!r})" if isinstance(value, str | int | float | bool) else ""
            problems.append(located.problem(path, f"{_where(path)}: {message}{shown}"))
    # A union field reports one error per member; one line per place is enough.
    unique: dict[tuple[int, int, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.line, p.column, p.message.split(":")[0]), p)
    return list(unique.values())


def runbook_problems(rb: Runbook, src: Located) -> list[Problem]:
    """Cross-reference checks a schema cannot express, in the order a reader meets them in the file."""
    check = _RunbookCheck(rb, src)
    check.names()
    check.start()
    check.transitions()
    check.ends()
    check.reachable()
    check.timers()
    check.tone()
    return check.out


class _RunbookCheck:
    """One runbook's cross-references, checked one concern at a time; the problems in `out`."""

    def __init__(self, rb: Runbook, src: Located) -> None:
        self.rb, self.src = rb, src
        self.out: list[Problem] = []
        self.roles: set[str] = set()
        self.fields: set[str] = set()
        self.states: set[str] = set()
        self.by_name = {s.name: s for s in rb.states}
        self.drafted = {kind for _, kind in draft_sites(rb)}
        self.outgoing: dict[str, list[str]] = {}
        self.seen_triggers: dict[tuple[str, str], int] = {}

    def add(self, path: PathKey, message: str, hint: str = "") -> None:
        self.out.append(self.src.problem(path, message, hint))

    def known_role(self, path: PathKey, role: str) -> None:
        if role not in self.roles:
            self.add(path, f"unknown role '{role}'", did_you_mean(role, self.roles))

    def _unique(self, items: list[Any], key: str, what: str) -> set[str]:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            name = item.name
            if name in seen:
                first = self.src.at((key, seen[name], "name"))[0]
                self.add((key, i, "name"), f"duplicate {what} '{name}'", f"first defined on line {first}")
            else:
                seen[name] = i
        return set(seen)

    def names(self) -> None:
        """Severities, roles, fields, states and timers are each named once."""
        self._unique(self.rb.severities, "severities", "severity")
        self.roles = self._unique(self.rb.roles, "roles", "role")
        self.fields = self._unique(self.rb.fields, "fields", "field")
        self.states = self._unique(self.rb.states, "states", "state")
        self._unique(self.rb.timers, "timers", "timer")
        self.outgoing = {s: [] for s in self.states}

    def start(self) -> None:
        """The initial state exists, the declarer and the paged are roles, and some state ends an incident."""
        rb = self.rb
        if rb.initial not in self.states:
            self.add(("initial",), f"unknown initial state '{rb.initial}'", did_you_mean(rb.initial, self.states))
        if rb.declarer_role:
            self.known_role(("declarer_role",), rb.declarer_role)
        for i, sev in enumerate(rb.severities):
            for j, role in enumerate(sev.page):
                self.known_role(("severities", i, "page", j), role)
        if not any(s.final for s in rb.states):
            self.add(("states",), "no state is final", "mark the state where an incident ends with `final: true`")

    def transitions(self) -> None:
        """Each transition: its trigger, where it goes, where it leaves from, and its guards."""
        for i, tr in enumerate(self.rb.transitions):
            self._trigger_and_dest(i, tr)
            sources = self.rb.sources(tr)
            self._sources(i, tr, sources)
            for j, guard in enumerate(tr.guards):
                self._guard(("transitions", i, "guards", j), guard, sources)

    def _trigger_and_dest(self, i: int, tr: Transition) -> None:
        base = ("transitions", i)
        if tr.trigger in RESERVED_TRIGGERS:
            self.add(base + ("trigger",), f"'{tr.trigger}' is a reserved word and cannot be a trigger",
                     "choose another name, e.g. a verb such as 'escalate'")
        if tr.dest not in self.states:
            self.add(base + ("dest",), f"unknown state '{tr.dest}' in transitions[{i}].dest",
                     did_you_mean(tr.dest, self.states))

    def _sources(self, i: int, tr: Transition, sources: list[str]) -> None:
        """The states a transition leaves from exist, and no two transitions share a trigger from one state."""
        base = ("transitions", i)
        for j, source in enumerate(sources):
            where = base + (("source", j) if isinstance(tr.source, list) else ("source",))
            if source not in self.states:
                self.add(where, f"unknown state '{source}' in transitions[{i}].source",
                         did_you_mean(source, self.states))
                continue
            if (source, tr.trigger) in self.seen_triggers and tr.source != "*":
                first = self.src.at(("transitions", self.seen_triggers[(source, tr.trigger)], "trigger"))[0]
                self.add(base + ("trigger",), f"duplicate trigger '{tr.trigger}' from state '{source}'",
                         f"line {first} already defines it; merge them or rename one")
            self.seen_triggers.setdefault((source, tr.trigger), i)
            self.outgoing[source].append(tr.dest)

    def _guard(self, gpath: PathKey, guard: Guard, sources: list[str]) -> None:
        """A guard waits for something this runbook can bring about."""
        if guard.published and guard.published not in self.drafted:
            self.add(gpath, f"guard waits for a published '{guard.published}' post, "
                     "but no state, timer or step of this runbook drafts one",
                     did_you_mean(guard.published, self.drafted))
        if guard.field and guard.field not in self.fields:
            self.add(gpath, f"unknown field '{guard.field}'", did_you_mean(guard.field, self.fields))
        if guard.role:
            self.known_role(gpath, guard.role)
        if guard.checklist:
            for source in sources:
                if source in self.by_name and not self.by_name[source].checklist:
                    self.add(gpath, f"guard needs the checklist of '{source}' done, "
                             "but that state has no checklist", "add a checklist or drop the guard")

    def ends(self) -> None:
        """A final state has no way out; every other state has one."""
        for i, state in enumerate(self.rb.states):
            if state.final and self.outgoing.get(state.name):
                self.add(("states", i, "name"), f"final state '{state.name}' has transitions out of it",
                         "drop `final: true` or those transitions")
            if not state.final and state.name in self.outgoing and not self.outgoing[state.name]:
                self.add(("states", i, "name"), f"state '{state.name}' has no way out and is not final",
                         "add a transition from it, or mark it `final: true`")

    def reachable(self) -> None:
        """Every state can be reached from the initial one."""
        rb = self.rb
        if rb.initial not in self.states:
            return
        reached = {rb.initial}
        queue = deque([rb.initial])
        while queue:
            for dest in self.outgoing.get(queue.popleft(), []):
                if dest in self.states and dest not in reached:
                    reached.add(dest)
                    queue.append(dest)
        for i, state in enumerate(rb.states):
            if state.name not in reached and rb.states.index(state) == i:
                self.add(("states", i, "name"),
                         f"state '{state.name}' cannot be reached from the initial state '{rb.initial}'",
                         "add a transition into it or remove it")

    def timers(self) -> None:
        """Each timer: its states, its period, who it reminds, what stops it, and how far ahead it drafts."""
        for i, timer in enumerate(self.rb.timers):
            base = ("timers", i)
            for j, state in enumerate(timer.states):
                if state not in self.states:
                    self.add(base + ("states", j), f"unknown state '{state}' in timer '{timer.name}'",
                             did_you_mean(state, self.states))
            self._timer_after(base, timer)
            for key in ("remind", "escalate"):
                role = getattr(timer.action, key)
                if role:
                    self.known_role(base + ("action", key), role)
            self._timer_until(base, timer)
            self._timer_ahead(base, timer)

    def _timer_after(self, base: PathKey, timer: Timer) -> None:
        """The period is a duration or a severity setting."""
        if timer.after.startswith("severity."):
            setting = timer.after.removeprefix("severity.")
            if setting not in SEVERITY_DURATIONS:
                self.add(base + ("after",), f"unknown severity setting '{setting}'",
                         did_you_mean(setting, SEVERITY_DURATIONS))
            return
        try:
            parse_duration(timer.after)
        except ValueError as error:
            self.add(base + ("after",), f"bad duration in timer '{timer.name}': {error}",
                     "or name a severity setting such as severity.update_every")

    def _timer_until(self, base: PathKey, timer: Timer) -> None:
        """What stops the timer is a field of this runbook, or a post it drafts."""
        if timer.until_field and timer.until_field not in self.fields:
            self.add(base + ("until_field",), f"unknown field '{timer.until_field}'",
                     did_you_mean(timer.until_field, self.fields))
        if timer.until_published and timer.until_published not in self.drafted:
            self.add(base + ("until_published",),
                     f"timer waits for a published '{timer.until_published}' post, but nothing drafts one",
                     did_you_mean(timer.until_published, self.drafted))

    def _timer_ahead(self, base: PathKey, timer: Timer) -> None:
        """A timer drafts ahead by less than its shortest period."""
        if timer.ahead is None:
            return
        shortest = _shortest(timer, self.rb)
        if shortest is not None and timer.ahead >= shortest:
            self.add(base + ("ahead",), f"`ahead` of timer '{timer.name}' is not shorter than its period "
                     f"({format_duration(shortest)} at the shortest)", "draft ahead by less than the period")

    def tone(self) -> None:
        """The tone rules the runbook blocks exist."""
        for i, rule in enumerate(self.rb.tone.block or []):
            if rule not in TONE_RULES:
                self.add(("tone", "block", i), f"unknown tone rule '{rule}'", did_you_mean(rule, TONE_RULES))


def _shortest(timer: Any, rb: Runbook) -> timedelta | None:
    """The timer's shortest period over the runbook's severities."""
    if not timer.after.startswith("severity."):
        try:
            return parse_duration(timer.after)
        except ValueError:
            return None
    setting = timer.after.removeprefix("severity.")
    if setting not in SEVERITY_DURATIONS:
        return None
    return min(getattr(s, setting) for s in rb.severities)


def draft_sites(rb: Runbook) -> list[tuple[PathKey, str]]:
    """Every place the runbook names a post kind to draft."""
    sites: list[tuple[PathKey, str]] = [
        (("states", i, "draft"), s.draft) for i, s in enumerate(rb.states) if s.draft
    ]
    sites += [
        (("timers", i, "action", "draft"), t.action.draft)
        for i, t in enumerate(rb.timers)
        if t.action.draft
    ]
    # a step taken by publishing a post: the team drafts that post to take it
    sites += [(("transitions", i, "post"), t.post) for i, t in enumerate(rb.transitions) if t.post]
    return sites
