"""Replies to one person, in words the responder gives: who they are addressed to, and the words some kinds cannot
go without (a refusal says why, and what we can do instead). Pure: the inbox and the post drafts ask it."""

from __future__ import annotations

from crisisplan.errors import InvalidInput

# kind -> (template variable, what the responder is asked for): a reply of this kind is refused without them
REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "refusal_with_alternative": (("reason", "why we cannot do what they asked"),
                                 ("alternative", "what we can do for them instead")),
}
WORD_MAX = 500  # one or two sentences: a reply is short


def words_for(kind: str, given: dict[str, str] | None) -> dict[str, str]:
    """The responder's own words a reply of this kind needs, cleaned; refused naming the first one left empty (the
    canned text that stood in for them is gone)."""
    given = given or {}
    found: dict[str, str] = {}
    for name, asked in REQUIRED.get(kind, ()):
        value = " ".join(str(given.get(name) or "").split()).rstrip(".")
        if not value:
            raise InvalidInput(f"a {kind.replace('_', ' ')} needs the {name}: {asked}", field=name)
        if len(value) > WORD_MAX:
            raise InvalidInput(f"the {name} is {len(value)} characters long; say it in at most {WORD_MAX}", field=name)
        found[name] = value
    return found


SAMPLES = {"en": {"reason": "the order left our warehouse already",
                  "alternative": "we collect it at your door tomorrow and refund it in full"},
           "es": {"reason": "el pedido ya salió de nuestro almacén",
                  "alternative": "lo recogemos mañana en tu puerta y te devolvemos todo el importe"}}


def sample_words(kind: str, locale: str = "en") -> dict[str, str]:
    """Made-up words for a kind's template in a language, to try it (`crisisplan validate`, previews)."""
    words = SAMPLES.get(locale.split("_")[0], SAMPLES["en"])
    return {name: words.get(name, name) for name, _ in REQUIRED.get(kind, ())}


def addressee(author: str, display_name: str = "") -> str | None:
    """How a reply greets its person: their display name when the network gave one, else their name or handle as
    they signed; never an e-mail address (nobody is greeted as maria@example.com); None when nothing is known."""
    for candidate in (display_name, author):
        name = " ".join((candidate or "").split())
        if not name:
            continue
        if "@" in name[1:]:  # an address, maybe "María <maria@example.com>": the words before it are the name
            before = name.split("<", 1)[0].strip().strip('"') if "<" in name else ""
            if before and "@" not in before:
                return before
            continue
        return name
    return None
