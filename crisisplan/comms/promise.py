"""The next-update promise as words: find the time a text names, restate it, check texts agree — pure.

A post's promise is one value (its `next_update_at`); every locale and channel of its
text must name that time, in the words `format_moment` writes for the locale.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from crisisplan.comms.render import format_moment

_CLOCK_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3])[:h.]([0-5]\d)(?![\d:])")


class PromiseMismatch(ValueError):
    """A text does not name the time its post promises."""


def find_moment(text: str, time_zone: str, now: datetime) -> tuple[datetime, str] | None:
    """The first clock time a text names (HH:MM, in the organisation's zone), as the next moment it
    can mean after `now`, and the words that name it; None when the text names no time."""
    match = _CLOCK_TIME.search(text)
    if match is None:
        return None
    tz = ZoneInfo(time_zone)
    local = now.astimezone(tz)
    moment = local.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    if moment <= local:
        moment += timedelta(days=1)
    return moment.astimezone(now.tzinfo), match[0]


def restate(texts: dict[str, str], said: dict[str, str], new: datetime, time_zone: str,
            now: datetime) -> tuple[dict[str, str], dict[str, str]]:
    """Every locale's text with the promised time replaced by `new`; returns (texts, how each now says it).

    Refuses (PromiseMismatch) a text that does not name the old time: it cannot be moved silently.
    """
    result, words = dict(texts), dict(said)
    for locale, old in said.items():
        text = texts.get(locale)
        if text is None:
            continue
        if old not in text:
            raise PromiseMismatch(f"the {locale} text no longer names the promised time ({old}); "
                                  "write the new time into it or redraft the post")
        words[locale] = format_moment(new, locale, time_zone, now)
        result[locale] = text.replace(old, words[locale])
    return result, words


def disagreeing(texts: dict[str, str], promised: datetime, time_zone: str) -> list[str]:
    """The locales whose text does not name the promised time (its HH:MM in the organisation's zone)."""
    local = promised.astimezone(ZoneInfo(time_zone))
    wanted = (local.hour, local.minute)
    return sorted(locale for locale, text in texts.items()
                  if text and wanted not in {(int(h), int(m)) for h, m in _CLOCK_TIME.findall(text)})
