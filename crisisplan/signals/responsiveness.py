"""How responsive the team is, per support channel: of the complaints that came in over a window, the share
answered and the median time to the first answer. Pure: the complaints and their first answers are passed in.

A complaint counts as answered at the moment the first reply to it was delivered (the record of the outbox:
e-mail accepted by the SMTP server, a network that took the reply), not when a reply was drafted or approved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import median


@dataclass(frozen=True)
class Complaint:
    """One complaint as the figures need it: no author, no text."""

    channel: str
    at: datetime  # when it reached us
    answered_at: datetime | None  # when the first reply to it was delivered


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's responsiveness over the window."""

    channel: str
    complaints: int
    answered: int
    share: float | None  # answered / complaints; None without complaints
    median_minutes: float | None  # of the answered ones; None when none was answered

    def as_dict(self) -> dict[str, object]:
        """For JSON and templates."""
        return {"channel": self.channel, "complaints": self.complaints, "answered": self.answered,
                "share": self.share, "median_minutes": self.median_minutes}


def figures(complaints: Iterable[Complaint], channels: Iterable[str] = ()) -> list[ChannelFigures]:
    """Per channel: `channels` first in their order (the plan's support channels, shown even when quiet), then
    any other channel complaints came in on, by name. A reply recorded before its complaint (clocks of two
    machines) counts as an answer at once, never as a negative time."""
    by_channel: dict[str, list[Complaint]] = {name: [] for name in channels}
    for complaint in complaints:
        by_channel.setdefault(complaint.channel, []).append(complaint)
    listed = list(dict.fromkeys(channels))
    order = listed + sorted(set(by_channel) - set(listed))
    result = []
    for name in order:
        items = by_channel[name]
        waits = [max((c.answered_at - c.at).total_seconds(), 0) / 60 for c in items if c.answered_at is not None]
        result.append(ChannelFigures(name, len(items), len(waits), len(waits) / len(items) if items else None,
                                     median(waits) if waits else None))
    return result
