"""What each tone rule says to the writer, per locale (en, es): why it matters and what to write instead.

The phrases the rules look for are the plan's (templates/<locale>/tone.yaml); these are the checker's own words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Words:
    """A rule's wording in one locale, and for the rules that look at letters, not words, its patterns (case
    matters: TODO is a placeholder, the Spanish "todo" is not; `(?i)` where it does not)."""

    message: str
    suggestion: str
    patterns: tuple[str, ...] = ()


LOCALES: dict[str, dict[str, Words]] = {
    "en": {
        "apology": Words("No apology: say sorry for the experience, first and publicly.",
                         "Open with \"We are sorry for …\"."),
        "thanks": Words("No thanks: thank people for telling you or for their patience.", "Add \"Thank you for …\"."),
        "next_update": Words("No next-update promise with a time: say when people will hear from you.",
                             "End with \"Next update by 10:30 CET\"."),
        "directive": Words("No directive: tell readers where to get help (a link, an e-mail, a phone).",
                           "Add the help page, e.g. \"Help: https://help.example.com\"."),
        "contradiction": Words("Contradicts the reader in public.",
                               "Acknowledge their experience instead; take the detail to a private channel."),
        "blame": Words("Blames the customer.", "Take responsibility; describe what we will do."),
        "bare_refusal": Words("A refusal without a reason and an alternative.",
                              "Say why, and what you can do instead."),
        "problem_word": Words("\"Problem\" sounds heavier than it needs to.", "Say \"issue\" or \"situation\"."),
        "speculation": Words("Speculation in a cause post: only confirmed causes go out.",
                             "State what is confirmed, or say the cause is still being investigated."),
        "jargon": Words("Jargon readers may not know.", "Say what it means for them, in plain words."),
        "shouting": Words("Shouting: capitals or several exclamation marks.", "Write in sentence case, calmly."),
        "too_long": Words("Too long for the channel.", "Cut it down; link to the status page for detail."),
        "placeholder": Words("Unfilled placeholder text.", "Replace it with the real words.",
                             (r"\{\{.*?\}\}", r"\{%.*?%\}", r"\bTODO\b", r"\bTBD\b", r"\bXXX+\b", r"(?i)<insert[^>]*>",
                              r"(?i)\[(?:name|date|time|link|customer)\]", r"(?i)\blorem ipsum\b")),
        "personal_data": Words("Names a person in public: a handle, an e-mail address, a phone or an order number.",
                               "Say what happened without naming who told us; answer the person in private."),
        "dismissive": Words("A dismissive formula: it tells the reader their message changed nothing.",
                            "Answer the point itself, and say what happens next."),
        "apology_first": Words("The apology comes late: upset readers look for it first.",
                               "Open with the apology, then thank and explain."),
        "one_apology": Words("More than one apology: repeated sorries read as a script.",
                             "Apologise once, plainly, and spend the other words on what you are doing."),
        "passive_evasion": Words("A passive that hides who did it.", "Say \"we\": \"we made a mistake\"."),
        "vague_promise": Words("A promise without a time.", "Give a time, e.g. \"by 18:00 CET\", or promise an update "
                               "at a time instead."),
        "spelling": Words("A word that looks misspelt.", "Check the spelling"),
        "readability": Words("Hard to read for an upset reader.", "Shorten this sentence"),
        "wrong_language": Words("This text is not in the slot's language.", "Put it in its own language's slot, "
                                "or translate it"),
    },
    "es": {
        "apology": Words("Sin disculpa: pide perdón por la experiencia, primero y en público.",
                         "Empieza con \"Lamentamos …\" o \"Sentimos …\"."),
        "thanks": Words("Sin agradecimiento: da las gracias por el aviso o la paciencia.", "Añade \"Gracias por …\"."),
        "next_update": Words("Sin promesa de próxima actualización con hora.",
                             "Termina con \"Próxima actualización antes de las 10:30 CET\"."),
        "directive": Words("Sin indicación de dónde pedir ayuda (enlace, correo o teléfono).",
                           "Añade la página de ayuda, p. ej. \"Ayuda: https://ayuda.example.com\"."),
        "contradiction": Words("Contradice en público a quien se queja.",
                               "Reconoce su experiencia; lleva el detalle a un canal privado."),
        "blame": Words("Culpa al cliente.", "Asume la responsabilidad; di qué vamos a hacer."),
        "bare_refusal": Words("Una negativa sin motivo ni alternativa.", "Di por qué y qué puedes ofrecer a cambio."),
        "problem_word": Words("\"Problema\" suena más grave de lo necesario.", "Di \"incidencia\" o \"situación\"."),
        "speculation": Words("Especulación en un mensaje de causa: solo se publican causas confirmadas.",
                             "Di lo confirmado, o que la causa sigue en investigación."),
        "jargon": Words("Jerga que el lector quizá no conozca.",
                        "Explica qué significa para él, con palabras sencillas."),
        "shouting": Words("Gritos: mayúsculas o varias exclamaciones.",
                          "Escribe con calma y sin mayúsculas sostenidas."),
        "too_long": Words("Demasiado largo para el canal.", "Acórtalo; enlaza a la página de estado para el detalle."),
        "placeholder": Words("Texto de relleno sin completar.", "Sustitúyelo por el texto real.",
                             (r"\{\{.*?\}\}", r"\{%.*?%\}", r"\bTODO\b", r"\bPENDIENTE\b", r"\bXXX+\b",
                              r"(?i)<insertar[^>]*>", r"(?i)\[(?:nombre|fecha|hora|enlace|cliente)\]")),
        "personal_data": Words("Nombra a una persona en público: un usuario, un correo, un teléfono o un pedido.",
                               "Cuenta lo ocurrido sin nombrar a quien nos avisó; responde a esa persona en privado."),
        "dismissive": Words("Una fórmula que despacha al lector: le dice que su mensaje no cambió nada.",
                            "Responde a lo que plantea y di qué pasará ahora."),
        "apology_first": Words("La disculpa llega tarde: quien está molesto la busca primero.",
                               "Empieza por la disculpa; después agradece y explica."),
        "one_apology": Words("Más de una disculpa: tantas suenan a guion.",
                             "Discúlpate una vez, con claridad, y dedica el resto a lo que estás haciendo."),
        "passive_evasion": Words("Una pasiva que oculta quién lo hizo.", "Di \"nosotros\": \"cometimos un error\"."),
        "vague_promise": Words("Una promesa sin hora.", "Da una hora, p. ej. \"antes de las 18:00 CET\", o promete "
                               "una actualización a una hora."),
        "spelling": Words("Una palabra que parece mal escrita.", "Revisa la ortografía"),
        "readability": Words("Difícil de leer para alguien molesto.", "Acorta esta frase"),
        "wrong_language": Words("Este texto no está en el idioma de su casilla.", "Ponlo en la casilla de su idioma, "
                                "o tradúcelo"),
    },
}
