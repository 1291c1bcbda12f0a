"""What a page of complaints taken in together shares (services/complaints.py `_take_in`).

A page is taken in at one moment, in one transaction: the open incidents triage matches against, the incident each
topic joins and the "is it fixed?" questions asked are read once for the page, not once per complaint, and kept
true while the page changes them (a burst that declares an incident halfway through the page is seen by the rest of
it, exactly as one complaint at a time would see it). The audit notes a complaint adds to an incident wait here and
go into its chain in the order they were made, one change per incident, before anything else changes that incident.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crisisplan.engine import Event
from crisisplan.store.models import SignalRow


@dataclass
class Page:
    """The shared reads and pending notes of one page of complaints."""

    done: int = 0  # complaints of the page taken in so far (a failure names the next one)
    triage: tuple[Any, ...] | None = None  # triage's inputs from the plan and the open incidents (None: read again)
    open_for: dict[str, int | None] = field(default_factory=dict)  # group key -> the open incident it joins
    asked: dict[int, datetime] | None = None  # incident -> when "is it fixed?" was published (None: not read yet)
    recorded: dict[str, SignalRow] = field(default_factory=dict)  # source id -> its signal, recorded before or now
    notes: dict[int, list[Event]] = field(default_factory=dict)  # incident -> audit notes not yet in its chain
    times: dict[str, list[datetime]] = field(default_factory=dict)  # group key -> its complaints' times, in order

    def read_times(self, session: Session, moments: list[datetime], within: timedelta) -> None:
        """When each complaint on each topic came, for every one a burst of this page can count: from the earliest
        moment less `within` to the latest (stored as UTC, so they compare here as in the database)."""
        self.times = {}
        if not moments:
            return
        for key, at in session.execute(select(SignalRow.group_key, SignalRow.at).where(
                SignalRow.source == "complaint", SignalRow.at >= min(moments) - within,
                SignalRow.at <= max(moments))):
            self.times.setdefault(key, []).append(at)
        for found in self.times.values():
            found.sort()

    def recent(self, group_key: str, at: datetime, within: timedelta) -> int:
        """How many complaints on this topic came from `at` less `within` to `at` (both included)."""
        found = self.times.get(group_key, [])
        return bisect.bisect_right(found, at) - bisect.bisect_left(found, at - within)

    def recorded_at(self, group_key: str, at: datetime) -> None:
        """A complaint of the page on this topic, recorded: the next ones count it."""
        bisect.insort(self.times.setdefault(group_key, []), at)

    def restart(self) -> None:
        """Forget what was read and noted: the page is taken in again from its first complaint."""
        self.__init__()  # type: ignore[misc]

    def note(self, incident_id: int, kind: str, actor: str, at: datetime, **payload: Any) -> None:
        """An audit note for the incident's chain, written with the others of the page."""
        self.notes.setdefault(incident_id, []).append(Event(kind, at, actor, payload))

    def joined(self, group_key: str, incident_id: int) -> None:
        """A signal of this group joined this incident: the group's open incident is read again if it differs."""
        if group_key in self.open_for and self.open_for[group_key] != incident_id:
            del self.open_for[group_key]

    def declared(self) -> None:
        """An incident was declared: triage and every group see it from the next complaint on."""
        self.triage = None
        self.open_for.clear()


def recorded(session: Session, source_ids: list[str]) -> dict[str, SignalRow]:
    """The complaints among these source ids recorded already, by source id (one query per 500)."""
    found: dict[str, SignalRow] = {}
    unique = sorted(set(source_ids))
    for first in range(0, len(unique), 500):
        found.update((row.source_id, row) for row in session.scalars(select(SignalRow).where(
            SignalRow.source == "complaint", SignalRow.source_id.in_(unique[first:first + 500]))))
    return found
