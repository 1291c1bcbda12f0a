"""Which language a text is in (lingua), among the plan's languages only. Pure: lingua ships its models.

A detector is built once per set of languages, when first asked (it takes a moment and some memory).
"""

from __future__ import annotations

import functools
import re

from crisisplan.comms.lemmas import blank

MIN_LETTERS = 20  # fewer letters than this say too little about the language to act on
CONFIDENT = 0.8  # how sure the detector must be before a post is called out as being in another language
_ISO = {"en": "ENGLISH", "es": "SPANISH", "fr": "FRENCH", "de": "GERMAN", "it": "ITALIAN", "pt": "PORTUGUESE",
        "nl": "DUTCH", "ca": "CATALAN", "pl": "POLISH", "sv": "SWEDISH", "da": "DANISH", "fi": "FINNISH"}


@functools.lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]):  # noqa: ANN202 - lingua's types come from a compiled module
    from lingua import Language, LanguageDetectorBuilder

    chosen = [getattr(Language, _ISO[code]) for code in languages if code in _ISO]
    return LanguageDetectorBuilder.from_languages(*chosen).build()


def _plain(text: str) -> str:
    return re.sub(r"[*_#>`\[\]()]|\d+", " ", blank(text))


def detect(text: str, languages: tuple[str, ...], default: str | None = None) -> tuple[str | None, float]:
    """(the language code the text is most likely in, how sure), among `languages`; (default, 0) when the text is
    too short to tell or the plan has fewer than two languages lingua knows."""
    codes = tuple(sorted({code.split("_")[0] for code in languages if code.split("_")[0] in _ISO}))
    plain = _plain(text)
    if len(codes) < 2 or sum(c.isalpha() for c in plain) < MIN_LETTERS:
        return default, 0.0
    values = _detector(codes).compute_language_confidence_values(plain)
    if not values:
        return default, 0.0
    best = values[0]
    code = next(c for c in codes if _ISO[c] == best.language.name)
    return code, float(best.value)


def other_language(text: str, locale: str, languages: tuple[str, ...]) -> str | None:
    """The plan language the text is written in when that is surely not `locale`'s; else None."""
    code, sure = detect(text, languages)
    return code if code is not None and code != locale.split("_")[0] and sure >= CONFIDENT else None
