"""Every language whole: what holds a post back because one of the plan's languages fell behind or is missing."""

from __future__ import annotations

from crisisplan.comms.context import missing_translations
from crisisplan.engine.incident import Incident
from crisisplan.plan.schema import PlanSettings, Runbook


def stale_after_edit(locales: list[str], stale: list[str], edited: str, before: str, after: str) -> list[str]:
    """The stale locales once `edited` changed from `before` to `after`: the edited one is up to date. Catching up a
    stale language leaves the others as they were; a change in an up-to-date one leaves every other language with
    a text stale (a language without text is missing, not stale)."""
    if before == after or edited in stale:
        return [loc for loc in stale if loc != edited]
    return sorted({*stale, *(loc for loc in locales if loc != edited)} - {edited})


def language_problems(settings: PlanSettings, runbook: Runbook, incident: Incident, bodies: dict[str, str],
                      stale: list[str], public: bool) -> list[str]:
    """Why the post cannot go out yet, one line a reason: a language left stale by an edit of another (every
    post); a language with no text, or an incident title or public field not written in it (a public post,
    unless the plan names a fallback locale)."""
    found = [f"its {loc} text is stale after an edit in another language: edit it, or confirm it unchanged "
             f"(crisisplan post confirm-locale POST --locale {loc})" for loc in stale]
    if not public or settings.fallback_locale:
        return found
    found += [f"it has no {loc} text: write it (a public post speaks every language of the plan)"
              for loc in settings.locales if not (bodies.get(loc) or "").strip()]
    missing = missing_translations(settings, runbook, incident)
    if missing:
        found.append("the incident's public words are missing in " + ", ".join(missing)
                     + ": give them (`crisisplan translate INCIDENT --locale ..`), or set fallback_locale in plan.yaml")
    return found
