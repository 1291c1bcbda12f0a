"""Every tone rule fires where it should and stays quiet where it should, in en and es."""

from __future__ import annotations

import pytest

from crisisplan.comms.tone import LOCALES, RULES, Context, check

GOOD = {
    "en": "**Update**\n\nWe are sorry, and thank you for your patience. Next update by 10:30 CET. "
          "Help: https://help.example.com",
    "es": "**Actualización**\n\nLo sentimos, y gracias por tu paciencia. Próxima actualización antes de las 10:30 CET. "
          "Ayuda: https://help.example.com",
}

# rule -> locale -> (kind, text that must fire, the fragment it must point at or "" for a missing element)
FIRES = {
    "apology": {"en": ("acknowledge", "Thank you. Next update by 10:30. https://h.example", ""),
                "es": ("acknowledge", "Gracias. Próxima actualización a las 10:30. https://h.example", "")},
    "thanks": {"en": ("resolve", "We are sorry. It works again. https://h.example", ""),
               "es": ("resolve", "Lo sentimos. Ya funciona. https://h.example", "")},
    "next_update": {"en": ("update", "We are sorry. We will update you soon. https://h.example", ""),
                    "es": ("update", "Lo sentimos. Te contaremos más pronto. https://h.example", "")},
    "directive": {"en": ("update", "Sorry. Next update by 10:30.", ""),
                  "es": ("update", "Lo sentimos. Próxima actualización a las 10:30.", "")},
    "contradiction": {"en": ("update", GOOD["en"] + " That's not the case.", "That's not the case"),
                      "es": ("update", GOOD["es"] + " Eso no es así.", "Eso no es así")},
    "blame": {"en": ("update", GOOD["en"] + " It was user error.", "user error"),
              "es": ("update", GOOD["es"] + " Fue por tu culpa.", "por tu culpa")},
    "bare_refusal": {"en": ("update", GOOD["en"] + " I'm not authorised to refund.", "I'm not authorised"),
                     "es": ("update", GOOD["es"] + " No estoy autorizado.", "No estoy autorizado")},
    "problem_word": {"en": ("update", GOOD["en"] + " The problem remains.", "problem"),
                     "es": ("update", GOOD["es"] + " El problema sigue.", "problema")},
    "speculation": {"en": ("cause", GOOD["en"] + " It was probably the network.", "probably"),
                    "es": ("cause", GOOD["es"] + " Quizás fue la red.", "Quizás")},
    "jargon": {"en": ("update", GOOD["en"] + " We did a rollback.", "rollback"),
               "es": ("update", GOOD["es"] + " Hicimos un rollback.", "rollback")},
    "shouting": {"en": ("update", GOOD["en"] + " WE ARE ON IT NOW", "WE ARE ON IT NOW"),
                 "es": ("update", GOOD["es"] + " ¡¡Ya está!!", "¡¡")},
    "too_long": {"en": ("update", GOOD["en"] + " More." * 60, ""), "es": ("update", GOOD["es"] + " Más." * 60, "")},
    "placeholder": {"en": ("update", GOOD["en"] + " Hi [name], TBD.", "[name]"),
                    "es": ("update", GOOD["es"] + " Hola [nombre].", "[nombre]")},
    "personal_data": {"en": ("update", GOOD["en"] + " Thanks to @maria for the report.", "@maria"),
                      "es": ("update", GOOD["es"] + " Gracias a @maria por avisar.", "@maria")},
    "dismissive": {"en": ("update", GOOD["en"] + " Your complaint is noted.", "Your complaint is noted"),
                   "es": ("update", GOOD["es"] + " Tomamos nota de su queja.", "Tomamos nota de su queja")},
    "apology_first": {"en": ("acknowledge", "**Payments**\n\nThank you for telling us about the failed payments. "
                             "We are sorry. Next update by 10:30. https://h.example", "sorry"),
                      "es": ("acknowledge", "**Pagos**\n\nGracias por avisarnos de los pagos fallidos. Lo sentimos. "
                             "Próxima actualización a las 10:30. https://h.example", "sentimos")},
    "one_apology": {"en": ("update", GOOD["en"] + " Sorry again.", "Sorry"),
                    "es": ("update", GOOD["es"] + " Perdón otra vez.", "Perdón")},
    "passive_evasion": {"en": ("update", GOOD["en"] + " Mistakes were made.", "Mistakes were made"),
                        "es": ("update", GOOD["es"] + " Se cometieron errores.", "Se cometieron errores")},
    "vague_promise": {"en": ("update", GOOD["en"] + " We will fix it soon.", "soon"),
                      "es": ("update", GOOD["es"] + " Lo arreglaremos pronto.", "pronto")},
    "spelling": {"en": ("update", GOOD["en"] + " The servise works again.", "servise"),
                 "es": ("update", GOOD["es"] + " El servisio ya funciona.", "servisio")},
    "readability": {"en": ("update", GOOD["en"] + " Notwithstanding the aforementioned considerations, our "
                           "infrastructure experienced intermittent degradation attributable to misconfigured "
                           "authentication intermediaries.", "Notwithstanding"),
                    "es": ("update", GOOD["es"] + " No obstante las consideraciones anteriormente mencionadas, "
                           "nuestra infraestructura experimentó degradaciones intermitentes atribuibles a "
                           "intermediarios de autenticación configurados incorrectamente.", "No obstante")},
    "wrong_language": {"en": ("update", GOOD["es"], ""), "es": ("update", GOOD["en"], "")},
}
# what keeps each rule quiet though the text is close to firing it
QUIET = {
    "bare_refusal": {"en": GOOD["en"] + " We can't do that, but what we can do instead is refund you.",
                     "es": GOOD["es"] + " No podemos hacer eso, pero lo que sí podemos es devolverte el dinero."},
    "speculation": {"en": GOOD["en"] + " The confirmed cause is an expired certificate.",
                    "es": GOOD["es"] + " La causa confirmada es un certificado caducado."},
    "shouting": {"en": GOOD["en"] + " The FAQ and the API docs are updated!",
                 "es": GOOD["es"] + " ¡La sección FAQ ya está al día!"},
    "problem_word": {"en": GOOD["en"] + " The issue remains.", "es": GOOD["es"] + " La incidencia sigue."},
    "personal_data": {"en": GOOD["en"] + " Since 2026-03-02 10:30, see https://status.example.com/incidents/123456789.",
                      "es": GOOD["es"] + " Desde el 2026-03-02 a las 10:30, mira https://status.example.com/incidents/1234567890."},
}


def test_every_rule_has_cases() -> None:
    assert set(FIRES) == set(RULES)


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("rule", RULES)
def test_rule_fires(rule: str, locale: str) -> None:
    kind, text, fragment = FIRES[rule][locale]
    channel = "social_short" if rule == "too_long" else "status_page"
    found = [f for f in check(text, Context(locale=locale, kind=kind, channel=channel, jargon=("rollback",),
                                            languages=("en", "es"))) if f.rule == rule]
    assert found, (rule, locale)
    if fragment:
        assert fragment in text[found[0].start:found[0].end]
    assert found[0].message and found[0].suggestion
    assert found[0].message.startswith(LOCALES[locale][rule].message)  # in the reader's language
    other = "es" if locale == "en" else "en"
    assert LOCALES[locale][rule].message != LOCALES[other][rule].message


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("rule", RULES)
def test_rule_stays_quiet(rule: str, locale: str) -> None:
    text = QUIET.get(rule, {}).get(locale, GOOD[locale])
    kind = "cause" if rule == "speculation" else "update"
    findings = check(text, Context(locale=locale, kind=kind, jargon=("rollback",), languages=("en", "es")))
    assert [f for f in findings if f.rule == rule] == []


def test_final_posts_need_no_next_update_but_need_thanks() -> None:
    text = "We are sorry for the disruption. It works again. Help: https://help.example.com"
    rules = {f.rule for f in check(text, Context(kind="resolve"))}
    assert "next_update" not in rules and "thanks" in rules


def test_the_plan_decides_what_blocks() -> None:
    text = GOOD["en"] + " The problem remains."
    assert {f.severity for f in check(text, Context(kind="update")) if f.rule == "problem_word"} == {"warn"}
    blocked = check(text, Context(kind="update", block=("problem_word",)))
    assert {f.severity for f in blocked if f.rule == "problem_word"} == {"block"}
