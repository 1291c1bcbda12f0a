"""What the inbox works out from complaints, without I/O: topics this week against the week before, and whether a
customer's reply to "is it fixed?" says yes or no (the first-answer deadline: crisisplan.signals.promise)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

WEEK = timedelta(days=7)
@dataclass(frozen=True)
class TopicWeeks:
    """Complaints on one topic: in the last 7 days, and in the 7 days before."""

    topic: str
    this_week: int
    last_week: int

    @property
    def change(self) -> int:
        return self.this_week - self.last_week


def topic_weeks(moments: list[tuple[datetime, str]], now: datetime) -> list[TopicWeeks]:
    """(when, topic) of each complaint counted into the last 7 days up to `now` (now - 7 days < at <= now) and the
    7 days before it; the busiest topic this week first, then last week's, then by name."""
    this, last = Counter(), Counter()
    for at, topic in moments:
        if now - WEEK < at <= now:
            this[topic] += 1
        elif now - 2 * WEEK < at <= now - WEEK:
            last[topic] += 1
    topics = set(this) | set(last)
    rows = [TopicWeeks(t, this[t], last[t]) for t in topics]
    return sorted(rows, key=lambda r: (-r.this_week, -r.last_week, r.topic))


# the answer to "is it working for you again?": not fixed wins when both are said ("yes, but it still fails")
_NOT_FIXED = {
    "en": ("no", "not", "still", "again", "doesn't", "does not", "isn't", "is not", "broken", "same problem",
           "not working", "nope"),
    "es": ("no", "sigue", "sigo", "todavía", "aún", "otra vez", "igual", "falla", "roto"),
}
_FIXED = {
    "en": ("yes", "yep", "fixed", "works", "working", "solved", "resolved", "all good", "sorted", "ok", "okay"),
    "es": ("sí", "funciona", "arreglado", "resuelto", "solucionado", "todo bien", "perfecto", "vale"),
}


def fix_verdict(text: str, locale: str = "en") -> str:
    """`fixed`, `not_fixed` or `unclear`: what a customer's own words say to "is it fixed for you?" (whole words,
    in their language; English words count in any language)."""
    lower = text.lower()

    def said(words: dict[str, tuple[str, ...]]) -> bool:
        found = set(words.get(locale.split("_")[0], ())) | set(words["en"])
        return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", lower) for w in found)

    if said(_NOT_FIXED):
        return "not_fixed"
    return "fixed" if said(_FIXED) else "unclear"
