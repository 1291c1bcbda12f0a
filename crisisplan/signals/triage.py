"""Triage of a complaint or mention: how far it reaches, how serious it sounds, whether it reads as a real
customer or as trolling, whether it is about an incident we know, and what must be escalated, with the
reasons shown, per language (en, es; which one, lingua tells). Pure: the words below and the plan's thresholds
decide.

The team can override every part of it in the console; the override is kept beside the assessment.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field

from crisisplan.signals.language import detect

# Words are matched as whole words or phrases, case and accents as written (lower-cased text).
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "severe": ("outage", "down", "broken", "not working", "doesn't work", "can't", "cannot", "lost",
                   "charged twice", "double charged", "refund", "scam", "fraud", "unacceptable", "worst",
                   "stolen"),
        "legal": ("lawyer", "sue", "suing", "lawsuit", "legal action", "court", "regulator", "gdpr",
                  "data protection", "consumer protection", "ombudsman"),
        "safety": ("injury", "injured", "fire", "burn", "burned", "smoke", "danger", "dangerous", "unsafe",
                   "hospital", "allergic", "poisoned"),
        "specialist": ("invoice", "billing", "charged", "password", "hacked", "compromised", "security",
                       "personal data", "data breach"),
        "dissatisfied": ("still", "again", "third time", "no answer", "nobody answers", "ignored",
                         "waiting for days", "never again", "cancel my account"),
        "insults": ("idiots", "morons", "stupid", "clowns", "losers", "pathetic", "incompetent"),
        "detail": ("order", "invoice", "ticket", "account", "yesterday", "today", "since"),
    },
    "es": {
        "severe": ("caído", "caída", "no funciona", "no puedo", "perdido", "cobrado dos veces", "doble cobro",
                   "reembolso", "estafa", "fraude", "inaceptable", "vergüenza", "el peor", "robado"),
        "legal": ("abogado", "abogados", "demanda", "demandar", "denuncia", "denunciar", "tribunal", "juicio",
                  "consumo", "protección de datos", "rgpd", "ocu"),
        "safety": ("herido", "herida", "lesión", "fuego", "quemadura", "quemado", "humo", "peligro", "peligroso",
                   "hospital", "alergia", "intoxicación"),
        "specialist": ("factura", "facturación", "cobro", "contraseña", "hackeado", "hackeada", "seguridad",
                       "datos personales", "filtración"),
        "dissatisfied": ("sigo", "sigue", "otra vez", "de nuevo", "tercera vez", "nadie responde", "sin respuesta",
                         "me ignoran", "nunca más", "dar de baja"),
        "insults": ("idiotas", "imbéciles", "payasos", "inútiles", "patético", "patéticos", "incompetentes"),
        "detail": ("pedido", "factura", "ticket", "cuenta", "ayer", "hoy", "desde"),
    },
}
ORDER_NUMBER = re.compile(r"(#\s?\d{4,}|\b\d{6,}\b)")
AMOUNT = re.compile(r"(\d+[.,]\d{2}\s?(€|eur|usd|\$)|[$€]\s?\d+)")


@dataclass
class Thresholds:
    declare_reach: int = 50_000  # one complaint from an account this big declares by itself
    high_reach: int = 5_000  # reach that makes it high severity
    burst_count: int = 20  # this many on one topic...
    burst_minutes: int = 10  # ...within this many minutes declares


@dataclass
class KnownIncident:
    id: int
    title: str
    components: list[str]  # labels as customers say them


@dataclass
class Assessment:
    locale: str
    severity: str  # high, normal
    legitimacy: str  # legitimate, trolling, unclear
    topic: str  # a component, a known incident, or "general"
    known_incident: int | None
    escalate: list[str] = field(default_factory=list)  # matrix keys: legal, safety, specialist, ...
    reasons: list[str] = field(default_factory=list)
    holding_reply: bool = True
    declare: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@functools.lru_cache(maxsize=4096)
def _whole(phrase: str) -> re.Pattern[str]:
    """The phrase as a whole word or words (compiled once: triage asks for the same words of every complaint)."""
    return re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")


def _has(text: str, phrase: str) -> bool:
    return phrase in text and _whole(phrase).search(text) is not None  # most words are not there at all


def language(text: str, default: str = "en", languages: tuple[str, ...] = tuple(WORDS)) -> str:
    """The language a complaint is written in, among the ones triage has words for and the plan speaks (lingua);
    `default` when that leaves no choice or the text gives nothing to go by."""
    return detect(text, tuple(loc for loc in languages if loc.split("_")[0] in WORDS) or (default,), default)


def assess(text: str, reach: int, incidents: list[KnownIncident], components: dict[str, str],
           thresholds: Thresholds, locale: str | None = None,
           languages: tuple[str, ...] = tuple(WORDS)) -> Assessment:
    """`components` maps a component's name to its label; both count as naming it. Without a `locale`, the
    text's language among the plan's `languages` decides which words triage looks for."""
    if locale not in WORDS:
        locale = language(text, languages[0] if languages else "en", languages).split("_")[0]
        locale = locale if locale in WORDS else "en"
    words, lower = WORDS[locale], text.lower()
    reasons: list[str] = []

    def found(kind: str) -> list[str]:
        return [w for w in words[kind] if _has(lower, w)]

    severe, legal, safety = found("severe"), found("legal"), found("safety")
    specialist, unhappy = found("specialist"), found("dissatisfied")
    insults, detail = found("insults"), found("detail")
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6
    exclaiming = text.count("!") >= 4

    # legitimacy: concrete details of a real customer against the marks of trolling
    real = len(detail) + bool(ORDER_NUMBER.search(text)) * 2 + bool(AMOUNT.search(text)) * 2
    troll = len(insults) * 2 + shouting + exclaiming
    if real:
        details = detail + ["an order number"] * bool(ORDER_NUMBER.search(text)) + ["an amount"] * bool(
            AMOUNT.search(text))
        reasons.append(f"concrete details ({', '.join(details)})")
    if troll:
        marks = insults + (["ALL CAPS"] if shouting else []) + (["!!!!"] if exclaiming else [])
        reasons.append(f"trolling marks ({', '.join(marks)})")
    legitimacy = "trolling" if troll >= 3 and troll > real else "legitimate" if real >= troll else "unclear"

    # topic: a known incident first, then a component named in the text
    known = next((i for i in incidents if any(_has(lower, c.lower()) for c in i.components)
                  or _has(lower, i.title.lower())), None)
    named = next((name for name, label in components.items() if _has(lower, label.lower()) or _has(lower, name)),
                 None)
    topic = f"incident {known.id}" if known else named or "general"
    if known:
        reasons.append(f"names the known incident {known.id} ({known.title})")
    elif named:
        reasons.append(f"about {components[named]}")

    escalate = []
    for kind, hits in (("legal", legal), ("safety", safety), ("specialist", specialist)):
        if hits:
            escalate.append(kind)
            reasons.append(f"{kind} words: {', '.join(hits)}")
    if unhappy:
        escalate.append("dissatisfaction")
        reasons.append(f"still unhappy: {', '.join(unhappy)}")
    if severe:
        reasons.append(f"severity words: {', '.join(severe)}")
    reasons.append(f"reach {reach:,}")

    high = reach >= thresholds.high_reach or bool(legal or safety) or len(severe) >= 2
    declare = legitimacy != "trolling" and (reach >= thresholds.declare_reach or bool(legal or safety))
    if declare:
        escalate.append("severity")
        why = f"reach above {thresholds.declare_reach:,}" if reach >= thresholds.declare_reach \
            else "legal or safety words"
        reasons.append(f"declares by itself: {why}")
    return Assessment(locale=locale, severity="high" if high else "normal", legitimacy=legitimacy, topic=topic,
                      known_incident=known.id if known else None, escalate=escalate, reasons=reasons,
                      holding_reply=legitimacy != "trolling", declare=declare)
