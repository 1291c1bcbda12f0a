"""Tone checks: COMMS-PRINCIPLES.md as rules with ids, per locale (en, es).

Each rule finds spans in a post's text and says why it matters and what to do
instead. Whether a finding only warns or blocks publishing is the plan's
choice (plan.yaml `tone.block`), not the rule's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

from crisisplan.comms.channels import Rendering, render
from crisisplan.plan.schema import TONE_RULES

FINAL_KINDS = {"resolve", "follow_up"}
DEFAULT_BLOCK = ("contradiction", "blame", "bare_refusal", "placeholder", "too_long", "personal_data")


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
class Words:
    """A rule's wording and patterns in one locale."""

    message: str
    suggestion: str
    patterns: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """What the tone rules need to know about a post: locale, kind, channel, the plan's jargon and which rules block."""

    locale: str = "en"
    kind: str | None = None
    channel: str = "status_page"
    jargon: tuple[str, ...] = ()
    block: tuple[str, ...] = DEFAULT_BLOCK
    # who reads the post (the runbook's `audiences`): personal data is only a finding in a public text
    audience: str = "public"
    # the organisation's own e-mail address and phone: a directive, never somebody's personal data
    own_contacts: tuple[str, ...] = ()
    # the people behind the incident (a complainant's name or handle): never named in a public text
    names: tuple[str, ...] = ()


def _search(patterns: tuple[str, ...], text: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in patterns:
        spans += [m.span() for m in re.finditer(pattern, text, flags=re.IGNORECASE | re.MULTILINE)]
    return sorted(spans)


def _present(patterns: tuple[str, ...], text: str) -> bool:
    return any(re.search(p, text, flags=re.IGNORECASE | re.MULTILINE) for p in patterns)


WHOLE = (0, 0)  # a finding about the whole post (something missing) has an empty span at 0

URL_OR_CONTACT = (r"https?://\S+", r"\b[\w.+-]+@[\w-]+\.[\w.]+\b", r"\+?\d[\d ()-]{6,}\d", r"\bwww\.\S+")
TIME = (r"\b\d{1,2}:\d{2}\b", r"\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.|h)\b",
        r"\b(?:in|within|en|dentro de)\s+(?:\d+|una?|an?)\s+(?:minutes?|hours?|minutos?|horas?)\b")

# somebody's handle (@maria, not the @ of an e-mail address), e-mail address, or phone number (9 to 15 digits)
PERSONAL = (r"(?<![\w@.])@[A-Za-z0-9_][A-Za-z0-9_.]*[A-Za-z0-9_]", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",
            r"(?<![\w/.:=-])\+?\d(?:[ ().-]{0,2}\d){8,14}(?![\w/:-])")


def _personal(text: str, own: tuple[str, ...], names: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Spans naming a person in a text: a handle, an e-mail address or a phone number that is not ours, or the
    name of somebody the incident is about."""
    def digits(value: str) -> str:
        return re.sub(r"\D", "", value)

    mine = {o.strip().lower() for o in own if o.strip()} | {digits(o) for o in own if len(digits(o)) >= 6}
    named = tuple(rf"(?<!\w){re.escape(n.strip())}(?!\w)" for n in names if len(n.strip()) >= 3)
    return sorted({(start, end) for start, end in _search(PERSONAL, text)
                   if text[start:end].lower() not in mine and digits(text[start:end]) not in mine - {""}}
                  | set(_search(named, text)))


LOCALES: dict[str, dict[str, Words]] = {
    "en": {
        "apology": Words("No apology: say sorry for the experience, first and publicly.",
                         "Open with \"We are sorry for …\".",
                         (r"\bsorry\b", r"\bapologi[sz]e", r"\bapologies\b", r"\bregret\b")),
        "thanks": Words("No thanks: thank people for telling you or for their patience.",
                        "Add \"Thank you for …\".", (r"\bthank", r"\bgrateful\b", r"\bappreciate")),
        "next_update": Words("No next-update promise with a time: say when people will hear from you.",
                             "End with \"Next update by 10:30 CET\".",
                             (r"\bupdate\b", r"\bback to you\b", r"\breply\b", r"\banswer\b", r"\btell you more\b",
                              r"\bhear from us\b", r"\bcheck back\b", r"\bget back to you\b")),
        "directive": Words("No directive: tell readers where to get help (a link, an e-mail, a phone).",
                           "Add the help page, e.g. \"Help: https://help.example.com\"."),
        "contradiction": Words("Contradicts the reader in public.",
                               "Acknowledge their experience instead; take the detail to a private channel.",
                               (r"\byou(?:'re| are) (?:wrong|mistaken|confused)\b", r"\bthat(?:'s| is) not (?:the case|true)\b",
                                r"\bthat(?:'s| is) not how (?:it|this) (?:works|happens)\b", r"\bthis is not true\b",
                                r"\bno,? it (?:does|did)n't\b")),
        "blame": Words("Blames the customer.", "Take responsibility; describe what we will do.",
                       (r"\byour fault\b", r"\buser error\b", r"\byou should have\b", r"\byou failed to\b",
                        r"\bbecause you\b", r"\bnot our fault\b")),
        "bare_refusal": Words("A refusal without a reason and an alternative.",
                              "Say why, and what you can do instead.",
                              (r"\b(?:i'?m|i am|we'?re|we are) not (?:authori[sz]ed|allowed)\b", r"\bnot up to (?:me|us)\b",
                               r"\bwe (?:can'?t|cannot) do (?:that|this)\b", r"\bnothing we can do\b", r"\bnot possible\b"),
                              (r"\binstead\b", r"\bwhat we can do\b", r"\balternative", r"\bwe can offer\b",
                               r"\byou can\b")),
        "problem_word": Words("\"Problem\" sounds heavier than it needs to.", "Say \"issue\" or \"situation\".",
                              (r"\bproblems?\b",)),
        "speculation": Words("Speculation in a cause post: only confirmed causes go out.",
                             "State what is confirmed, or say the cause is still being investigated.",
                             (r"\bmaybe\b", r"\bperhaps\b", r"\bpossibly\b", r"\bprobably\b", r"\bmight\b",
                              r"\bwe (?:think|believe|suspect)\b", r"\bseems?\b", r"\blikely\b", r"\bcould be\b")),
        "jargon": Words("Jargon readers may not know.", "Say what it means for them, in plain words."),
        "shouting": Words("Shouting: capitals or several exclamation marks.", "Write in sentence case, calmly."),
        "too_long": Words("Too long for the channel.", "Cut it down; link to the status page for detail."),
        "placeholder": Words("Unfilled placeholder text.", "Replace it with the real words.",
                             (r"\{\{.*?\}\}", r"\{%.*?%\}", r"\bTODO\b", r"\bTBD\b", r"\bXXX+\b", r"<insert[^>]*>",
                              r"\[(?:name|date|time|link|customer)\]", r"\blorem ipsum\b")),
        "personal_data": Words("Names a person in public: a handle, an e-mail address or a phone number.",
                               "Say what happened without naming who told us; answer the person in private."),
    },
    "es": {
        "apology": Words("Sin disculpa: pide perdón por la experiencia, primero y en público.",
                         "Empieza con \"Lamentamos …\" o \"Sentimos …\".",
                         (r"\blo sentimos\b", r"\bsentimos\b", r"\blamentamos\b", r"\bperd[oó]n", r"\bdisculpa")),
        "thanks": Words("Sin agradecimiento: da las gracias por el aviso o la paciencia.",
                        "Añade \"Gracias por …\".", (r"\bgracias\b", r"\bagradec")),
        "next_update": Words("Sin promesa de próxima actualización con hora.",
                             "Termina con \"Próxima actualización antes de las 10:30 CET\".",
                             (r"\bactualizaci[oó]n\b", r"\bresponderemos\b", r"\bte contaremos\b", r"\bvolveremos\b",
                              r"\bte responderemos\b", r"\bresponder[aá]\b", r"\bllegar[aá]\b")),
        "directive": Words("Sin indicación de dónde pedir ayuda (enlace, correo o teléfono).",
                           "Añade la página de ayuda, p. ej. \"Ayuda: https://ayuda.example.com\"."),
        "contradiction": Words("Contradice en público a quien se queja.",
                               "Reconoce su experiencia; lleva el detalle a un canal privado.",
                               (r"\best[aá]s? equivocad[oa]s?\b", r"\bse equivoca\b", r"\beso no es as[ií]\b",
                                r"\bno es cierto\b", r"\beso no es verdad\b", r"\bas[ií] no funciona\b")),
        "blame": Words("Culpa al cliente.", "Asume la responsabilidad; di qué vamos a hacer.",
                       (r"\b(?:es|fue) (?:tu|su) culpa\b", r"\bpor (?:tu|su) culpa\b", r"\berror del usuario\b",
                        r"\bdeber[ií]as? haber\b", r"\bno (?:has|ha) seguido\b", r"\bno es culpa nuestra\b")),
        "bare_refusal": Words("Una negativa sin motivo ni alternativa.", "Di por qué y qué puedes ofrecer a cambio.",
                              (r"\bno (?:estoy|estamos) autorizad[oa]s?\b", r"\bno depende de (?:m[ií]|nosotros)\b",
                               r"\bno podemos hacer (?:eso|esto)\b", r"\bno hay nada que (?:podamos|pueda) hacer\b",
                               r"\bno es posible\b"),
                              (r"\ben su lugar\b", r"\blo que s[ií] podemos\b", r"\balternativa", r"\bpodemos ofrecer",
                               r"\bpuedes\b")),
        "problem_word": Words("\"Problema\" suena más grave de lo necesario.", "Di \"incidencia\" o \"situación\".",
                              (r"\bproblemas?\b",)),
        "speculation": Words("Especulación en un mensaje de causa: solo se publican causas confirmadas.",
                             "Di lo confirmado, o que la causa sigue en investigación.",
                             (r"\bquiz[aá]s?\b", r"\btal vez\b", r"\bposiblemente\b", r"\bprobablemente\b",
                              r"\bparece\b", r"\bcreemos\b", r"\bpodr[ií]a\b", r"\bsospechamos\b")),
        "jargon": Words("Jerga que el lector quizá no conozca.", "Explica qué significa para él, con palabras sencillas."),
        "shouting": Words("Gritos: mayúsculas o varias exclamaciones.", "Escribe con calma y sin mayúsculas sostenidas."),
        "too_long": Words("Demasiado largo para el canal.", "Acórtalo; enlaza a la página de estado para el detalle."),
        "placeholder": Words("Texto de relleno sin completar.", "Sustitúyelo por el texto real.",
                             (r"\{\{.*?\}\}", r"\{%.*?%\}", r"\bTODO\b", r"\bPENDIENTE\b", r"\bXXX+\b",
                              r"<insertar[^>]*>", r"\[(?:nombre|fecha|hora|enlace|cliente)\]")),
        "personal_data": Words("Nombra a una persona en público: un usuario, un correo o un teléfono.",
                               "Cuenta lo ocurrido sin nombrar a quien nos avisó; responde a esa persona en privado."),
    },
}

# Which post kinds each "must contain" rule applies to (None: every kind).
APPLIES: dict[str, set[str] | None] = {
    "apology": {"acknowledge", "cause", "resolve", "holding_reply", "escalation_notice"},
    "thanks": {"resolve", "follow_up", "holding_reply", "private_channel_invite", "escalation_notice",
               "refusal_with_alternative"},
    "speculation": {"cause"},
}
RULES = TONE_RULES


def _applies(rule: str, kind: str | None) -> bool:
    if rule == "next_update":
        return kind is None or kind not in FINAL_KINDS
    kinds = APPLIES.get(rule)
    return kinds is None or kind is None or kind in kinds


def _spans(rule: str, text: str, words: Words, ctx: Context, rendering: Rendering | None) -> list[tuple[int, int]]:
    if rule in ("apology", "thanks"):
        return [] if _present(words.patterns, text) else [WHOLE]
    if rule == "next_update":
        return [] if _present(words.patterns, text) and _present(TIME, text) else [WHOLE]
    if rule == "directive":
        return [] if _present(URL_OR_CONTACT, text) else [WHOLE]
    if rule == "bare_refusal":
        return [] if _present(words.alternatives, text) else _search(words.patterns, text)
    if rule == "personal_data":
        return _personal(text, ctx.own_contacts, ctx.names) if ctx.audience == "public" else []
    if rule == "jargon":
        return _search(tuple(rf"(?<!\w){re.escape(term)}(?!\w)" for term in ctx.jargon), text)
    if rule == "shouting":
        caps = r"\b[A-ZÁÉÍÓÚÑÜ]{2,}(?:[ \t]+[A-ZÁÉÍÓÚÑÜ]{2,}){2,}\b"
        return [m.span() for m in re.finditer(caps, text)] + [m.span() for m in re.finditer(r"[!¡]{2,}", text)]
    return _search(words.patterns, text)


def check(text: str, ctx: Context, rendering: Rendering | None = None) -> list[Finding]:
    """Every finding for a post's Markdown text, in order of position.

    Pass the text's `rendering` for `ctx.channel` when you have it already.
    """
    locale = ctx.locale if ctx.locale in LOCALES else ctx.locale.split("_")[0]
    table = LOCALES.get(locale, LOCALES["en"])
    findings = list(_text_findings(text, locale, ctx.kind, ctx.jargon, ctx.block, ctx.audience, ctx.own_contacts,
                                   ctx.names))
    if _applies("too_long", ctx.kind):
        rendering = rendering or render(text, ctx.channel)
        words = table["too_long"]
        if rendering.over_limit:
            findings.append(Finding("too_long", "block" if "too_long" in ctx.block else "warn",
                                    words.message + " " + rendering.summary(), 0, len(text), words.suggestion))
    return sorted(findings, key=lambda f: (f.start, f.rule))


@functools.lru_cache(maxsize=4096)
def _text_findings(text: str, locale: str, kind: str | None, jargon: tuple[str, ...],
                   block: tuple[str, ...], audience: str = "public",
                   own_contacts: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> tuple[Finding, ...]:
    """The findings that depend on the words alone, not the channel: one text is checked once
    however many channels show it (the status page, e-mail, chat and long social post share it)."""
    table = LOCALES.get(locale, LOCALES["en"])
    ctx = Context(locale=locale, kind=kind, jargon=jargon, block=block, audience=audience, own_contacts=own_contacts,
                  names=names)
    findings = []
    for rule in RULES:
        if rule == "too_long" or not _applies(rule, kind):
            continue
        words = table[rule]
        severity = "block" if rule in block else "warn"
        for start, end in _spans(rule, text, words, ctx, None):
            findings.append(Finding(rule, severity, words.message, start, end, words.suggestion))
    return tuple(findings)


def blocking(findings: list[Finding]) -> list[Finding]:
    """The findings that stop the post from being published."""
    return [f for f in findings if f.severity == "block"]
