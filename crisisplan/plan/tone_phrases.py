"""The tone rules' phrases, read and checked: `templates/<locale>/tone.yaml` of the plan.

The comms team words the rules: each rule that looks for phrases lists them there, one per line, as plain
words ("you are wrong"). The checker (crisisplan.comms.phrases) compares lemmas, not letters, so "You're
completely wrong" and "you were wrong" match the same line. `read_tone` reads every locale's file and reports,
with file:line, what the checker could not use (`crisisplan validate` lists them). A locale without a file of
its own uses the shipped plan's file for its language, so an older plan keeps every rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crisisplan.errors import PlanError, Problem, did_you_mean
from crisisplan.plan.source import Located, read_yaml

# the tone rules a plan may name (tone.block, drill expectations); crisisplan.comms.tone implements them
TONE_RULES = ("apology", "thanks", "next_update", "directive", "contradiction", "blame", "bare_refusal",
              "problem_word", "speculation", "jargon", "shouting", "too_long", "placeholder", "personal_data",
              "dismissive", "apology_first", "one_apology", "passive_evasion", "vague_promise", "spelling",
              "readability", "wrong_language")
# the rules whose words live in tone.yaml (apology_first and one_apology use apology's phrases)
PHRASE_RULES = ("apology", "thanks", "next_update", "contradiction", "blame", "bare_refusal", "dismissive",
                "passive_evasion", "vague_promise", "problem_word", "speculation")
# the channels a plan may give a readability target (plan.yaml tone.readability); crisisplan.comms.channels has them
READABILITY_CHANNELS = ("status_page", "social_short", "social_long", "email", "chat", "sms")
TONE_FILE = "tone.yaml"
KEYS = ("phrases", "unless", "fires", "quiet")
GAP = ".."  # up to three words of any kind in between
BAG = " + "  # these words in one sentence, in any order


@dataclass(frozen=True)
class RulePhrases:
    """One rule's words in one locale: what fires it, what keeps it quiet, and examples of both."""

    phrases: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    fires: tuple[str, ...] = ()  # texts the rule must flag
    quiet: tuple[str, ...] = ()  # texts the rule must leave alone


@dataclass(frozen=True, eq=False)
class ToneBook:
    """Every locale's rule phrases as written. Compared by identity: one plan load, one book."""

    rules: dict[str, dict[str, RulePhrases]] = field(default_factory=dict)  # locale -> rule -> phrases
    files: dict[str, str] = field(default_factory=dict)  # locale -> the file its phrases came from

    def locale(self, locale: str) -> dict[str, RulePhrases]:
        """A locale's rules: its own, else its language's, else English's."""
        return self.rules.get(locale) or self.rules.get(locale.split("_")[0]) or self.rules.get("en", {})


def pattern_problem(pattern: str) -> str | None:
    """Why a phrase cannot be matched, or None when it can."""
    if not pattern.strip():
        return "an empty phrase"
    if BAG.strip() in pattern.split():
        parts = [p.strip() for p in pattern.split(BAG.strip())]
        if any(not p or GAP in p.split() for p in parts):
            return f"'{pattern}': words joined by '+' are single words, without '{GAP}'"
        return None
    words = pattern.split()
    if words[0] == GAP or words[-1] == GAP:
        return f"'{pattern}': '{GAP}' stands between two words"
    if any(not any(c.isalnum() for c in w) for w in words if w != GAP):
        return f"'{pattern}': every word needs a letter"
    return None


def _strings(src: Located, where: tuple[str | int, ...], value: object, problems: list[Problem],
             phrases: bool) -> tuple[str, ...]:
    if not isinstance(value, list):
        problems.append(src.problem(where, f"{'.'.join(map(str, where))} must be a list, one item a line",
                                    "write each item on its own line, starting with '- '"))
        return ()
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(src.problem((*where, i), f"{'.'.join(map(str, where))}[{i}] must be text",
                                        "put the words in quotes"))
            continue
        why = pattern_problem(item) if phrases else None
        if why:
            problems.append(src.problem((*where, i), why, f"plain words, '{GAP}' for a gap, '+' for any order"))
            continue
        found.append(item.strip())
    return tuple(found)


def _read_tone_file(path: Path, shown: str, problems: list[Problem]) -> dict[str, RulePhrases]:
    try:
        src = read_yaml(path, shown)
    except PlanError as error:
        problems.extend(error.problems)
        return {}
    if not isinstance(src.data, dict):
        problems.append(src.problem((), "tone.yaml is a mapping of rule ids to their phrases",
                                    f"start with one of: {', '.join(PHRASE_RULES)}"))
        return {}
    rules: dict[str, RulePhrases] = {}
    for rule, entry in src.data.items():
        if rule not in PHRASE_RULES:
            problems.append(src.problem((rule,), f"unknown rule '{rule}' (rules with phrases: "
                                                 f"{', '.join(PHRASE_RULES)})", did_you_mean(str(rule), PHRASE_RULES)))
            continue
        if not isinstance(entry, dict):
            problems.append(src.problem((rule,), f"'{rule}' must be a mapping with `phrases:`",
                                        "indent `phrases:` under the rule"))
            continue
        values: dict[str, tuple[str, ...]] = {}
        for key, value in entry.items():
            if key not in KEYS:
                problems.append(src.problem((rule, key), f"unknown key '{rule}.{key}'", did_you_mean(str(key), KEYS)))
                continue
            values[key] = _strings(src, (rule, key), value, problems, key in ("phrases", "unless"))
        if not values.get("phrases"):
            problems.append(src.problem((rule,), f"'{rule}' has no phrases", "list at least one under `phrases:`"))
        rules[rule] = RulePhrases(**values)
    return rules


def read_tone(templates: Path, locales: Iterable[str], shown: Callable[[Path], str] = str) -> tuple[ToneBook,
                                                                                                     list[Problem]]:
    """Read `<templates>/<locale>/tone.yaml` for every locale: the phrases as written, and every problem.

    A locale without its own file takes the shipped plan's for its language (or none, for a language the
    shipped plan does not speak: its posts get the rules that need no phrases)."""
    problems: list[Problem] = []
    rules: dict[str, dict[str, RulePhrases]] = {}
    files: dict[str, str] = {}
    for locale in dict.fromkeys(locales):
        path = templates / locale / TONE_FILE
        if path.is_file():
            rules[locale], files[locale] = _read_tone_file(path, shown(path), problems), shown(path)
            continue
        shipped = shipped_book().locale(locale.split("_")[0]) if locale.split("_")[0] in shipped_book().rules \
            else {}
        rules[locale], files[locale] = shipped, shipped_book().files.get(locale.split("_")[0], "")
        problems.append(Problem(shown(path), 1, 1, f"no tone phrases for locale '{locale}': "
                                + ("the shipped ones are used" if shipped else "only the rules without phrases run"),
                                f"copy {TONE_FILE} from the shipped plan's templates (crisisplan init) to add yours",
                                severity="warning"))
    return ToneBook(rules, files), problems


@functools.lru_cache(maxsize=1)
def shipped_book() -> ToneBook:
    """The shipped plan's phrases (templates/en and templates/es): what a text is checked against when no plan
    is at hand, and what a plan without a tone.yaml of its own uses."""
    from crisisplan import SHIPPED_PLAN

    problems: list[Problem] = []
    base = SHIPPED_PLAN / "templates"
    rules = {loc.name: _read_tone_file(loc / TONE_FILE, str(loc / TONE_FILE), problems)
             for loc in sorted(base.iterdir()) if (loc / TONE_FILE).is_file()}
    if [p for p in problems if p.severity == "error"]:
        raise PlanError(problems)
    return ToneBook(rules, {loc: str(base / loc / TONE_FILE) for loc in rules})
