"""How easy a text is to read, per locale (textstat): Flesch reading ease for English, Fernández-Huerta for
Spanish (both 0-100, higher is easier), against a target per channel. Pure.

A short reply to an upset person should read at about 60 or more ("plain English"); a status page can be a
little harder. The plan may set its own targets (plan.yaml `tone.readability`, channel -> lowest score).
"""

from __future__ import annotations

import functools
import re

from crisisplan.comms.lemmas import blank, tokenise

# channel -> the lowest score a text may have; below it, a warning names the sentence to shorten
DEFAULT_TARGETS = {"status_page": 50.0, "email": 50.0, "chat": 55.0, "social_short": 55.0, "social_long": 55.0,
                   "sms": 55.0}
DEFAULT_TARGET = 50.0
MIN_WORDS = 15  # a shorter text has too few words for a score that means anything
_MARKUP = re.compile(r"[*_#>`\[\]()]")


@functools.lru_cache(maxsize=4)
def _stats(lang: str):  # noqa: ANN202 - textstat has no type hints
    from textstat.textstat import textstatistics

    stats = textstatistics()
    stats.set_lang(lang)
    return stats


@functools.lru_cache(maxsize=4096)
def score(text: str, lang: str) -> float:
    """The text's reading ease in `lang`: Flesch (en) or Fernández-Huerta (es)."""
    plain = _MARKUP.sub(" ", blank(text))
    stats = _stats("es" if lang == "es" else "en")
    return float(stats.fernandez_huerta(plain) if lang == "es" else stats.flesch_reading_ease(plain))


def target(channel: str, targets: dict[str, float] | None = None) -> float:
    """The lowest score a text on `channel` may have: the plan's, else the default."""
    return (targets or {}).get(channel, DEFAULT_TARGETS.get(channel, DEFAULT_TARGET))


def hard_to_read(text: str, lang: str, channel: str,
                 targets: tuple[tuple[str, float], ...] = ()) -> tuple[float, float, tuple[int, int]] | None:
    """(score, target, span of the sentence to shorten) when the text reads harder than its channel's target;
    None when it reads well enough or is too short to judge. The sentence named is the longest one."""
    tokens, sentences = tokenise(text, "es" if lang == "es" else "en")
    body = [s for s in sentences if not s.heading]
    if sum(s.words for s in body) < MIN_WORDS:
        return None
    wanted = target(channel, dict(targets))
    plain = " ".join(text[s.start:s.end].rstrip(".!?") + "." for s in body)
    found = score(plain, lang)
    if found >= wanted:
        return None
    longest = max(body, key=lambda s: s.words)
    return found, wanted, (longest.start, longest.end)
