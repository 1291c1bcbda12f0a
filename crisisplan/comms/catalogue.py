"""The words around the posts, looked up per locale: `templates/<locale>/catalogue.yaml` of the plan.

The status page, its subscription pages, the e-mails, the Atom and CAP feeds and the
JSON API show words of their own besides the posts (headings, status names, buttons,
e-mail footers). They belong to the plan, beside the message templates, so that the
comms team words them and a new language is data only: copy `templates/en/` to
`templates/fr/`, translate, add `fr` to `locales:` in plan.yaml.

The plan layer reads and checks the files (`crisisplan.plan.catalogue.read_catalogue`,
reported by `crisisplan validate` with file:line); this module says which words show:
a key a locale lacks shows the default locale's words, a locale the plan does not
have (or a region of one: `es_MX`) its language's or the default's. Team names
(`teams:`, the roles of the escalation matrix as a reply says them) never fall back:
a reply with no team name in its own language is worded without one.

Pure: files in, words out; no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crisisplan.errors import PlanError, Problem
from crisisplan.plan.catalogue import CATALOGUE_SECTIONS as SECTIONS
from crisisplan.plan.catalogue import TEAMS, CatalogueFiles, read_catalogue
from crisisplan.plan.load import Plan, catalogue_files
from crisisplan.plan.schema import PlanSettings

__all__ = ["SECTIONS", "Catalogue", "catalogue_of", "load_catalogue"]


@dataclass(frozen=True)
class Catalogue:
    """Every locale's words as written, and as shown."""

    files: CatalogueFiles

    @property
    def default_locale(self) -> str:
        """The locale whose words fill the gaps of the others."""
        return self.files.default_locale

    def words(self, locale: str, section: str) -> dict[str, str]:
        """A section's words in `locale`, the default locale's filling the gaps."""
        base = self.files.own.get(self.default_locale, {}).get(section, {})
        chosen = self._locale(locale)
        if chosen == self.default_locale:
            return dict(base)
        return {**base, **self.files.own.get(chosen, {}).get(section, {})}

    def team(self, locale: str, role: str) -> str | None:
        """The locale's own words for the people in `role`, or None: never another language's."""
        return self.files.own.get(self._locale(locale), {}).get(TEAMS, {}).get(role) or None

    def _locale(self, locale: str) -> str:
        own = self.files.own
        if locale in own:
            return locale
        language = locale.split("_")[0]
        return language if language in own else self.default_locale


def load_catalogue(templates: Path, locales: Iterable[str], default_locale: str) -> tuple[Catalogue, list[Problem]]:
    """The words of a plan's templates folder for these locales, and every problem found in them."""
    files, problems = read_catalogue(templates, locales, default_locale)
    return Catalogue(files), problems


def catalogue_of(source: Plan | PlanSettings) -> Catalogue:
    """The catalogue of a loaded plan, or of the settings it was loaded with (all the outbox worker has)."""
    if isinstance(source, Plan):
        return Catalogue(source.catalogue)
    return Catalogue(catalogue_files(source))


def catalogue_from(templates: Path, locales: Iterable[str], default_locale: str) -> Catalogue:
    """The catalogue, or PlanError with every error found (warnings do not stop it)."""
    catalogue, problems = load_catalogue(templates, locales, default_locale)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise PlanError(errors)
    return catalogue
