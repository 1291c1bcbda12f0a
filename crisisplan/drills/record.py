"""What happened in one drill, as plain data: all the scoring and the report read.

Services builds it from the database (`Services.drill_record`); a test may build
one by hand. Nothing here touches a database or a clock.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crisisplan.comms.tone import Context
from crisisplan.drills.scenario import Inject, Scenario
from crisisplan.engine import Incident
from crisisplan.plan.schema import Runbook

AuditEvent = tuple[datetime, str, str, dict[str, Any]]  # (at, kind, actor, payload), in the trail's order


@dataclass(frozen=True)
class DrillPost:
    """A post that went out in the drill: its words, who wrote and approved them, when."""

    id: int
    kind: str
    published_at: datetime
    bodies: dict[str, str]  # locale -> Markdown text on the status page
    short_bodies: dict[str, str] = field(default_factory=dict)
    author: str = ""
    approvals: list[dict[str, Any]] = field(default_factory=list)  # [{"by", "at"}]
    next_update_at: datetime | None = None


@dataclass
class DrillRecord:
    """One drill: the scenario, the plan's runbook, and what the incident went through."""

    scenario: Scenario
    runbook: Runbook
    incident: Incident  # the engine's view of the incident as the drill ended
    started_at: datetime
    ended_at: datetime
    events: list[AuditEvent] = field(default_factory=list)
    posts: list[DrillPost] = field(default_factory=list)  # the published posts, in the order they were made
    promises: dict[str, Any] = field(default_factory=lambda: {"kept": 0, "broken": 0, "rate": None})
    injects: list[tuple[datetime, Inject]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # scripted actions the plan refused
    # the incident's tone rules (the plan's jargon, which rules block) in the plan's default locale
    tone: Context = field(default_factory=Context)
    incident_id: int | None = None

    def tone_context(self, locale: str | None = None, kind: str | None = None,
                     channel: str = "social_short") -> Context:
        """The tone rules for one text: the incident's rules, in `locale` (default: the plan's), for `kind`."""
        return dataclasses.replace(self.tone, locale=locale or self.tone.locale, kind=kind, channel=channel)
