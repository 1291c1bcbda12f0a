"""The labelled tone corpus (tests/data/tone/<locale>.tsv) and how the rules score on it, per rule.

Each row: the rules a comms lead would flag in the text (comma-separated, or `none`), the post kind, the text.
Only the rules about what a text says are labelled; the ones about what it lacks (apology, thanks, next
update, directive) or the channel's length depend on the post kind and are tested in tests/test_tone.py.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).parent / "data" / "tone"
LABELLED = ("contradiction", "blame", "bare_refusal", "dismissive", "apology_first", "one_apology",
            "passive_evasion", "vague_promise", "personal_data", "spelling", "readability", "wrong_language",
            "problem_word", "speculation", "shouting", "placeholder")
LANGUAGES = ("en", "es")


@dataclasses.dataclass(frozen=True)
class Row:
    line: int
    rules: frozenset[str]
    kind: str
    text: str


def load(locale: str) -> list[Row]:
    """The corpus of one locale, every label checked against the rule ids."""
    rows = []
    with open(DATA / f"{locale}.tsv", encoding="utf-8", newline="") as handle:
        for line, record in enumerate(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=2):
            rules = frozenset() if record["rules"] == "none" else frozenset(record["rules"].split(","))
            unknown = rules - set(LABELLED)
            if unknown:
                raise ValueError(f"{locale}.tsv:{line}: unknown rule(s) {sorted(unknown)}")
            rows.append(Row(line, rules, record["kind"], record["text"]))
    return rows


def context(locale: str, kind: str):  # noqa: ANN201 - the Context of whichever checkout runs this
    """The tone context a published post of this kind gets from the shipped plan (as far as the code has it)."""
    from crisisplan import SHIPPED_PLAN
    from crisisplan.comms.tone import Context
    from crisisplan.plan.load import load_plan

    plan = _plan(SHIPPED_PLAN, load_plan)
    org = plan.settings.organisation
    wanted = {"locale": locale, "kind": kind, "channel": "status_page", "jargon": tuple(plan.settings.tone.jargon),
              "block": tuple(plan.settings.tone.block), "own_contacts": (org.support_email, org.phone)}
    try:
        from crisisplan.comms.tone_plan import plan_tone

        wanted.update(plan_tone(plan.settings))
    except ImportError:  # the code before the lemma rules: no phrases, vocabulary or languages to pass
        pass
    return Context(**wanted)


_PLANS: dict[object, object] = {}


def _plan(root: object, load_plan: Callable[[object], object]):  # noqa: ANN202
    if root not in _PLANS:
        _PLANS[root] = load_plan(root)
    return _PLANS[root]


def predicted(row: Row, locale: str) -> frozenset[str]:
    """The labelled rules the checker fires on a row."""
    from crisisplan.comms.tone import check

    return frozenset(f.rule for f in check(row.text, context(locale, row.kind))) & set(LABELLED)


@dataclasses.dataclass
class Score:
    rule: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def evaluate(locale: str) -> tuple[dict[str, Score], list[tuple[Row, frozenset[str]]]]:
    """Per rule: true and false positives and misses over the corpus; and the rows where checker and label
    disagree, with what the checker said."""
    scores = {rule: Score(rule) for rule in LABELLED}
    wrong = []
    for row in load(locale):
        said = predicted(row, locale)
        for rule in LABELLED:
            if rule in said and rule in row.rules:
                scores[rule].tp += 1
            elif rule in said:
                scores[rule].fp += 1
            elif rule in row.rules:
                scores[rule].fn += 1
        if said != row.rules:
            wrong.append((row, said))
    return scores, wrong
