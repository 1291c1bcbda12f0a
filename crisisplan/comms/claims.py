"""Claims need their facts: a public text states something the organisation did or knows only when the incident's
record holds it.

The plan declares its claims in `templates/claims.yaml`: per runbook (or `*` for every runbook), each claim names
the fact that backs it (`field: NAME`, a field with a value, or `checklist: "item text"`, a checklist item done)
and the phrases that state it, per locale. `crisisplan validate` renders every template with the fact present and
with it absent: a phrase shown while its fact is absent is an error (the template file and line, and the claim);
a claim no template states in a locale, even with its fact present, is a warning (its phrases are probably
mistyped, and then nothing checks that language).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crisisplan.comms.render import Renderer, TemplateError
from crisisplan.comms.samples import render_incident, sample_incident
from crisisplan.engine import Incident
from crisisplan.errors import PlanError, Problem, did_you_mean
from crisisplan.plan.load import Plan
from crisisplan.plan.schema import Runbook
from crisisplan.plan.source import Located, read_yaml

CLAIMS_FILE = "claims.yaml"  # under templates/
EVERY_RUNBOOK = "*"
FACT_KEYS = ("field", "checklist")


@dataclass(frozen=True)
class Claim:
    """One thing a template may say only when the record holds the fact behind it."""

    runbook: str  # a runbook id, or "*" for every runbook
    name: str
    field: str | None  # the fact: this field has a value …
    checklist: str | None  # … or this checklist item is done
    phrases: dict[str, tuple[str, ...]]  # locale -> the words that state the claim
    file: str
    line: int  # where the claim is declared
    lines: dict[str, int] = dataclasses.field(default_factory=dict)  # locale -> the line of its phrases

    @property
    def fact(self) -> str:
        """The fact in words, for a problem."""
        return f"the field '{self.field}'" if self.field else f"the checklist item \"{self.checklist}\""

    @property
    def guard(self) -> str:
        """The `{% if %}` a template puts the claim behind."""
        fact = f'"{self.field}" in recorded' if self.field else f'"{self.checklist}" in checked'
        return "{% if " + fact + " %} … {% endif %}"

    def applies_to(self, runbook: Runbook) -> bool:
        """Whether this runbook's texts are checked for the claim."""
        return self.runbook in (EVERY_RUNBOOK, runbook.id)

    def holds_in(self, runbook: Runbook) -> bool:
        """Whether the runbook records the fact at all (a field it has, an item of one of its checklists)."""
        if self.field:
            return any(f.name == self.field for f in runbook.fields)
        return any(self.checklist in state.checklist for state in runbook.states)

    def without(self, runbook: Runbook, incident: Incident) -> Incident:
        """A copy of `incident` whose record lacks the fact (and holds everything else it held)."""
        bare = incident.copy()
        if self.field:
            bare.fields[self.field] = ""
            return bare
        for state in runbook.states:
            undone = {i for i, item in enumerate(state.checklist) if item == self.checklist}
            if undone and state.name in bare.checklist:
                bare.checklist[state.name] = [i for i in bare.checklist[state.name] if i not in undone]
        return bare

    def stated(self, locale: str, text: str) -> str | None:
        """The first of the claim's phrases in `text` (any case, any spacing), or None."""
        plain = _plain(text)
        return next((p for p in self.phrases.get(locale, ()) if _plain(p) in plain), None)


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


def claim_problems(plan: Plan) -> list[Problem]:
    """Everything wrong with the plan's claims: the claims file itself (with file:line), every template that
    states a claim without its fact, and every claim no template states in some language."""
    claims, problems = read_claims(plan)
    return problems + check_claims(plan, claims)


def read_claims(plan: Plan) -> tuple[list[Claim], list[Problem]]:
    """The claims `templates/claims.yaml` declares, and the problems of that file; none when the plan has none."""
    path = plan.root / "templates" / CLAIMS_FILE
    if not path.is_file():
        return [], []
    try:
        src = read_yaml(path, f"templates/{CLAIMS_FILE}")
    except PlanError as error:
        return [], list(error.problems)
    return parse_claims(plan, src)


def parse_claims(plan: Plan, src: Located) -> tuple[list[Claim], list[Problem]]:
    """The claims in an already-read claims file, checked against the plan's runbooks and locales."""
    problems: list[Problem] = []
    if not isinstance(src.data, dict):
        return [], [src.problem((), "the claims file is a mapping: a runbook id (or \"*\") to its claims",
                                "see the shipped templates/claims.yaml")]
    claims = []
    for runbook_id, entries in src.data.items():
        if runbook_id != EVERY_RUNBOOK and runbook_id not in plan.runbooks:
            problems.append(src.problem((runbook_id,), f"no runbook '{runbook_id}'",
                                        did_you_mean(runbook_id, [*plan.runbooks, EVERY_RUNBOOK])))
            continue
        if not isinstance(entries, dict):
            problems.append(src.problem((runbook_id,), f"'{runbook_id}' must be a mapping of claim names to "
                                        "their fact and phrases"))
            continue
        for name, entry in entries.items():
            claim = _claim(plan, src, runbook_id, name, entry, problems)
            if claim is not None:
                claims.append(claim)
    return claims, problems


def _claim(plan: Plan, src: Located, runbook_id: str, name: str, entry: Any,
           problems: list[Problem]) -> Claim | None:
    """One claim, or None (and the problems noted) when it cannot be checked."""
    where = (runbook_id, name)
    if not isinstance(entry, dict):
        problems.append(src.problem(where, f"claim '{name}' must be a mapping: field or checklist, and phrases "
                                    "per locale"))
        return None
    locales = plan.settings.locales
    count = len(problems)
    for key in entry:
        if key not in FACT_KEYS and key not in locales:
            problems.append(src.problem((*where, key), f"claim '{name}': unknown key '{key}'",
                                        "name the fact (field or checklist) and the phrases per locale; "
                                        + did_you_mean(key, [*FACT_KEYS, *locales])))
    facts = [key for key in FACT_KEYS if key in entry]
    if len(facts) != 1 or not isinstance(entry[facts[0]], str) or not entry[facts[0]].strip():
        problems.append(src.problem(where, f"claim '{name}' needs exactly one fact: `field: NAME` or "
                                    "`checklist: \"item text\"`"))
        return None
    phrases = {locale: _phrases(src, (*where, locale), name, entry[locale], problems)
               for locale in locales if locale in entry}
    runbooks = [rb for rb in plan.runbooks.values() if runbook_id in (EVERY_RUNBOOK, rb.id)]
    claim = Claim(runbook_id, name, entry.get("field"), entry.get("checklist"), phrases, src.file,
                  src.at(where)[0], {locale: src.at((*where, locale))[0] for locale in phrases})
    if not any(claim.holds_in(rb) for rb in runbooks):
        known = ({f.name for rb in runbooks for f in rb.fields} if claim.field
                 else {item for rb in runbooks for state in rb.states for item in state.checklist})
        whose = "no runbook" if runbook_id == EVERY_RUNBOOK else f"runbook '{runbook_id}'"
        problems.append(src.problem((*where, facts[0]), f"claim '{name}': {whose} has {claim.fact}",
                                    did_you_mean(claim.field or claim.checklist, known)))
    for locale in locales:
        if locale not in entry:
            problems.append(dataclasses.replace(src.problem(
                where, f"claim '{name}' has no phrases for '{locale}': texts in that language are not checked "
                f"for it", f"add `{locale}: [\"…\"]` with the words that state it"), severity="warning"))
    return claim if len(problems) == count or all(p.severity == "warning" for p in problems[count:]) else None


def _phrases(src: Located, where: tuple[str, ...], name: str, value: Any, problems: list[Problem]) -> tuple[str, ...]:
    """A locale's phrases: one text or a list of texts, none empty."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(p, str) and p.strip() for p in items):
        problems.append(src.problem(where, f"claim '{name}': the phrases are a list of texts, none empty",
                                    "e.g. en: [\"we have informed\", \"we told\"]"))
        return ()
    return tuple(items)


Rendered = tuple[str, str, str, Path, str]  # locale, kind, variant, template file, text


def check_claims(plan: Plan, claims: list[Claim]) -> list[Problem]:
    """Render every template each claim applies to with its fact present and absent: an error where a claim is
    stated without its fact, a warning for a claim (in a locale) that no template states even with it."""
    if not claims:
        return []
    renderer = Renderer(plan.root / "templates")
    found: dict[tuple[str, int, str, str], Problem] = {}
    stated: set[tuple[int, str]] = set()
    for runbook in plan.runbooks.values():
        mine = [(i, c) for i, c in enumerate(claims) if c.applies_to(runbook)]
        if not mine:
            continue
        sample = sample_incident(runbook, plan)
        baseline = _texts(plan, runbook, sample, renderer)
        for i, claim in mine:
            holds = claim.holds_in(runbook)
            absent = _texts(plan, runbook, claim.without(runbook, sample), renderer) if holds else baseline
            for locale, _kind, _variant, _path, text in baseline if holds else ():
                if claim.stated(locale, text):
                    stated.add((i, locale))
            for problem in _unbacked(plan, runbook, claim, absent):
                found.setdefault((problem.file, problem.line, claim.runbook, claim.name), problem)
    return list(found.values()) + _never_stated(plan, claims, stated)


def _texts(plan: Plan, runbook: Runbook, incident: Incident, renderer: Renderer) -> list[Rendered]:
    """Every template of the runbook filled in for `incident`; those that fail are reported by
    template_problems, not here."""
    return [(locale, kind, variant, path, result)
            for locale, kind, variant, path, result in render_incident(plan, runbook, incident, renderer)
            if not isinstance(result, TemplateError)]


def _unbacked(plan: Plan, runbook: Runbook, claim: Claim, absent: Iterable[Rendered]) -> list[Problem]:
    """An error for every text that states the claim although the record lacks its fact."""
    problems = []
    for locale, kind, variant, path, text in absent:
        phrase = claim.stated(locale, text)
        if phrase is None:
            continue
        what = f"{kind} ({variant})" if variant else kind
        shown = f"templates/{path.relative_to(plan.root / 'templates').as_posix()}"
        missing = "is empty" if claim.field else "is not done"
        if not claim.holds_in(runbook):
            missing = "does not exist in this runbook"
        problems.append(Problem(
            shown, _line_of(path, phrase), 1,
            f"states the claim '{claim.name}' (\"{phrase}\") although {claim.fact} {missing} "
            f"(rendering '{what}' for runbook '{runbook.id}')",
            f"say it only inside {claim.guard}; the claim is declared at {claim.file}:{claim.line}"))
    return problems


def _line_of(path: Path, phrase: str) -> int:
    """The first template line that holds the phrase; 1 when Jinja2 builds it from pieces."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    wanted = _plain(phrase)
    return next((n for n, line in enumerate(lines, 1) if wanted in _plain(line)), 1)


def _never_stated(plan: Plan, claims: list[Claim], stated: set[tuple[int, str]]) -> list[Problem]:
    """A warning for each claim and locale whose phrases no template shows, even with the fact present."""
    problems = []
    for i, claim in enumerate(claims):
        if not any(claim.applies_to(rb) and claim.holds_in(rb) for rb in plan.runbooks.values()):
            continue  # reported when the file was read
        for locale, phrases in claim.phrases.items():
            if phrases and (i, locale) not in stated:
                problems.append(Problem(
                    claim.file, claim.lines.get(locale, claim.line), 1,
                    f"claim '{claim.name}' is never stated in '{locale}', even when {claim.fact} holds: no "
                    f"template shows any of its phrases", "check the phrases against the templates' words "
                    "(a typo here leaves that language unchecked), or remove the claim", "warning"))
    return problems
