"""What a plan tells the tone rules beyond `tone.block` and `tone.jargon`: its phrases (templates/<locale>/
tone.yaml), its own words for the spelling check, its languages and its readability targets. Pure: the plan is
loaded already."""

from __future__ import annotations

from crisisplan.plan.load import tone_book
from crisisplan.plan.schema import PlanSettings


def vocabulary(settings: PlanSettings) -> tuple[str, ...]:
    """The plan's own words, spelt right whatever a dictionary says: the organisation, its components and groups
    in every language, its people and support channels, its jargon."""
    words = [settings.organisation.name, *settings.tone.jargon]
    for component in settings.components:
        words += [component.name, component.label, *component.labels.values(), component.group,
                  *component.group_labels.values()]
    words += [p.label for p in settings.people] + [s.label for s in settings.support]
    words += [label for s in settings.support for label in s.labels.values()]
    return tuple(dict.fromkeys(w for w in words if w))


def plan_tone(settings: PlanSettings) -> dict[str, object]:
    """The plan's part of a tone Context, as keyword arguments: `Context(locale=…, **plan_tone(settings))`."""
    return {"phrases": tone_book(settings), "vocabulary": vocabulary(settings),
            "languages": tuple(settings.locales),
            "readability": tuple(sorted(settings.tone.readability.items()))}
