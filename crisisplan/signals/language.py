"""Which of the plan's languages a complaint is written in (lingua). Pure: lingua ships its models.

The detector is built once per set of languages, the first time a complaint asks (it takes a moment), and
knows only the plan's languages: a complaint is answered in one of them, so it picks among them alone.
"""

from __future__ import annotations

import functools
import re

# lingua's names for the languages a plan may speak (ISO 639-1 as plan.yaml `locales` writes them)
LINGUA = {"en": "ENGLISH", "es": "SPANISH", "fr": "FRENCH", "de": "GERMAN", "it": "ITALIAN", "pt": "PORTUGUESE",
          "nl": "DUTCH", "ca": "CATALAN", "pl": "POLISH", "sv": "SWEDISH", "da": "DANISH", "fi": "FINNISH"}
_NOT_WORDS = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w+|#\w+|\d+")


@functools.lru_cache(maxsize=8)
def detector(languages: tuple[str, ...]):  # noqa: ANN201 - lingua's types live in a compiled module
    """A lingua detector for these language codes (two or more lingua knows), built once."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*(getattr(Language, LINGUA[c]) for c in languages)).build()


def detect(text: str, languages: tuple[str, ...], default: str) -> str:
    """The language among `languages` (plan locales: `es`, `es_MX`) the text is most likely written in; `default`
    when the plan speaks fewer than two languages lingua knows or the text has no words to go by."""
    codes = tuple(sorted({code.split("_")[0] for code in languages if code.split("_")[0] in LINGUA}))
    plain = _NOT_WORDS.sub(" ", text)
    if len(codes) < 2 or not any(c.isalpha() for c in plain):
        return default
    found = detector(codes).detect_language_of(plain)
    if found is None:
        return default
    code = next(c for c in codes if LINGUA[c] == found.name)
    return next((loc for loc in languages if loc == code), next(loc for loc in languages if loc.startswith(code)))
