"""The incident as the engine sees it: plain data, no database, no clock."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Event:
    """Something that happened; becomes one audit-chain entry."""

    kind: str
    at: datetime
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class TimerState:
    """How one of the incident's timers runs: since when, when it last fired, and which promise is at risk."""

    # When the timer became active (its states were entered); None while inactive.
    anchor: datetime | None = None
    fired_at: datetime | None = None
    fired: int = 0
    # the due time whose promise was marked at risk (and its next update drafted ahead)
    at_risk_for: datetime | None = None


@dataclass
class Incident:
    """One incident as the on-call team works it: severity, state, fields, roles, checklist, posts and timers."""

    runbook_id: str
    severity: str
    title: str
    state: str
    declared_at: datetime
    state_entered_at: datetime
    id: int | None = None
    version: int = 0
    is_drill: bool = False
    components: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    # state name -> indices of its checklist items that are done
    checklist: dict[str, list[int]] = field(default_factory=dict)
    # post kind -> when a post of that kind was last published
    published: dict[str, datetime] = field(default_factory=dict)
    last_published_at: datetime | None = None
    # the next update the last public post promised, when it named its own time
    promised_update_at: datetime | None = None
    timers: dict[str, TimerState] = field(default_factory=dict)
    escalations: int = 0
    # a live drill: {"scenario", "started_at", "speed", "injected"}; None for everything else
    drill: dict[str, Any] | None = None
    # locale -> the public words in that language: {"title": ..., and each public field with a value}; `title`
    # and `fields` hold the default locale's
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    # a maintenance window's planned (start, end); None for everything else
    window: tuple[datetime, datetime] | None = None

    def public_text(self, name: str, locale: str, default_locale: str, fallback: str | None = None) -> str | None:
        """`title` or a public field in that language: the default locale's own words (`title`, `fields`), else
        its translation, else the fallback locale's; None when the language lacks it and no fallback has it, or
        when the field itself has no value."""
        def own(lang: str) -> str | None:
            if lang == default_locale:
                return self.title if name == "title" else self.fields.get(name)
            return (self.translations.get(lang) or {}).get(name)

        if name != "title" and not (self.fields.get(name) or "").strip():
            return None  # the field is the fact; a translation without it says nothing (it was cleared)
        found = own(locale)
        if not found and fallback and fallback != locale:
            found = own(fallback)
        return found or None

    def copy(self) -> Incident:
        """A copy a command may change freely (cheaper than deepcopy: only the containers are new)."""
        return dataclasses.replace(
            self, components=list(self.components), fields=dict(self.fields), roles=dict(self.roles),
            checklist={k: list(v) for k, v in self.checklist.items()}, published=dict(self.published),
            timers={k: dataclasses.replace(v) for k, v in self.timers.items()},
            drill=dict(self.drill) if self.drill else None,
            translations={k: dict(v) for k, v in self.translations.items()})

    def to_record(self) -> dict[str, Any]:
        """JSON-ready dict of the parts the store keeps as documents."""
        return {
            "fields": dict(self.fields),
            "roles": dict(self.roles),
            "checklist": {k: list(v) for k, v in self.checklist.items()},
            "published": {k: v.isoformat() for k, v in self.published.items()},
            "promised_update_at": self.promised_update_at.isoformat() if self.promised_update_at else None,
            "drill": dict(self.drill) if self.drill else None,
            "translations": {k: dict(v) for k, v in self.translations.items()},
            **({"window": [self.window[0].isoformat(), self.window[1].isoformat()]} if self.window else {}),
            "timers": {
                name: {k: (v.isoformat() if isinstance(v, datetime) else v)
                       for k, v in vars(t).items()}  # flat: vars() is enough, and much cheaper than asdict()
                for name, t in self.timers.items()
            },
        }

    @staticmethod
    def window_from_record(data: list[str] | None) -> tuple[datetime, datetime] | None:
        """Read a maintenance window back from what the store kept."""
        return (datetime.fromisoformat(data[0]), datetime.fromisoformat(data[1])) if data else None

    @staticmethod
    def timers_from_record(data: dict[str, Any]) -> dict[str, TimerState]:
        """Read the incident's timers back from what the store kept."""
        def when(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return {
            name: TimerState(when(t["anchor"]), when(t["fired_at"]), int(t["fired"]), when(t.get("at_risk_for")))
            for name, t in data.items()
        }
