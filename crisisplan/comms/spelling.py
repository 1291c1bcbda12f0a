"""Spelling of a public text, per locale (pyspellchecker's en and es dictionaries, with simplemma's word lists
and the plan's own words: product and component names, people). Pure: the dictionaries ship with the packages.

A word is taken as spelt right when either dictionary knows it, or the plan names it. Words with a capital
(Alex, CDN, PayPal), links, addresses and handles are not checked: they are names, not prose (a misspelt first
word of a sentence goes through too: the price of not flagging every name).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import simplemma

from crisisplan.comms.lemmas import blank, lemma

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@functools.lru_cache(maxsize=4)
def _checker(lang: str):  # noqa: ANN202 - pyspellchecker has no type hints
    from spellchecker import SpellChecker

    # distance 1: a suggestion in about a millisecond; distance 2 takes a hundred times longer on long words
    return SpellChecker(language=lang, distance=1)


def _in_dictionary(word: str, lang: str) -> bool:
    return word in _checker(lang) or simplemma.is_known(word, lang=lang)


@functools.lru_cache(maxsize=65536)
def known(word: str, lang: str) -> bool:
    """Whether a lower-case word is spelt right in `lang`: a dictionary knows it, its lemma (escríbenos ->
    escribir), the word before its apostrophe (customer's), or both halves of a compound (workaround)."""
    if _in_dictionary(word, lang):
        return True
    base = lemma(word.split("'")[0], lang)
    if base != word and len(base) > 1 and _in_dictionary(base, lang):
        return True
    # English closes compounds up (workaround, checkout); two common words of four letters or more each
    checker = _checker(lang)
    return lang == "en" and any(word[:i] in checker and word[i:] in checker for i in range(4, len(word) - 3))


@functools.lru_cache(maxsize=8192)
def suggestions(word: str, lang: str, limit: int = 3) -> tuple[str, ...]:
    """The likeliest right spellings of a word, most frequent first."""
    checker = _checker(lang)
    found = checker.candidates(word) or set()
    return tuple(sorted((w for w in found if w != word), key=lambda w: (-checker.word_usage_frequency(w), w))[:limit])


def _vocabulary(own: Iterable[str]) -> frozenset[str]:
    return frozenset(w.lower() for name in own for w in _WORD.findall(name))


def misspelt(text: str, lang: str, own: Iterable[str] = (),
             also: Iterable[str] = ()) -> list[tuple[int, int, tuple[str, ...]]]:
    """Each word of the text that neither dictionary nor the plan knows: its span and suggestions. A word right in
    one of the plan's other languages (`also`) passes: a Spanish post quotes an English field or product."""
    if lang not in ("en", "es"):
        return []
    plain, mine = blank(text), _vocabulary(own)
    others = [o for o in dict.fromkeys(a.split("_")[0] for a in also) if o in ("en", "es") and o != lang]
    found = []
    for match in _WORD.finditer(plain):
        word = match.group()
        if len(word) < 3 or any(c.isupper() for c in word):
            continue  # a capital: a name (Alex, PayPal, CDN) or a sentence's first word, which we let pass
        lower = word.lower().replace("’", "'")
        if lower in mine or all(p in mine for p in lower.split("-")) or any(
                known(lower, lg) or ("-" in lower and all(known(p, lg) for p in lower.split("-") if p))
                for lg in (lang, *others)):
            continue
        found.append((match.start(), match.end(), suggestions(lower, lang)))
    return found
