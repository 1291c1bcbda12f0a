"""Personal data in a text: somebody's handle, e-mail address, phone or order number, or the name of a person
an incident is about. Pure. A public text names none of them (rule `personal_data`)."""

from __future__ import annotations

import re

# somebody's handle (@maria, not the @ of an e-mail address), e-mail address, or phone number (9 to 15 digits)
PERSONAL = (r"(?<![\w@.])@[A-Za-z0-9_][A-Za-z0-9_.]*[A-Za-z0-9_]", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",
            r"(?<![\w/.:=-])\+?\d(?:[ ().-]{0,2}\d){8,14}(?![\w/:-])",
            # an order, ticket, invoice or booking number: the word, then a number of four digits or more
            r"(?i)\b(?:orders?|tickets?|invoices?|bookings?|pedidos?|facturas?|reservas?|incidencias?|casos?)"
            r"\s*(?:n\.?\s?[oº°]\.?|núm(?:ero)?\.?|number|#|:)?\s*#?\s*[A-Z]{0,3}-?\d{4,}\b",
            r"(?<![\w&/])#\d{4,}\b")


def _search(patterns: tuple[str, ...], text: str) -> list[tuple[int, int]]:
    return sorted(m.span() for p in patterns for m in re.finditer(p, text, flags=re.IGNORECASE | re.MULTILINE))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def personal(text: str, own: tuple[str, ...], names: tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """Spans naming a person in a text: a handle, an e-mail address, a phone or an order number that is not ours,
    or the name of somebody the incident is about."""
    mine = {o.strip().lower() for o in own if o.strip()} | {_digits(o) for o in own if len(_digits(o)) >= 6}
    named = tuple(rf"(?<!\w){re.escape(n.strip())}(?!\w)" for n in names if len(n.strip()) >= 3)
    spans = {(start, end) for start, end in _search(PERSONAL, text)
             if text[start:end].lower() not in mine and _digits(text[start:end]) not in mine - {""}}
    spans |= set(_search(named, text))
    # one finding for one thing: an order number inside a longer match is the same piece of data
    return sorted(s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans))
