"""Triage of complaints per language, with reasons; what the plan does with them: attach to the incident
they are about, declare on reach, legal or safety words or a burst on one topic, escalate along the matrix
and tell the customer by when; recorded once per source id; the team's override kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crisisplan.signals.triage import KnownIncident, Thresholds, assess, language
from tests.walk import take

COMPONENTS = {"checkout": "Checkout", "payments": "Payments", "mobile_app": "Mobile app"}
T = Thresholds()


@pytest.mark.parametrize(("text", "reach", "expected"), [
    ("I was charged twice for order #482913 (59,90 €) and want a refund today", 120,
     {"locale": "en", "severity": "high", "legitimacy": "legitimate", "topic": "general", "declare": False,
      "escalate": ["specialist"], "holding_reply": True}),
    ("YOU ARE ALL IDIOTS!!!! PATHETIC CLOWNS!!!", 40,
     {"legitimacy": "trolling", "holding_reply": False, "declare": False, "severity": "normal"}),
    ("Voy a poner una denuncia y hablar con mi abogado: el pedido 1234567 no llegó", 300,
     {"locale": "es", "severity": "high", "legitimacy": "legitimate", "declare": True,
      "escalate": ["legal", "severity"]}),
    ("El cargador de la app echó humo ayer, es peligroso", 15,
     {"locale": "es", "declare": True, "escalate": ["safety", "severity"]}),
    ("Payments page is slow for me", 80_000,
     {"locale": "en", "topic": "payments", "declare": True, "severity": "high", "escalate": ["severity"]}),
    ("Sigo sin poder pagar, otra vez, y nadie responde", 10,
     {"locale": "es", "escalate": ["dissatisfaction"], "declare": False, "severity": "normal"}),
])
def test_assessments_per_language(text: str, reach: int, expected: dict) -> None:
    result = assess(text, reach, [], COMPONENTS, T).as_dict()
    assert {k: result[k] for k in expected} == expected, result["reasons"]
    assert f"reach {reach:,}" in result["reasons"]


def test_a_complaint_about_a_known_incident_names_it_with_the_reason() -> None:
    result = assess("Checkout is broken again, I cannot pay", 50, [KnownIncident(7, "Checkout errors", ["Checkout"])],
                    COMPONENTS, T)
    assert result.known_incident == 7 and result.topic == "incident 7"
    assert "names the known incident 7 (Checkout errors)" in result.reasons


def test_language_is_guessed_from_the_words() -> None:
    assert language("No puedo entrar en mi cuenta desde hoy") == "es"
    assert language("I can't log in to my account since this morning") == "en"


@pytest.mark.parametrize(("text", "default", "expected"), [
    # none of these has a word or an accent of the old word lists (el, que, á, the, my…): that guess fell to the default
    ("Espero respuesta hace tres semanas", "en", "es"),
    ("Pedido 48213 tampoco llega, llevo esperando tres semanas", "en", "es"),
    ("Still waiting on a refund, three weeks now", "es", "en"),
    ("Nobody answers our calls, great service", "es", "en"),
])
def test_language_is_told_by_lingua_where_the_word_lists_had_nothing(text: str, default: str, expected: str) -> None:
    assert language(text, default) == expected


def test_language_is_one_the_plan_speaks() -> None:
    assert language("Todavía espero respuesta, tres semanas ya", "en", ("en",)) == "en"  # nothing else to pick
    assert language("Todavía espero respuesta, tres semanas ya", "en", ("en", "es_MX")) == "es_MX"
    assert language("12345 !!!", "es", ("en", "es")) == "es"  # nothing to go by
    found = assess("Llevo tres días sin poder pagar", 10, [], COMPONENTS, T, languages=("en", "es"))
    assert found.locale == "es"


@pytest.fixture
def complaint(services):
    def send(text: str, reach: int = 10, channel: str = "social", minutes: float = 0, **kwargs):
        at = services.clock.now() + timedelta(minutes=minutes)
        return services.receive_complaint(channel, kwargs.pop("author", "@someone"), reach, text, at=at, **kwargs)

    return send


def test_the_same_source_id_is_recorded_once(complaint, services) -> None:
    first, new = complaint("My order never came", source_id="tw-1")
    again, new_again = complaint("My order never came", source_id="tw-1")
    assert new and not new_again and first.id == again.id and len(services.signals()) == 1


def test_twenty_on_one_topic_in_ten_minutes_declares_and_gathers_the_burst(complaint, services) -> None:
    for i in range(19):
        row, _ = complaint(f"Payments fail for me ({i})", minutes=i * 0.5)
        assert row.action == "recorded"
    row, _ = complaint("Payments fail for me too", minutes=9.5)
    assert row.action == "declared"
    view = services.get(row.incident_id)
    assert view.runbook_id == "complaints" and view.severity == "high" and view.components == ["payments"]
    assert view.title == "20 complaints about Payments in 10m"
    assert {s.incident_id for s in services.signals()} == {view.id}
    later, _ = complaint("Payments still failing", minutes=12)
    assert later.action == "attached" and later.incident_id == view.id


def test_slow_trickle_does_not_declare(complaint, services) -> None:
    for i in range(25):
        row, _ = complaint(f"Payments fail ({i})", minutes=i)  # 25 in 25 minutes: never 20 in 10
    assert row.action == "recorded" and services.status() == []


def test_legal_words_declare_escalate_and_tell_the_customer_by_when(complaint, services) -> None:
    row, _ = complaint("Hablaré con mi abogado si no me devolvéis el dinero del pedido 7781234", reach=200,
                       channel="email")
    assert row.action == "declared" and row.data["triage"]["locale"] == "es"
    legal = next(e for e in row.data["escalations"] if e["when"] == "legal")
    assert legal["to"] == "legal_counsel"
    assert legal["by"] == (services.clock.now() + timedelta(hours=1)).isoformat()
    assert row.data["reply"].startswith("@someone, sentimos las molestias, y gracias por tu paciencia. Hemos pasado tu "
                                        "caso a nuestro equipo jurídico")
    kinds = [e.kind for e in services.timeline(row.incident_id)]
    assert "escalated" in kinds and "complaint_attached" in kinds


def test_a_holding_reply_promises_the_channels_answer_time_and_trolls_get_none(complaint, services) -> None:
    from crisisplan.comms.render import format_moment

    polite, _ = complaint("The app logs me out since yesterday", channel="chat")
    assert polite.data["proposal"] == {"runbook": "complaints", "severity": "normal", "declare": "if more come"}
    now = services.clock.now()
    assert f"will get back to you by {format_moment(now + timedelta(minutes=10), 'en', 'Europe/Madrid', now)}." \
        in polite.data["reply"]
    troll, _ = complaint("WORST SHOP EVER, IDIOTS!!!! MORONS!!!")
    assert troll.data["reply"] == "" and troll.data["triage"]["legitimacy"] == "trolling"


def test_a_complaint_about_an_open_incident_joins_it(complaint, services) -> None:
    view = services.declare("outage", "sev2", "Checkout errors", "ana", ["checkout"])
    take(services, view.id, "acknowledge", "ana")
    row, _ = complaint("Checkout does not work for me")
    assert row.action == "attached" and row.incident_id == view.id


def test_the_team_can_override_the_assessment(complaint, services) -> None:
    row, _ = complaint("meh")
    changed = services.override_triage(row.id, {"legitimacy": "trolling"}, "carmen")
    assert changed.data["override"]["legitimacy"] == "trolling" and changed.data["override"]["by"] == "carmen"
    from crisisplan.errors import InvalidInput

    with pytest.raises(InvalidInput, match="severity can be high, normal"):
        services.override_triage(row.id, {"severity": "apocalyptic"}, "carmen")
