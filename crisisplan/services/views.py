"""What the use cases return: views of incidents and posts as people and the public read them."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crisisplan.engine import TriggerOption

ACK_TIMER, UPDATE_TIMER = "acknowledge_by", "next_update"
SYSTEM_ACTOR = "crisisplan"  # the actor of what timers do


def default_actor() -> str:
    """Who is acting when nobody says: the login name of the person at the terminal."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


@dataclass
class PublicUpdate:
    """One published update as the status page shows it, with the status the incident had when it went out."""

    id: int
    kind: str
    at: datetime
    status: str  # investigating / identified / monitoring / resolved when it went out
    bodies: dict[str, str]  # locale -> Markdown


@dataclass
class PublicIncident:
    """An incident as the public sees it on the status page: impact, status, components and updates."""

    id: int
    title: str
    impact: str
    status: str
    declared_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    components: list[str]
    updates: list[PublicUpdate]
    # locale -> the title in that language, where the incident has one (`title` is the default locale's)
    titles: dict[str, str] = field(default_factory=dict)
    # a maintenance window's planned start and end (None for an incident)
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None

    def title_in(self, locale: str, fallback: str | None = None) -> str:
        """The title in that language, else in the fallback locale, else the default locale's."""
        return self.titles.get(locale) or (self.titles.get(fallback) if fallback else None) or self.title

    @property
    def active(self) -> bool:
        """Whether the incident is still going on, as far as the public is told."""
        return self.status not in ("resolved", "postmortem", "completed")


@dataclass
class Drafted:
    """A post's text as its templates write it."""

    bodies: dict[str, str] = field(default_factory=dict)
    short_bodies: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    promise: datetime | None = None  # the next-update time the text names
    promise_text: dict[str, str] = field(default_factory=dict)  # locale -> how the text names it


@dataclass
class Deadline:
    """A running timer's due time, with the label the runbook gives it."""

    timer: str
    label: str
    due_at: datetime


@dataclass
class IncidentView:
    """An incident as people read it: state, deadlines, what can happen next."""

    id: int
    title: str
    runbook_id: str
    severity: str
    state: str
    state_label: str
    public_status: str | None
    is_drill: bool
    closed: bool
    declared_at: datetime
    version: int
    components: list[str]
    fields: dict[str, str]
    roles: dict[str, str]
    checklist: list[tuple[str, bool]]
    escalations: int
    deadlines: list[Deadline] = field(default_factory=list)
    options: list[TriggerOption] = field(default_factory=list)
    # the next-update promise now: on_track, at_risk (inside its `ahead` window) or broken
    # (missed, and no public post since); None while no promise runs
    promise: str | None = None
    acknowledgement: str | None = None  # the acknowledge-by promise, the same way
    # locale -> the title and public fields in that language (the default locale's are `title` and `fields`)
    translations: dict[str, dict[str, str]] = field(default_factory=dict)

    def deadline(self, timer: str) -> datetime | None:
        """When the named timer is due, or None when it is not running."""
        return next((d.due_at for d in self.deadlines if d.timer == timer), None)

    def as_dict(self) -> dict[str, Any]:
        """The incident as plain data, for the JSON the command line and the API return."""
        return {
            "id": self.id, "title": self.title, "runbook": self.runbook_id,
            "severity": self.severity, "state": self.state, "state_label": self.state_label,
            "public_status": self.public_status, "drill": self.is_drill, "closed": self.closed,
            "declared_at": self.declared_at.isoformat(), "version": self.version,
            "components": self.components, "fields": self.fields, "roles": self.roles,
            "translations": self.translations,
            "checklist": [{"item": text, "done": done} for text, done in self.checklist],
            "escalations": self.escalations,
            "acknowledge_by": _iso(self.deadline(ACK_TIMER)),
            "next_update_due": _iso(self.deadline(UPDATE_TIMER)),
            "promise": self.promise, "acknowledgement": self.acknowledgement,
            "deadlines": [{"timer": d.timer, "label": d.label, "due_at": d.due_at.isoformat()}
                          for d in self.deadlines],
            "triggers": [{"trigger": o.trigger, "dest": o.dest, "allowed": o.allowed,
                          "blocked_by": list(o.blocked_by)} for o in self.options],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def instance_dir(plan_root: Path) -> Path:
    """Where the embedded database lives: CRISISPLAN_INSTANCE or <plan>/instance."""
    return Path(os.environ.get("CRISISPLAN_INSTANCE") or plan_root / "instance")

