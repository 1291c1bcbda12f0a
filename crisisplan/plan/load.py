"""Load a plan directory: plan.yaml, runbooks/*.yaml and templates/<locale>/ (the message templates, and
`catalogue.yaml`, the words around them, which `crisisplan.plan.catalogue` reads).

`check_plan` collects every problem of every file at once; `load_plan` raises
them together as one PlanError.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from pydantic import BaseModel, PrivateAttr, ValidationError

from crisisplan.errors import CrisisplanError, PlanError, Problem, did_you_mean
from crisisplan.plan.catalogue import TEAMS, CatalogueFiles, read_catalogue
from crisisplan.plan.checks import draft_sites, runbook_problems, validation_problems
from crisisplan.plan.connectors import connector_problems
from crisisplan.plan.defaults import default_runbook, default_runbook_problems
from crisisplan.plan.languages import language_problems
from crisisplan.plan.maintenance import window_problems
from crisisplan.plan.schema import TONE_RULES, PlanSettings, Runbook
from crisisplan.plan.source import Located, read_yaml
from crisisplan.plan.steps import step_problems
from crisisplan.plan.tone_phrases import READABILITY_CHANNELS, ToneBook, read_tone

TEMPLATE_SUFFIX = ".md.j2"
M = TypeVar("M", bound=BaseModel)
VARIANTS = ("short",)


# What a complaint's author is answered from at once, by what triage decided (services/signals.py): a holding
# reply, or that the case went up the escalation matrix. Every locale needs both.
REPLY_KINDS = {"holding": "holding_reply", "escalated": "escalation_notice"}


class LoadedSettings(PlanSettings):
    """plan.yaml as loaded, with the plan's catalogue beside it: code handed only the settings (the outbox
    worker's mailer) finds the words there."""

    _catalogue: CatalogueFiles | None = PrivateAttr(default=None)
    _tone: ToneBook | None = PrivateAttr(default=None)


def catalogue_files(settings: PlanSettings) -> CatalogueFiles:
    """The catalogue of the plan these settings were loaded with."""
    catalogue = getattr(settings, "_catalogue", None)
    if catalogue is None:
        raise CrisisplanError("these settings were not loaded from a plan, so they carry no catalogue of words; "
                              "load the plan with load_plan()")
    return catalogue


def tone_book(settings: PlanSettings) -> ToneBook | None:
    """The tone phrases of the plan these settings were loaded with (None: the shipped plan's are used)."""
    return getattr(settings, "_tone", None)


@dataclass
class Plan:
    root: Path
    settings: PlanSettings
    runbooks: dict[str, Runbook] = field(default_factory=dict)
    sources: dict[str, Located] = field(default_factory=dict)
    # (locale, runbook id or "", post kind) -> template file
    templates: dict[tuple[str, str, str], Path] = field(default_factory=dict)
    # the words around the posts (status page, e-mails, feeds), per locale: templates/<locale>/catalogue.yaml
    catalogue: CatalogueFiles = field(default_factory=lambda: CatalogueFiles("en"))
    # the tone rules' phrases, per locale: templates/<locale>/tone.yaml
    tone: ToneBook = field(default_factory=ToneBook)

    def runbook(self, runbook_id: str) -> Runbook:
        from crisisplan.errors import NotFound

        try:
            return self.runbooks[runbook_id]
        except KeyError:
            raise NotFound(
                f"no runbook '{runbook_id}' in {self.root / 'runbooks'}; "
                + did_you_mean(runbook_id, self.runbooks)
            ) from None

    def default_runbook(self) -> Runbook | None:
        """The runbook a new incident starts on unless someone picks another (`default_runbook` in plan.yaml)."""
        return default_runbook(self.settings, self.runbooks)

    def template_path(self, locale: str, runbook_id: str, kind: str, variant: str = "") -> Path | None:
        """The runbook's own template for a kind, else the locale's common one.

        `variant="short"` asks for the short form (`<kind>.short.md.j2`) that
        short channels use; None when the plan has none.
        """
        name = f"{kind}.{variant}" if variant else kind
        return self.templates.get((locale, runbook_id, name)) or self.templates.get((locale, "", name))

    def kinds(self) -> set[str]:
        """Every post kind some template writes (short forms are variants, not kinds)."""
        return {kind for (_, _, kind) in self.templates if "." not in kind}


def resolve_plan_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--plan DIR, else CRISISPLAN_PLAN, else the current directory."""
    chosen = explicit or os.environ.get("CRISISPLAN_PLAN") or os.getcwd()
    return Path(chosen).resolve()


def _relative(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _index_templates(root: Path, problems: list[Problem]) -> dict[tuple[str, str, str], Path]:
    index: dict[tuple[str, str, str], Path] = {}
    base = root / "templates"
    if not base.is_dir():
        return index
    syntax = jinja2.Environment()
    for path in sorted(base.rglob(f"*{TEMPLATE_SUFFIX}")):
        parts = path.relative_to(base).parts
        if len(parts) not in (2, 3):
            problems.append(Problem(_relative(root, path), 1, 1,
                                    "template is not where the plan looks for it",
                                    "use templates/<locale>/<kind>.md.j2 or "
                                    "templates/<locale>/<runbook>/<kind>.md.j2"))
            continue
        locale, runbook_id = parts[0], parts[1] if len(parts) == 3 else ""
        kind = path.name.removesuffix(TEMPLATE_SUFFIX)
        if "." in kind and kind.split(".", 1)[1] not in VARIANTS:
            problems.append(Problem(_relative(root, path), 1, 1, f"unknown template variant in '{path.name}'",
                                    "name it <kind>.md.j2, or <kind>.short.md.j2 for the short form"))
            continue
        try:
            syntax.parse(path.read_text(encoding="utf-8"))
        except jinja2.TemplateSyntaxError as error:
            problems.append(Problem(_relative(root, path), error.lineno or 1, 1,
                                    f"template syntax: {error.message}"))
        except UnicodeDecodeError:
            problems.append(Problem(_relative(root, path), 1, 1, "template is not UTF-8 text"))
        index[(locale, runbook_id, kind)] = path
    return index


def read_model(path: Path, name: str, model: type[M], problems: list[Problem],
               what: str) -> tuple[M, Located] | None:
    """A YAML file as `model`, with where each key stands; None (and the problems noted) when it is not one."""
    try:
        src = read_yaml(path, name)
        if not isinstance(src.data, dict):
            problems.append(src.problem((), f"{what} must be a mapping of keys",
                                        "start with `id:`, `title:`, … as in the shipped files"))
            return None
        return model.model_validate(src.data), src
    except PlanError as error:
        problems.extend(error.problems)
    except ValidationError as error:
        problems.extend(validation_problems(error, src, model))
    return None


def _read_settings(root: Path, problems: list[Problem]) -> tuple[LoadedSettings | None, Located | None]:
    """plan.yaml, and where its keys stand; (None, None) and the problems noted when it does not load."""
    settings_path = root / "plan.yaml"
    if not settings_path.is_file():
        problems.append(Problem(_relative(root, settings_path), 1, 1, "plan.yaml is missing",
                                "run `crisisplan init DIR` for a starting plan, or use --plan DIR"))
        return None, None
    src = None
    try:
        src = read_yaml(settings_path, _relative(root, settings_path))
        settings = LoadedSettings.model_validate(src.data)
    except PlanError as error:
        problems.extend(error.problems)
        return None, None
    except ValidationError as error:
        problems.extend(validation_problems(error, src, PlanSettings))
        return None, None
    for i, rule in enumerate(settings.tone.block):
        if rule not in TONE_RULES:
            problems.append(src.problem(("tone", "block", i), f"unknown tone rule '{rule}'",
                                        did_you_mean(rule, TONE_RULES)))
    for channel, lowest in settings.tone.readability.items():
        if channel not in READABILITY_CHANNELS or not 0 <= lowest <= 100:
            problems.append(src.problem(("tone", "readability", channel), f"tone.readability.{channel}: "
                                        + (f"{lowest} is not a reading-ease score (0-100)" if channel in
                                           READABILITY_CHANNELS else f"unknown channel '{channel}'"),
                                        did_you_mean(channel, READABILITY_CHANNELS)))
    if settings.default_locale not in settings.locales:
        problems.append(src.problem(("default_locale",),
                                    f"default locale '{settings.default_locale}' is not in locales",
                                    did_you_mean(settings.default_locale, settings.locales)))
    return settings, src


def check_plan(root: Path) -> tuple[Plan | None, list[Problem]]:
    """Load everything that loads and report every problem found."""
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), 1, 1, "the plan directory does not exist",
                              "pass --plan DIR, set CRISISPLAN_PLAN, or run `crisisplan init DIR`")]
    settings, settings_src = _read_settings(root, problems)
    templates = _index_templates(root, problems)
    plan = Plan(root, settings or PlanSettings.model_validate(
        {"organisation": {"name": "?", "help_url": "?"}}), templates=templates)
    if settings is not None:
        plan.catalogue, found = read_catalogue(root / "templates", settings.locales, settings.default_locale,
                                               lambda path: _relative(root, path))
        problems.extend(found)
        settings._catalogue = plan.catalogue
        plan.tone, found = read_tone(root / "templates", settings.locales, lambda path: _relative(root, path))
        problems.extend(found)
        settings._tone = plan.tone

    runbook_dir = root / "runbooks"
    files = sorted(runbook_dir.glob("*.yaml")) + sorted(runbook_dir.glob("*.yml"))
    if not files:
        problems.append(Problem(_relative(root, runbook_dir), 1, 1, "no runbooks found",
                                "a plan keeps one YAML file a scenario in runbooks/"))
    for path in files:
        loaded = read_model(path, _relative(root, path), Runbook, problems, "a runbook file")
        if loaded is None:
            continue
        runbook, src = loaded
        if runbook.id in plan.runbooks:
            other = plan.sources[runbook.id].file
            problems.append(src.problem(("id",), f"runbook id '{runbook.id}' is used twice",
                                        f"{other} has it too"))
            continue
        found = runbook_problems(runbook, src) + step_problems(runbook, src, plan.kinds())
        found += window_problems(runbook, src)  # plan/maintenance.py: a window's states
        known = plan.kinds() | runbook.post_kinds()
        found += [src.problem(("audiences", kind), f"audiences: '{kind}' is not a post kind (no template writes "
                              "it, the runbook names no such post)", did_you_mean(kind, sorted(known)))
                  for kind in runbook.audiences if kind not in known]
        for path_key, kind in draft_sites(runbook):
            for locale in plan.settings.locales:
                if plan.template_path(locale, runbook.id, kind) is None:
                    found.append(src.problem(
                        path_key, f"no '{kind}' template for locale '{locale}'",
                        f"create templates/{locale}/{kind}{TEMPLATE_SUFFIX}"))
        problems.extend(found)
        plan.runbooks[runbook.id] = runbook
        plan.sources[runbook.id] = src
    if settings is not None and settings_src is not None:
        problems.extend(_signal_problems(plan, settings_src))
        problems.extend(connector_problems(plan.settings, settings_src))
        problems.extend(_catalogue_problems(plan))
        problems.extend(_reply_problems(plan, settings_src))
        problems.extend(language_problems(plan.settings, settings_src))
        problems.extend(default_runbook_problems(plan.settings, plan.runbooks, settings_src))
    return (plan if settings else None), problems


def _catalogue_problems(plan: Plan) -> list[Problem]:
    """The catalogue's `teams` name roles some runbook has."""
    found = []
    roles = {r.name for rb in plan.runbooks.values() for r in rb.roles}
    for locale, words in plan.catalogue.own.items():
        for role in words.get(TEAMS, {}):
            if roles and role not in roles:
                problem = plan.catalogue.sources[locale].problem(("teams", role), f"teams.{role}: no runbook has "
                                                                 "this role", did_you_mean(role, roles))
                found.append(dataclasses.replace(problem, severity="warning"))
    return found


def _reply_problems(plan: Plan, src: Located) -> list[Problem]:
    """Every locale can answer a complaint at once: both reply templates exist (their rendering is checked with
    the other templates')."""
    found: list[Problem] = []
    runbook_id = plan.settings.signals.complaints.runbook
    for i, locale in enumerate(plan.settings.locales):
        for kind in REPLY_KINDS.values():
            if plan.template_path(locale, runbook_id, kind) is None:
                line = src.at(("locales", i))[0]
                missing = plan.root / "templates" / locale / f"{kind}{TEMPLATE_SUFFIX}"
                found.append(Problem(_relative(plan.root, missing), 1, 1,
                                     f"no reply template '{kind}' for locale '{locale}': a complaint in this "
                                     f"language would get no answer ({src.file}:{line} lists '{locale}')",
                                     f"create this file, e.g. from templates/{plan.settings.default_locale}/"
                                     f"{kind}{TEMPLATE_SUFFIX}"))
    return found


def _signal_problems(plan: Plan, src: Any) -> list[Problem]:
    """Alert routes name runbooks and severities that exist; people and the escalation matrix name roles
    some runbook has; every escalation has somebody who can take it."""
    found = []
    roles = {r.name for rb in plan.runbooks.values() for r in rb.roles}
    for i, person in enumerate(plan.settings.people):
        for j, role in enumerate(person.roles):
            if role not in roles:
                found.append(src.problem(("people", i, "roles", j), f"no runbook has the role '{role}'",
                                         did_you_mean(role, roles)))
    complaints = plan.settings.signals.complaints
    if plan.runbooks and complaints.runbook not in plan.runbooks:
        found.append(src.problem(("signals", "complaints", "runbook") if "signals" in src.data else (),
                                 f"no runbook '{complaints.runbook}' for complaints",
                                 did_you_mean(complaints.runbook, plan.runbooks)))
    holders = {role for person in plan.settings.people for role in person.roles}
    for i, row in enumerate(plan.settings.escalation):
        if row.to not in roles:
            found.append(src.problem(("escalation", i, "to"), f"no runbook has the role '{row.to}'",
                                     did_you_mean(row.to, roles)))
        elif plan.settings.people and row.to not in holders:
            found.append(dataclasses.replace(src.problem(
                ("escalation", i, "to"), f"nobody in people takes the role '{row.to}'",
                "add the role to somebody's roles"), severity="warning"))
    for i, route in enumerate(plan.settings.signals.alertmanager.routes):
        where = ("signals", "alertmanager", "routes", i)
        if route.runbook is None:
            continue
        if route.runbook not in plan.runbooks:
            found.append(src.problem((*where, "runbook"), f"no runbook '{route.runbook}'",
                                     did_you_mean(route.runbook, plan.runbooks)))
            continue
        names = [s.name for s in plan.runbooks[route.runbook].severities]
        if route.severity is None or route.severity not in names:
            found.append(src.problem((*where, "severity") if route.severity else where,
                                     f"severity '{route.severity}' is not one of runbook '{route.runbook}': "
                                     f"{', '.join(names)}", did_you_mean(route.severity or "", names)))
    return found


def load_plan(root: str | os.PathLike[str] | None = None) -> Plan:
    plan, problems = check_plan(resolve_plan_dir(root))
    errors = [p for p in problems if p.severity == "error"]
    if errors or plan is None:
        raise PlanError(errors)
    return plan
