"""Tone checks: COMMS-PRINCIPLES.md as rules with ids, per locale (en, es).

Each rule finds spans in a post's text and says why it matters and what to do instead. Rules about words
compare lemmas against the plan's phrases (templates/<locale>/tone.yaml, crisisplan.comms.phrases), so word
order, inflection and contractions do not defeat them; spelling, readability and the language of the text are
checked by their own modules. Whether a finding only warns or blocks publishing is the plan's choice
(plan.yaml `tone.block`), not the rule's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

from crisisplan.comms import language, readability, spelling
from crisisplan.comms.channels import Rendering, render
from crisisplan.comms.lemmas import tokenise
from crisisplan.comms.phrases import matches
from crisisplan.comms.tone_personal import personal
from crisisplan.comms.tone_words import LOCALES, Words
from crisisplan.plan.tone_phrases import TONE_RULES, ToneBook, shipped_book

__all__ = ["DEFAULT_BLOCK", "FINAL_KINDS", "LOCALES", "RULES", "Context", "Finding", "Words", "blocking", "check",
           "warm_up"]

FINAL_KINDS = {"resolve", "follow_up", "postmortem", "maintenance_completed", "fix_check"}  # the last word: no next update owed
DEFAULT_BLOCK = ("contradiction", "blame", "bare_refusal", "placeholder", "too_long", "personal_data")
RULES = TONE_RULES


@dataclass(frozen=True)
class Finding:
    """One tone problem in a post: the rule, whether it warns or blocks, where it is, and what to write instead."""

    rule: str
    severity: str
    message: str
    start: int
    end: int
    suggestion: str

    def as_dict(self) -> dict[str, object]:
        """The finding as plain data, for JSON output and the console."""
        return asdict(self)


@dataclass(frozen=True)
class Context:
    """What the tone rules need to know about a post: locale, kind, channel, the plan's words and which rules
    block."""

    locale: str = "en"
    kind: str | None = None
    channel: str = "status_page"
    jargon: tuple[str, ...] = ()
    block: tuple[str, ...] = DEFAULT_BLOCK
    # who reads the post (the runbook's `audiences`): personal data and spelling matter in a public text
    audience: str = "public"
    # the organisation's own e-mail address and phone: a directive, never somebody's personal data
    own_contacts: tuple[str, ...] = ()
    # the people behind the incident (a complainant's name or handle): never named in a public text
    names: tuple[str, ...] = ()
    # the plan's phrases (templates/<locale>/tone.yaml); None: the shipped plan's
    phrases: ToneBook | None = None
    # the plan's own words, spelt right whatever the dictionary says: products, components, people
    vocabulary: tuple[str, ...] = ()
    # the plan's languages: a text in another of them than `locale` is a finding (none: not checked)
    languages: tuple[str, ...] = ()
    # channel -> lowest reading ease (plan.yaml tone.readability); the rest: readability.DEFAULT_TARGETS
    readability: tuple[tuple[str, float], ...] = ()


WHOLE = (0, 0)  # a finding about the whole post (something missing) has an empty span at 0

URL_OR_CONTACT = (r"https?://\S+", r"\b[\w.+-]+@[\w-]+\.[\w.]+\b", r"\+?\d[\d ()-]{6,}\d", r"\bwww\.\S+")
TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.|h)\b"
                  r"|\b(?:in|within|en|dentro de)\s+(?:\d+|una?|an?)\s+(?:minutes?|hours?|minutos?|horas?)\b",
                  re.IGNORECASE)
TITLE = re.compile(r"\W*(?:\w+[ \t]+){0,2}\w+:\s")  # "Resolved: …", "Security notice: …"
CAPS = re.compile(r"\b[A-ZÁÉÍÓÚÑÜ]{2,}(?:[ \t]+[A-ZÁÉÍÓÚÑÜ]{2,}){2,}\b")

# Which post kinds each rule applies to (None: every kind).
APPLIES: dict[str, set[str] | None] = {
    "apology": {"acknowledge", "cause", "resolve", "holding_reply", "escalation_notice"},
    # news first in a resolve post ("It works again."), the apology first everywhere else it belongs
    "apology_first": {"acknowledge", "cause", "holding_reply", "escalation_notice", "refusal_with_alternative"},
    "thanks": {"resolve", "follow_up", "holding_reply", "private_channel_invite", "escalation_notice",
               "refusal_with_alternative"},
    "speculation": {"cause"},
}
CHANNEL_RULES = ("too_long", "readability")  # depend on the channel, not only on the words


def _search(patterns: tuple[str, ...], text: str) -> list[tuple[int, int]]:
    return sorted(m.span() for p in patterns for m in re.finditer(p, text, flags=re.IGNORECASE | re.MULTILINE))


def _applies(rule: str, kind: str | None) -> bool:
    if rule == "next_update":
        return kind is None or kind not in FINAL_KINDS
    kinds = APPLIES.get(rule)
    return kinds is None or kind is None or kind in kinds


def _apology_first(book: ToneBook, locale: str, text: str) -> list[tuple[int, int]]:
    """The first apology, when a sentence of substance (not a heading, a title such as "Security notice: …" or a
    greeting) comes before it."""
    found = matches(book, locale, "apology", text)
    if not found:
        return []
    _, sentences = tokenise(text, locale.split("_")[0])
    before = [s for s in sentences if s.end <= found[0][0] and not s.heading and s.words > 3
              and not TITLE.match(text, s.start)]
    return [found[0]] if before else []


def _one_apology(book: ToneBook, locale: str, text: str) -> list[tuple[int, int]]:
    """Every apology after the first in the body (a heading that says sorry does not count)."""
    _, sentences = tokenise(text, locale.split("_")[0])
    heads = [(s.start, s.end) for s in sentences if s.heading]
    body = [m for m in matches(book, locale, "apology", text) if not any(a <= m[0] < b for a, b in heads)]
    return body[1:]


def _vague(book: ToneBook, locale: str, text: str) -> list[tuple[int, int]]:
    """Vague promises ("soon") in sentences that name no time."""
    _, sentences = tokenise(text, locale.split("_")[0])
    spans = []
    for start, end in matches(book, locale, "vague_promise", text):
        sentence = next((s for s in sentences if s.start <= start < max(s.end, start + 1)), None)
        where = text[sentence.start:sentence.end] if sentence else text
        if not TIME.search(where):
            spans.append((start, end))
    return spans


def _spans(rule: str, text: str, ctx: Context, book: ToneBook) -> list[tuple[int, int]]:  # noqa: C901 - a dispatch
    locale = ctx.locale
    if rule in ("apology", "thanks"):
        return [] if matches(book, locale, rule, text) else [WHOLE]
    if rule == "next_update":
        return [] if matches(book, locale, rule, text) and TIME.search(text) else [WHOLE]
    if rule == "directive":
        return [] if _search(URL_OR_CONTACT, text) else [WHOLE]
    if rule == "apology_first":
        return _apology_first(book, locale, text)
    if rule == "one_apology":
        return _one_apology(book, locale, text)
    if rule == "vague_promise":
        return _vague(book, locale, text)
    if rule == "personal_data":
        return personal(text, ctx.own_contacts, ctx.names) if ctx.audience == "public" else []
    if rule == "jargon":
        return _search(tuple(rf"(?<!\w){re.escape(term)}(?!\w)" for term in ctx.jargon), text)
    if rule == "shouting":
        return [m.span() for m in CAPS.finditer(text)] + [m.span() for m in re.finditer(r"[!¡]{2,}", text)]
    if rule == "placeholder":  # case matters: TODO is a placeholder, the Spanish "todo" is not
        return sorted(m.span() for p in LOCALES[locale]["placeholder"].patterns for m in re.finditer(p, text))
    return matches(book, locale, rule, text)


def _locale(locale: str) -> str:
    return locale if locale in LOCALES else locale.split("_")[0] if locale.split("_")[0] in LOCALES else "en"


def check(text: str, ctx: Context, rendering: Rendering | None = None) -> list[Finding]:
    """Every finding for a post's Markdown text, in order of position.

    Pass the text's `rendering` for `ctx.channel` when you have it already.
    """
    locale = _locale(ctx.locale)
    table = LOCALES[locale]
    findings = list(_text_findings(text, Context(**{**asdict_shallow(ctx), "locale": locale, "channel": ""})))
    severity = {rule: "block" if rule in ctx.block else "warn" for rule in CHANNEL_RULES}
    if _applies("too_long", ctx.kind):
        rendering = rendering or render(text, ctx.channel)
        if rendering.over_limit:
            words = table["too_long"]
            findings.append(Finding("too_long", severity["too_long"], words.message + " " + rendering.summary(), 0,
                                    len(text), words.suggestion))
    # a text in another language reads hard by this language's measure: the wrong_language finding says it all
    other = any(f.rule == "wrong_language" for f in findings)
    hard = None if other else readability.hard_to_read(text, locale, ctx.channel, ctx.readability)
    if hard is not None:
        found, wanted, (start, end) = hard
        words = table["readability"]
        findings.append(Finding("readability", severity["readability"],
                                f"{words.message} ({found:.0f}, below {wanted:.0f} for {ctx.channel})", start, end,
                                f"{words.suggestion}: “{text[start:end].strip()}”"))
    return sorted(findings, key=lambda f: (f.start, f.rule))


def asdict_shallow(ctx: Context) -> dict[str, object]:
    """The context's fields as they are (dataclasses.asdict would copy the phrase book)."""
    return {name: getattr(ctx, name) for name in ctx.__dataclass_fields__}


def _word_findings(text: str, ctx: Context, severity: str) -> list[Finding]:
    """Spelling and language: a public text's unknown words, and a text in another of the plan's languages."""
    table = LOCALES[ctx.locale]
    found = []
    if ctx.audience == "public" and _applies("spelling", ctx.kind):
        words = table["spelling"]
        for start, end, better in spelling.misspelt(text, ctx.locale.split("_")[0], (*ctx.vocabulary, *ctx.jargon),
                                                     ctx.languages):
            hint = f"{words.suggestion}: “{text[start:end]}”" + (f" → {', '.join(better)}?" if better else ".")
            found.append(Finding("spelling", severity if "spelling" in ctx.block else "warn",
                                 f"{words.message} “{text[start:end]}”", start, end, hint))
    other = language.other_language(text, ctx.locale, ctx.languages) if ctx.languages else None
    if other:
        words = table["wrong_language"]
        found.append(Finding("wrong_language", severity if "wrong_language" in ctx.block else "warn",
                             f"{words.message} ({other}, not {ctx.locale})", 0, len(text), words.suggestion + "."))
    return found


@functools.lru_cache(maxsize=4096)
def _text_findings(text: str, ctx: Context) -> tuple[Finding, ...]:
    """The findings that depend on the words alone, not the channel: one text is checked once
    however many channels show it (the status page, e-mail, chat and long social post share it)."""
    table = LOCALES[ctx.locale]
    book = ctx.phrases or shipped_book()
    findings = []
    for rule in RULES:
        if rule in CHANNEL_RULES or rule in ("spelling", "wrong_language") or not _applies(rule, ctx.kind):
            continue
        words = table[rule]
        severity = "block" if rule in ctx.block else "warn"
        for start, end in _spans(rule, text, ctx, book):
            findings.append(Finding(rule, severity, words.message, start, end, words.suggestion))
    findings += _word_findings(text, ctx, "block")
    return tuple(findings)


def warm_up(locales: tuple[str, ...]) -> None:
    """Load what the checks need (lemmas, dictionaries, syllables, language models) now rather than on the
    first text checked: a web worker calls it at start, so the console's first live check is as quick as the
    rest (the loading takes seconds and about 300 MB)."""
    languages = tuple(dict.fromkeys(loc for loc in locales if _locale(loc) in LOCALES))
    for locale in languages or ("en",):
        check("We are sorry: payments fail for some people. Next update by 10:30. Lo sentimos mucho.",
              Context(locale=locale, languages=languages, kind="acknowledge"))


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that stop the post from being published."""
    return [f for f in findings if f.severity == "block"]
