"""Words as lemmas: a text cut into sentences and words, each word reduced to its dictionary form (simplemma),
contractions spelled out, so that "You're wrong", "you were wrong" and "you are wrong" read alike.

Links, e-mail addresses, handles and template placeholders are blanked first: they are not words. Pure.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import simplemma

# what is not prose: a link, an e-mail address, a handle, a template placeholder
NOT_WORDS = re.compile(r"https?://\S+|\bwww\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w@])@\w+|\{\{.*?\}\}|\{%.*?%\}")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[:.,]\d+)*|[.!?]+|\n\s*\n|\n")
_HEADING = re.compile(r"^\s*(?:#+\s.*|\*\*[^*\n]+\*\*:?|__[^_\n]+__)\s*$", re.MULTILINE)
# English contractions, spelled out (n't and the like are handled below)
_WHOLE = {"won't": ("will", "not"), "can't": ("can", "not"), "cannot": ("can", "not"), "shan't": ("shall", "not"),
          "ain't": ("be", "not"), "let's": ("let", "us")}
_SUFFIX = {"'re": "are", "'m": "am", "'ve": "have", "'ll": "will", "'d": "would"}
# whose 's is "is" (it's, that's); after any other word it is a possessive (the customer's order)
_IS_AFTER = {"it", "that", "this", "there", "here", "what", "who", "he", "she", "where", "how", "everything",
             "nothing", "something", "everyone", "nobody", "which", "why", "when"}


@dataclass(frozen=True)
class Token:
    """One word of a text: its lemma, where it stands, and which sentence it belongs to."""

    lemma: str
    word: str  # as written, lower case (a contraction's part as spelled out)
    start: int
    end: int
    sentence: int


@dataclass(frozen=True)
class Sentence:
    """One sentence: where it stands in the text, and whether it is a heading line."""

    start: int
    end: int
    heading: bool
    words: int


def blank(text: str) -> str:
    """The text with links, addresses, handles and placeholders turned into spaces (positions kept)."""
    return NOT_WORDS.sub(lambda m: " " * len(m.group()), text)


def _spell_out(word: str, lang: str) -> tuple[str, ...]:
    if lang != "en" or "'" not in word and word != "cannot":
        return (word,)
    if word in _WHOLE:
        return _WHOLE[word]
    if word.endswith("n't"):
        return (word[:-3], "not")
    for suffix, full in _SUFFIX.items():
        if word.endswith(suffix):
            return (word[: -len(suffix)], full)
    if word.endswith("'s"):
        head = word[:-2]
        return (head, "is") if head in _IS_AFTER else (head,)
    return (word,)


@functools.lru_cache(maxsize=65536)
def lemma(word: str, lang: str) -> str:
    """A lower-case word's dictionary form in `lang` (the word itself when simplemma does not know it)."""
    try:
        return simplemma.lemmatize(word, lang=lang).lower()
    except ValueError:
        return word


def lemmas_of(word: str, lang: str) -> tuple[str, ...]:
    """A written word's lemmas: one, or two for a contraction ("won't" -> will, not)."""
    return tuple(lemma(part, lang) for part in _spell_out(word.lower().replace("’", "'"), lang) if part)


@functools.lru_cache(maxsize=2048)
def tokenise(text: str, lang: str) -> tuple[tuple[Token, ...], tuple[Sentence, ...]]:
    """The text's words as lemmas, and its sentences (a heading line, a line and a full stop each end one)."""
    plain = blank(text)
    headings = [m.span() for m in _HEADING.finditer(plain)]
    tokens: list[Token] = []
    sentences: list[Sentence] = []
    first, count = -1, 0

    def close(end: int) -> None:
        nonlocal first, count
        if count:
            heading = any(s <= first and end <= e for s, e in headings)
            sentences.append(Sentence(first, end, heading, count))
        first, count = -1, 0

    for match in _TOKEN.finditer(plain):
        word = match.group()
        if word[0] in ".!?\n":
            close(match.start() if word[0] == "\n" else match.end())
            continue
        if first < 0:
            first = match.start()
        count += 1
        for part in _spell_out(word.lower().replace("’", "'"), lang):
            tokens.append(Token(lemma(part, lang), part, match.start(), match.end(), len(sentences)))
    close(len(plain.rstrip()))
    return tuple(tokens), tuple(sentences)
