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
from crisisplan.plan.schema import SEVERITY_DURATIONS, TONE_RULES, Runbook
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
    """Cross-reference checks a schema cannot express."""
    out: list[Problem] = []

    def add(path: PathKey, message: str, hint: str = "") -> None:
        out.append(src.problem(path, message, hint))

    def unique(items: list[Any], key: str, what: str) -> set[str]:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            name = item.name
            if name in seen:
                first = src.at((key, seen[name], "name"))[0]
                add((key, i, "name"), f"duplicate {what} '{name}'", f"first defined on line {first}")
            else:
                seen[name] = i
        return set(seen)

    unique(rb.severities, "severities", "severity")
    roles = unique(rb.roles, "roles", "role")
    fields = unique(rb.fields, "fields", "field")
    states = unique(rb.states, "states", "state")
    unique(rb.timers, "timers", "timer")
    by_name = {s.name: s for s in rb.states}
    drafted = {kind for _, kind in draft_sites(rb)}

    def known_role(path: PathKey, role: str) -> None:
        if role not in roles:
            add(path, f"unknown role '{role}'", did_you_mean(role, roles))

    if rb.initial not in states:
        add(("initial",), f"unknown initial state '{rb.initial}'", did_you_mean(rb.initial, states))
    if rb.declarer_role:
        known_role(("declarer_role",), rb.declarer_role)
    for i, sev in enumerate(rb.severities):
        for j, role in enumerate(sev.page):
            known_role(("severities", i, "page", j), role)
    if not any(s.final for s in rb.states):
        add(("states",), "no state is final", "mark the state where an incident ends with `final: true`")

    outgoing: dict[str, list[str]] = {s: [] for s in states}
    seen_triggers: dict[tuple[str, str], int] = {}
    for i, tr in enumerate(rb.transitions):
        base = ("transitions", i)
        if tr.trigger in RESERVED_TRIGGERS:
            add(base + ("trigger",), f"'{tr.trigger}' is a reserved word and cannot be a trigger",
                "choose another name, e.g. a verb such as 'escalate'")
        if tr.dest not in states:
            add(base + ("dest",), f"unknown state '{tr.dest}' in transitions[{i}].dest",
                did_you_mean(tr.dest, states))
        sources = rb.sources(tr)
        for j, source in enumerate(sources):
            where = base + (("source", j) if isinstance(tr.source, list) else ("source",))
            if source not in states:
                add(where, f"unknown state '{source}' in transitions[{i}].source",
                    did_you_mean(source, states))
                continue
            if (source, tr.trigger) in seen_triggers and tr.source != "*":
                first = src.at(("transitions", seen_triggers[(source, tr.trigger)], "trigger"))[0]
                add(base + ("trigger",), f"duplicate trigger '{tr.trigger}' from state '{source}'",
                    f"line {first} already defines it; merge them or rename one")
            seen_triggers.setdefault((source, tr.trigger), i)
            outgoing[source].append(tr.dest)
        for j, guard in enumerate(tr.guards):
            gpath = base + ("guards", j)
            if guard.published and guard.published not in drafted:
                add(gpath, f"guard waits for a published '{guard.published}' post, "
                    "but no state, timer or step of this runbook drafts one", did_you_mean(guard.published, drafted))
            if guard.field and guard.field not in fields:
                add(gpath, f"unknown field '{guard.field}'", did_you_mean(guard.field, fields))
            if guard.role:
                known_role(gpath, guard.role)
            if guard.checklist:
                for source in sources:
                    if source in by_name and not by_name[source].checklist:
                        add(gpath, f"guard needs the checklist of '{source}' done, "
                            "but that state has no checklist", "add a checklist or drop the guard")

    for i, state in enumerate(rb.states):
        if state.final and outgoing.get(state.name):
            add(("states", i, "name"), f"final state '{state.name}' has transitions out of it",
                "drop `final: true` or those transitions")
        if not state.final and state.name in outgoing and not outgoing[state.name]:
            add(("states", i, "name"), f"state '{state.name}' has no way out and is not final",
                "add a transition from it, or mark it `final: true`")

    if rb.initial in states:
        reached = {rb.initial}
        queue = deque([rb.initial])
        while queue:
            for dest in outgoing.get(queue.popleft(), []):
                if dest in states and dest not in reached:
                    reached.add(dest)
                    queue.append(dest)
        for i, state in enumerate(rb.states):
            if state.name not in reached and rb.states.index(state) == i:
                add(("states", i, "name"),
                    f"state '{state.name}' cannot be reached from the initial state '{rb.initial}'",
                    "add a transition into it or remove it")

    for i, timer in enumerate(rb.timers):
        base = ("timers", i)
        for j, state in enumerate(timer.states):
            if state not in states:
                add(base + ("states", j), f"unknown state '{state}' in timer '{timer.name}'",
                    did_you_mean(state, states))
        if timer.after.startswith("severity."):
            setting = timer.after.removeprefix("severity.")
            if setting not in SEVERITY_DURATIONS:
                add(base + ("after",), f"unknown severity setting '{setting}'",
                    did_you_mean(setting, SEVERITY_DURATIONS))
        else:
            try:
                parse_duration(timer.after)
            except ValueError as error:
                add(base + ("after",), f"bad duration in timer '{timer.name}': {error}",
                    "or name a severity setting such as severity.update_every")
        for key in ("remind", "escalate"):
            role = getattr(timer.action, key)
            if role:
                known_role(base + ("action", key), role)
        if timer.until_field and timer.until_field not in fields:
            add(base + ("until_field",), f"unknown field '{timer.until_field}'",
                did_you_mean(timer.until_field, fields))
        if timer.until_published and timer.until_published not in drafted:
            add(base + ("until_published",),
                f"timer waits for a published '{timer.until_published}' post, but nothing drafts one",
                did_you_mean(timer.until_published, drafted))
        if timer.ahead is not None:
            shortest = _shortest(timer, rb)
            if shortest is not None and timer.ahead >= shortest:
                add(base + ("ahead",), f"`ahead` of timer '{timer.name}' is not shorter than its period "
                    f"({format_duration(shortest)} at the shortest)", "draft ahead by less than the period")

    for i, rule in enumerate(rb.tone.block or []):
        if rule not in TONE_RULES:
            add(("tone", "block", i), f"unknown tone rule '{rule}'", did_you_mean(rule, TONE_RULES))
    return out


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
