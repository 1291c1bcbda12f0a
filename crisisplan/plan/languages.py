"""The plan speaks every language it lists and never contradicts itself: component, group and support-channel
labels in each locale, a fallback locale the plan has, and the organisation's support hours agreeing with the
support channels (the footer and "Reach us" of the status page show both)."""

from __future__ import annotations

import dataclasses
from typing import Any

from crisisplan.plan.schema import PlanSettings


def public_hours(settings: PlanSettings) -> str:
    """The hours the status page footer names beside the phone number: the `phone` support channel's when the
    plan has one (so the footer and "Reach us" say the same), else `organisation.support_hours`."""
    phone = next((c for c in settings.support if c.name == "phone"), None)
    return phone.hours if phone is not None else settings.organisation.support_hours


def language_problems(settings: PlanSettings, src: Any) -> list[Any]:
    """Warnings: a label without words in one of the plan's languages (the page shows the default locale's words
    there, unless a fallback is allowed); errors: a fallback or default locale the plan does not list."""
    found = []
    locales = settings.locales
    for key in ("default_locale", "fallback_locale"):
        value = getattr(settings, key)
        if value is not None and value not in locales:
            found.append(src.problem((key,), f"{key} '{value}' is not one of locales: {', '.join(locales)}"))
    others = [loc for loc in locales if loc != settings.default_locale]

    def warn(path: tuple[Any, ...], message: str, hint: str) -> None:
        found.append(dataclasses.replace(src.problem(path, message, hint), severity="warning"))

    for kind, items in (("components", settings.components), ("support", settings.support)):
        for i, item in enumerate(items):
            missing = [loc for loc in others if loc not in item.labels]
            if missing:
                warn((kind, i, "label"), f"'{item.name}' has no label in {', '.join(missing)}",
                     f"write label: {{{settings.default_locale}: {item.label}, {missing[0]}: ...}}")
    for i, component in enumerate(settings.components):
        missing = [loc for loc in others if component.group and loc not in component.group_labels]
        if missing:
            warn(("components", i, "group"), f"group '{component.group}' of '{component.name}' has no name in "
                 f"{', '.join(missing)}", f"write group: {{{settings.default_locale}: {component.group}, "
                 f"{missing[0]}: ...}}")
    stated = settings.organisation.support_hours
    phone = next((c for c in settings.support if c.name == "phone"), None)
    if stated and phone is not None and stated != phone.hours:
        warn(("organisation", "support_hours"), f"support_hours says '{stated}' but the phone channel (support) "
             f"is staffed '{phone.hours}'; the status page would show both",
             f"remove support_hours (the page then shows the phone channel's hours) or make it '{phone.hours}'")
    return found
