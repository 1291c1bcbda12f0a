"""The phrases of tone.yaml as matchers over lemmas (crisisplan.plan.tone_phrases reads them). Pure.

A phrase is plain words in order ("you are wrong"); `..` lets up to three words stand between two
("you are .. wrong": "you are completely wrong"); `a/b` takes either word; words joined by `+` may come in any
order within one sentence ("no + culpa + nuestro": "la culpa no es nuestra"). The phrase's words are reduced to
lemmas like the text's, so one line covers every inflection; `=word` matches that form alone ("=podría", not
"podemos", which shares its lemma).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from crisisplan.comms.lemmas import Token, lemmas_of, tokenise
from crisisplan.plan.tone_phrases import BAG, GAP, RulePhrases, ToneBook

MAX_GAP = 3
Span = tuple[int, int]


@dataclass(frozen=True)
class Phrase:
    """One compiled phrase: each step a set of lemmas, and how many words may stand before the next step."""

    steps: tuple[frozenset[str], ...]
    gaps: tuple[int, ...]  # gaps[i]: words allowed between steps[i] and steps[i + 1]
    any_order: bool = False


def compile_phrase(pattern: str, lang: str) -> Phrase:
    """A phrase as written in tone.yaml, as lemmas to look for."""
    if BAG.strip() in pattern.split():
        words = [w.strip() for w in pattern.split(BAG.strip())]
        steps = tuple(frozenset(_step(alt, lang)[0] for alt in w.split("/")) for w in words)
        return Phrase(steps, (0,) * len(steps), any_order=True)
    steps_list: list[frozenset[str]] = []
    gaps: list[int] = []
    for word in pattern.split():
        if word == GAP:
            gaps[-1] = MAX_GAP
            continue
        options = [_step(alt, lang) for alt in word.split("/")]
        if len(options) == 1 and len(options[0]) > 1:  # a contraction: its words one after the other
            for part in options[0]:
                steps_list.append(frozenset({part}))
                gaps.append(0)
            continue
        steps_list.append(frozenset(o[0] for o in options if o))
        gaps.append(0)
    return Phrase(tuple(steps_list), tuple(gaps))


def _step(word: str, lang: str) -> tuple[str, ...]:
    """What a phrase's word matches: its lemmas, or `=form`, that written form alone."""
    if word.startswith("=") and len(word) > 1:
        return ("=" + word[1:].lower(),)
    return lemmas_of(word, lang) or (word.lower(),)


def _hit(token: Token, step: frozenset[str]) -> bool:
    return token.lemma in step or "=" + token.word in step


def _seq(phrase: Phrase, tokens: Sequence[Token], at: int, step: int) -> int | None:
    """The index of the last token when the phrase matches from `at` on (its step `step`), else None."""
    if step == len(phrase.steps) - 1:
        return at
    for nxt in range(at + 1, min(len(tokens), at + 2 + phrase.gaps[step])):
        if tokens[nxt].sentence != tokens[at].sentence:
            break
        if _hit(tokens[nxt], phrase.steps[step + 1]):
            end = _seq(phrase, tokens, nxt, step + 1)
            if end is not None:
                return end
    return None


def _bag(phrase: Phrase, tokens: Sequence[Token], at: int) -> Span | None:
    """The span of one sentence holding every step's lemma, starting from the token at `at`."""
    sentence = [t for t in tokens if t.sentence == tokens[at].sentence]
    used: list[Token] = [tokens[at]]
    for step in phrase.steps[1:]:
        hit = next((t for t in sentence if _hit(t, step) and t not in used), None)
        if hit is None:
            return None
        used.append(hit)
    return min(t.start for t in used), max(t.end for t in used)


Index = dict[str, tuple[Phrase, ...]]


def index_of(phrases: Sequence[Phrase]) -> Index:
    """The phrases by what their first step takes (a lemma, or "=form"): a word only tries the phrases that can
    start with it, rather than every phrase of the rule."""
    starts: dict[str, list[Phrase]] = {}
    for phrase in phrases:
        for key in phrase.steps[0]:
            starts.setdefault(key, []).append(phrase)
    return {key: tuple(found) for key, found in starts.items()}


def find(phrases: Sequence[Phrase], tokens: Sequence[Token], index: Index | None = None) -> list[Span]:
    """Every span of the text where one of the phrases stands, overlapping ones merged, in order. `index` is
    `index_of(phrases)`, when the caller keeps it."""
    index = index_of(phrases) if index is None else index
    spans: list[Span] = []
    for i, token in enumerate(tokens):
        by_lemma, by_form = index.get(token.lemma, ()), index.get("=" + token.word, ())
        for phrase in dict.fromkeys(by_lemma + by_form) if by_lemma and by_form else by_lemma or by_form:
            if phrase.any_order:
                span = _bag(phrase, tokens, i)
                if span:
                    spans.append(span)
                continue
            end = _seq(phrase, tokens, i, 0)
            if end is not None:
                spans.append((token.start, tokens[end].end))
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Compiled:
    """One rule's phrases in one language, ready to match."""

    phrases: tuple[Phrase, ...]
    unless: tuple[Phrase, ...]
    index: Index = field(init=False, compare=False, hash=False, repr=False)
    unless_index: Index = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", index_of(self.phrases))
        object.__setattr__(self, "unless_index", index_of(self.unless))


@functools.lru_cache(maxsize=64)
def compiled(book: ToneBook, locale: str) -> dict[str, Compiled]:
    """Every rule of a locale, compiled once per plan load."""
    lang = locale.split("_")[0]
    lang = lang if lang in ("en", "es") else "en"
    rules: dict[str, RulePhrases] = book.locale(locale)
    return {rule: Compiled(tuple(compile_phrase(p, lang) for p in words.phrases),
                           tuple(compile_phrase(p, lang) for p in words.unless)) for rule, words in rules.items()}


def matches(book: ToneBook, locale: str, rule: str, text: str) -> list[Span]:
    """Where the rule's phrases stand in the text; none when one of its `unless` phrases stands anywhere."""
    rule_phrases = compiled(book, locale).get(rule)
    if rule_phrases is None:
        return []
    tokens, _ = tokenise(text, _lang(locale))
    if rule_phrases.unless and find(rule_phrases.unless, tokens, rule_phrases.unless_index):
        return []
    return find(rule_phrases.phrases, tokens, rule_phrases.index)


def _lang(locale: str) -> str:
    lang = locale.split("_")[0]
    return lang if lang in ("en", "es") else "en"
