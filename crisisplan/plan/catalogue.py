"""The words around the posts, read and checked: `templates/<locale>/catalogue.yaml` of the plan.

The status page, its subscription pages, the e-mails, the feeds and the API show words of their own besides
the posts; the comms team words them here, one file a language. `read_catalogue` reads every locale's file
and reports, with file:line, what the code could not show (`crisisplan validate` lists them);
`crisisplan.comms.catalogue` looks the words up.
"""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crisisplan.errors import PlanError, Problem, did_you_mean
from crisisplan.plan.source import Located, read_yaml

# The words around the posts: templates/<locale>/catalogue.yaml, one mapping a section, each a mapping of keys
# to text. This is what the code shows (crisisplan.comms.catalogue looks words up): the keys of each section
# and the {names} each text may use. `teams` are free: the escalation matrix's roles, as a reply names them.
CATALOGUE_FILE = "catalogue.yaml"
TEAMS = "teams"
CATALOGUE_SECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "page": {
        **{key: () for key in (
            "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance",
            "investigating", "identified", "monitoring", "resolved", "postmortem",
            "all_ok", "some", "major", "components", "active", "none_active", "history", "none_past",
            "help", "status", "started", "resolved_at", "back", "language", "updates",
            "reach_us", "answer_within", "always", "days", "unit_d", "unit_h", "unit_m",
            "subscribe", "email", "which", "none_ticked", "send_me", "feeds",
            "check_inbox", "check_inbox_text", "confirm_title", "confirm", "confirmed", "leave_title", "leave",
            "left", "bad_link", "bad_link_text", "bad_email", "bad_components", "too_many")},
        "confirm_text": ("email",), "confirmed_text": ("email",), "leave_text": ("email",),
        "left_text": ("email",),
        # the history: the status page's link to it, and /history?month=YYYY-MM
        **{key: () for key in ("all_history", "none_month", "newer", "older", "month_before", "month_after")},
        "more_active": ("count",), "history_of": ("month",),
        # maintenance windows and the uptime bars (web/maintenance.py, web/uptime.py)
        **{key: () for key in ("scheduled", "in_progress", "verifying", "completed", "maintenance_active",
                               "maintenance_upcoming", "maintenance_from", "maintenance_until", "calendar",
                               "uptime_incidents")},
        "uptime_title": ("days",), "uptime_note": ("weight",), "uptime_figure": ("percent",),
        "uptime_day": ("day", "percent"), "uptime_no_data": ("day",), "uptime_worst": ("status",),
        # responsiveness next to "Reach us" (plan.yaml support_metrics: public): aggregates of a channel
        "support_figure": ("days", "percent", "count", "median"), "support_none": ("days", "count"),
        "support_few": ("days",),
    },
    "email": {
        "why": ("org",), "leave": (), "page": (), "list_name": ("org",), "confirm_subject": ("org",),
        "confirm_body": ("org", "what"), "confirm_ignore": (), "confirm_button": (), "everything": (),
    },
    "feed": {"title": ("org",), "incident_title": ("title", "org"), "entry_title": ("title", "status")},
    "cap": {"index_title": ("org",), "index_entry": ("title", "status"), "event": (),
            "area": ("org", "components"), "all_services": ()},
    "api": {"none": (), "minor": (), "major": (), "critical": ()},
}
DAYS = 7  # page.days: the names of Monday … Sunday, separated by spaces

Words = dict[str, dict[str, dict[str, str]]]  # locale -> section -> key -> text


@dataclass(frozen=True)
class CatalogueFiles:
    """Every locale's catalogue as written (no fallback applied: crisisplan.comms.catalogue does that)."""

    default_locale: str
    own: Words = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # locale -> the file its words came from
    # locale -> where each key stands in its file, for problems found later
    sources: dict[str, Located] = field(default_factory=dict, repr=False, compare=False)


def _names(text: str) -> list[str]:
    """The {names} a text asks for; ValueError when its braces do not pair up."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _warning(problem: Problem) -> Problem:
    return dataclasses.replace(problem, severity="warning")


def _catalogue_text(src: Located, section: str, key: str, text: object, problems: list[Problem]) -> str | None:
    """The text when the code can show it; None (and the problem noted) when not."""
    where = (section, key)
    if not isinstance(text, str):
        problems.append(src.problem(where, f"{section}.{key} must be text (got {type(text).__name__})",
                                    "put the words in quotes"))
        return None
    allowed = () if section == TEAMS else CATALOGUE_SECTIONS[section][key]
    try:
        names = _names(text)
    except ValueError as error:
        problems.append(src.problem(where, f"{section}.{key}: {error}",
                                    "write {name} for a value the code fills in, {{ and }} for a brace"))
        return None
    for name in names:
        if name not in allowed:
            filled = ", ".join("{" + a + "}" for a in allowed) or "nothing"
            problems.append(src.problem(where, f"{section}.{key} uses {{{name}}}, but only {filled} is filled in",
                                        did_you_mean(name, allowed) if allowed else "take it out"))
            return None
    if where == ("page", "days") and len(text.split()) != DAYS:
        problems.append(src.problem(where, f"page.days needs {DAYS} names, Monday first, separated by spaces "
                                           f"(got {len(text.split())})"))
        return None
    return text


def _read_catalogue_file(path: Path, shown: str, problems: list[Problem]) -> tuple[dict[str, dict[str, str]],
                                                                                      Located | None]:
    try:
        src = read_yaml(path, shown)
    except PlanError as error:
        problems.extend(error.problems)
        return {}, None
    if not isinstance(src.data, dict):
        problems.append(src.problem((), "a catalogue is a mapping of sections (page, email, feed, cap, api, teams)"))
        return {}, None
    words: dict[str, dict[str, str]] = {}
    for section, entries in src.data.items():
        if section != TEAMS and section not in CATALOGUE_SECTIONS:
            problems.append(_warning(src.problem((section,), f"unknown section '{section}'",
                                                  did_you_mean(section, [*CATALOGUE_SECTIONS, TEAMS]))))
            continue
        if not isinstance(entries, dict):
            problems.append(src.problem((section,), f"section '{section}' must be a mapping of keys to text"))
            continue
        words[section] = {}
        for key, text in entries.items():
            if section != TEAMS and key not in CATALOGUE_SECTIONS[section]:
                problems.append(_warning(src.problem((section, key), f"unknown key '{section}.{key}'; it is not "
                                                     "shown", did_you_mean(key, CATALOGUE_SECTIONS[section]))))
                continue
            checked = _catalogue_text(src, section, key, text, problems)
            if checked is not None:
                words[section][key] = checked
    return words, src


def read_catalogue(templates: Path, locales: Iterable[str], default_locale: str,
                   shown: Callable[[Path], str] = str) -> tuple[CatalogueFiles, list[Problem]]:
    """Read `<templates>/<locale>/catalogue.yaml` for every locale: the words as written, and every problem.

    Errors: what the code cannot show (a key the default locale lacks, a {name} it does not fill in, text that
    is not text). Warnings: what shows the default locale's words instead (a key or a whole file missing in
    another locale) and keys nothing shows. `shown` names a path in problems."""
    problems: list[Problem] = []
    own: Words = {}
    files: dict[str, str] = {}
    sources: dict[str, Located] = {}
    for locale in dict.fromkeys([default_locale, *locales]):
        path = templates / locale / CATALOGUE_FILE
        files[locale] = shown(path)
        if not path.is_file():
            if locale == default_locale:
                problems.append(Problem(shown(path), 1, 1, f"no catalogue for the default locale '{locale}': the "
                                        "status page, e-mails and feeds have no words to show",
                                        f"copy {CATALOGUE_FILE} from templates/en/ of the shipped plan "
                                        "(crisisplan init)"))
            else:
                problems.append(Problem(shown(path), 1, 1, f"no catalogue for locale '{locale}': its pages, "
                                        f"e-mails and feeds show the '{default_locale}' words",
                                        f"copy templates/{default_locale}/{CATALOGUE_FILE} here and translate it",
                                        severity="warning"))
            continue
        own[locale], src = _read_catalogue_file(path, shown(path), problems)
        if src is not None:
            sources[locale] = src
    default, default_src = own.get(default_locale), sources.get(default_locale)
    if default is not None and default_src is not None:
        for section, keys in CATALOGUE_SECTIONS.items():
            for key in keys:
                if key not in default.get(section, {}):
                    problems.append(default_src.problem((section,) if section in default_src.data else (),
                                                        f"no '{section}.{key}' in the default locale's catalogue",
                                                        f"add it under `{section}:`; the code shows it"))
        for locale, src in sources.items():
            if locale == default_locale:
                continue
            for section, entries in default.items():
                for key in entries:
                    if key in own[locale].get(section, {}):
                        continue
                    there = f"{default_src.file}:{default_src.at((section, key))[0]}"
                    shows = ("its replies do not name that team" if section == TEAMS
                             else f"the '{default_locale}' words are shown")
                    problems.append(_warning(src.problem((section,) if section in src.data else (),
                                                         f"no '{section}.{key}' for locale '{locale}': {shows}",
                                                         f"translate {there}")))
    return CatalogueFiles(default_locale, own, files, sources), problems
