"""Every language whole: an incident's public words per language, labels per language in plan.yaml, a post edited
in one language holds until the others are edited or confirmed, and one zone label in every language."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.approval import ReviewError
from crisisplan.comms.render import format_moment
from crisisplan.errors import InvalidInput
from crisisplan.plan.load import check_plan
from tests.plans import plan_copy
from tests.walk import review

TITLE_EN, TITLE_ES = "Search is slow for some customers", "La búsqueda va lenta para algunos clientes"
IMPACT_EN = "Searches take up to a minute."
IMPACT_ES = "Las búsquedas tardan hasta un minuto."


def declare_both(services):
    return services.declare("outage", "sev2", TITLE_EN, "ana", ["website"], {"impact": IMPACT_EN},
                            translations={"es": {"title": TITLE_ES, "impact": IMPACT_ES}})


def test_the_same_moment_has_the_same_zone_label_in_every_language() -> None:
    moment = datetime(2026, 1, 1, 9, 24, tzinfo=UTC)  # 10:24 in Madrid, UTC+1 in winter
    assert format_moment(moment, "en", "Europe/Madrid", moment) == "10:24 UTC+1"
    assert format_moment(moment, "es", "Europe/Madrid", moment) == "10:24 UTC+1"
    assert format_moment(moment, "en", "Europe/Madrid") == "10:24 UTC+1, 1 Jan"
    assert format_moment(moment, "es", "Europe/Madrid") == "10:24 UTC+1, 1 ene"
    summer = datetime(2026, 7, 1, 9, 24, tzinfo=UTC)  # CEST: UTC+2
    assert format_moment(summer, "es", "Europe/Madrid", summer) == "11:24 UTC+2"
    assert format_moment(moment, "es", "Asia/Kolkata", moment) == "14:54 UTC+5:30"
    assert format_moment(moment, "es", "UTC", moment) == "09:24 UTC"


def test_the_drafts_speak_the_incidents_words_in_each_language(services) -> None:
    view = declare_both(services)
    [ack] = services.posts(view.id)
    assert TITLE_ES not in ack.bodies["en"]
    assert TITLE_EN not in ack.bodies["es"]
    incident = services.incident(view.id)
    assert incident.translations == {"es": {"title": TITLE_ES, "impact": IMPACT_ES}}


def test_translations_name_a_language_and_a_public_field(services) -> None:
    with pytest.raises(InvalidInput, match="'fr' is not another language"):
        services.declare("outage", "sev2", "x", "ana", translations={"fr": {"title": "Panne"}})
    with pytest.raises(InvalidInput, match="'titel' has no translation"):
        services.declare("outage", "sev2", "x", "ana", translations={"es": {"titel": "Caída"}})


@pytest.fixture
def strict(tmp_path, db, clock):
    """The shipped plan without its fallback locale: every language must be written."""
    from crisisplan.plan.load import load_plan
    from crisisplan.services import Services

    return Services(load_plan(_copy_plan(tmp_path, lambda d: d.pop("fallback_locale"))), db, clock)


def test_a_missing_translation_holds_a_public_post(strict) -> None:
    services = strict
    view = services.declare("outage", "sev2", TITLE_EN, "ana", ["website"])
    [ack] = services.posts(view.id)
    review(services, ack.id, "ana")
    with pytest.raises(ReviewError, match="missing in es: title"):
        services.publish_post(ack.id, "ana")
    written = services.draft_post(view.id, "update", "ana", text="We are on it. Next update by 11:30.", locale="en")
    review(services, written.id, "ana")
    with pytest.raises(ReviewError, match="it has no es text"):  # a hand-written post in one language
        services.publish_post(written.id, "ana")
    services.translate(view.id, "es", {"title": TITLE_ES}, "ana")
    services.redraft_post(ack.id, "ana")
    review(services, ack.id, "ana")
    assert services.publish_post(ack.id, "ana").status == "published"


def test_editing_one_language_holds_the_post_until_the_others_are_confirmed(services) -> None:
    view = declare_both(services)
    [ack] = services.posts(view.id)
    services.edit_post(ack.id, ack.bodies["en"].replace("We are sorry", "We are very sorry"), "ana", locale="en")
    assert services.post(ack.id).stale_locales == ["es"]
    review(services, ack.id, "ana")
    with pytest.raises(ReviewError, match="its es text is stale") as refused:
        services.publish_post(ack.id, "ana")
    assert "confirm-locale" in str(refused.value)
    with pytest.raises(InvalidInput, match="no stale en text"):
        services.confirm_locale(ack.id, "en", "ana")
    services.confirm_locale(ack.id, "es", "ana")
    assert services.post(ack.id).stale_locales == []
    assert services.publish_post(ack.id, "ana").status == "published"
    assert "post_locale_confirmed" in [e.kind for e in services.timeline(view.id)]


def test_catching_up_the_stale_language_clears_it(services) -> None:
    view = declare_both(services)
    [ack] = services.posts(view.id)
    services.edit_post(ack.id, ack.bodies["es"] + "\nGracias.", "ana", locale="es")
    assert services.post(ack.id).stale_locales == ["en"]
    services.edit_post(ack.id, ack.bodies["en"] + "\nThank you.", "ana", locale="en")  # caught up
    assert services.post(ack.id).stale_locales == []
    services.edit_post(ack.id, services.post(ack.id).bodies["es"] + " De verdad.", "ana", locale="es")
    assert services.post(ack.id).stale_locales == ["en"]
    services.edit_post(ack.id, services.post(ack.id).bodies["es"], "ana", locale="es")  # no change: nothing new
    assert services.post(ack.id).stale_locales == ["en"]


def test_languages_edited_in_one_save_are_not_stale(services) -> None:
    view = declare_both(services)
    [ack] = services.posts(view.id)
    for loc in ("en", "es"):
        services.edit_post(ack.id, ack.bodies[loc] + "\n:)", "ana", locale=loc, together=("en", "es"))
    assert services.post(ack.id).stale_locales == []


def test_labels_per_language_in_the_shipped_plan(plan) -> None:
    checkout = next(c for c in plan.settings.components if c.name == "checkout")
    assert checkout.label == "Checkout" and checkout.label_in("es") == "Pago del pedido"
    assert checkout.group == "Storefront" and checkout.group_in("es") == "Tienda"
    phone = next(c for c in plan.settings.support if c.name == "phone")
    assert phone.label_in("es") == "Teléfono" and phone.label_in("en") == "Phone"


def _copy_plan(tmp_path: Path, change) -> Path:

    return plan_copy(tmp_path / "plan", change)  # the plan alone: not the checkout's .git, .venv or instance


def test_validate_warns_when_the_support_hours_contradict_the_phone_channel(tmp_path) -> None:
    _, problems = check_plan(SHIPPED_PLAN)
    assert not [p for p in problems if "support_hours" in str(p)]
    root = _copy_plan(tmp_path, lambda d: d["organisation"].update(support_hours="24/7"))
    _, problems = check_plan(root)
    [warning] = [p for p in problems if "support_hours" in str(p)]
    assert warning.severity == "warning" and "Mon-Fri 09:00-18:00" in str(warning)


def test_validate_warns_of_a_label_without_a_language(tmp_path) -> None:
    def plain(data) -> None:
        data["components"][0]["label"] = "Website"

    _, problems = check_plan(_copy_plan(tmp_path, plain))
    [warning] = [p for p in problems if "no label in es" in str(p)]
    assert warning.severity == "warning" and "website" in str(warning)


def test_a_fallback_locale_lets_a_post_out_without_the_translation(services, clock) -> None:
    assert services.plan.settings.fallback_locale == "en"  # the shipped plan allows it
    view = services.declare("outage", "sev2", TITLE_EN, "ana", ["website"])
    [ack] = services.posts(view.id)
    assert TITLE_EN in ack.bodies["es"]  # the fallback's words stand in
    review(services, ack.id, "ana")
    clock.advance(timedelta(minutes=1))
    assert services.publish_post(ack.id, "ana").status == "published"


def test_the_api_declares_in_every_language(client, services) -> None:
    from crisisplan.services.accounts import Accounts

    token = Accounts(services.db).add_token("script", "responder")[1]
    made = client.post("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}, json={
        "runbook": "outage", "severity": "sev2", "title": TITLE_EN, "fields": {"impact": IMPACT_EN},
        "titles": {"es": TITLE_ES}, "translations": {"es": {"impact": IMPACT_ES}}})
    assert made.status_code == 201, made.get_json()
    incident = services.incident(made.get_json()["id"])
    assert incident.translations == {"es": {"title": TITLE_ES, "impact": IMPACT_ES}}
    assert made.get_json()["translations"] == {"es": {"title": TITLE_ES, "impact": IMPACT_ES}}
    wrong = client.post("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}, json={
        "runbook": "outage", "severity": "sev2", "title": "x", "titles": {"fr": "Panne"}})
    assert wrong.status_code == 422 and "'fr' is not another language" in wrong.get_json()["error"]["message"]


def test_the_cli_declares_translates_confirms_and_shows_the_zone(runner, services) -> None:
    from crisisplan.cli import main

    made = runner.invoke(main, ["declare", "outage", "--severity", "sev2", "--title", TITLE_EN,
                                "--set", f"impact={IMPACT_EN}", "--title-in", f"es={TITLE_ES}",
                                "--set-in", f"es:impact={IMPACT_ES}", "--json"])
    assert made.exit_code == 0, made.output
    incident_id = json.loads(made.output)["id"]
    translated = runner.invoke(main, ["translate", str(incident_id), "--locale", "es", "--title", "Búsqueda lenta"])
    assert translated.exit_code == 0, translated.output
    shown = runner.invoke(main, ["show", str(incident_id)])
    assert "title [es]: Búsqueda lenta" in shown.output and f"impact [es]: {IMPACT_ES}" in shown.output
    assert re.search(r"due: .*\d\d:\d\d UTC[+-]\d", shown.output), shown.output  # the organisation's zone, named
    [ack] = services.posts(incident_id)
    edited = ack.bodies["en"].replace("We are sorry", "We are very sorry")
    result = runner.invoke(main, ["post", "edit", str(ack.id), "--file", "-", "--locale", "en"], input=edited)
    assert result.exit_code == 0, result.output
    stale = runner.invoke(main, ["post", "show", str(ack.id)])
    assert "es is stale" in stale.output and f"crisisplan post confirm-locale {ack.id} --locale es" in stale.output
    confirmed = runner.invoke(main, ["post", "confirm-locale", str(ack.id), "--locale", "es", "--json"])
    assert confirmed.exit_code == 0, confirmed.output
    assert json.loads(confirmed.output)["stale_locales"] == []


def test_the_spanish_status_page_names_everything_in_spanish(client, services) -> None:
    view = declare_both(services)
    [ack] = services.posts(view.id)
    review(services, ack.id, "ana")
    services.publish_post(ack.id, "ana")
    page = client.get("/?lang=es").get_data(as_text=True)
    assert TITLE_ES in page and TITLE_EN not in page
    assert "Sitio web" in page and "Tienda" in page and "Teléfono" in page and "Redes sociales" in page
    assert "lun-vie 09:00-18:00" in page and "todos los días, a todas horas" not in page  # the footer: phone hours
    incident = client.get(f"/incidents/{view.id}?lang=es").get_data(as_text=True)
    assert TITLE_ES in incident and IMPACT_ES in incident and "Sitio web" in incident
    english = client.get("/?lang=en").get_data(as_text=True)
    assert TITLE_EN in english and "Website" in english and "Mon-Fri 09:00-18:00" in english


def test_the_console_translates_an_incident_after_declaring_it(client, services) -> None:
    from tests.web import form, login

    view = services.declare("outage", "sev2", TITLE_EN, "ana", ["website"], {"impact": IMPACT_EN})
    login(client, "rudi")
    page = client.get(f"/console/incidents/{view.id}").get_data(as_text=True)
    assert 'id="translate-es"' in page and 'name="tr_impact"' in page
    saved = form(client, f"/console/incidents/{view.id}/translate",
                 {"locale": "es", "tr_title": TITLE_ES, "tr_impact": IMPACT_ES, "version": view.version}, follow=True)
    assert "Saved in es" in saved.get_data(as_text=True)
    assert services.incident(view.id).translations == {"es": {"title": TITLE_ES, "impact": IMPACT_ES}}
    form(client, f"/console/incidents/{view.id}/translate", {"locale": "es", "tr_impact": ""})
    assert services.incident(view.id).translations == {"es": {"title": TITLE_ES}}  # an empty box removes it


def test_a_cleared_field_takes_its_translations_with_it(services) -> None:
    from crisisplan.comms.context import localized

    view = declare_both(services)
    services.set_fields(view.id, {"impact": ""}, "ana")
    incident = services.incident(view.id)
    assert localized(services.plan.settings, incident, "impact", "es") == ""  # the fact is gone in every language
    assert localized(services.plan.settings, incident, "title", "es") == TITLE_ES


def test_new_words_in_the_default_language_outdate_their_translations(strict) -> None:
    services = strict
    view = declare_both(services)
    services.set_fields(view.id, {"impact": "Searches fail."}, "ana")
    incident = services.incident(view.id)
    assert incident.translations == {"es": {"title": TITLE_ES}}  # the Spanish impact said the old words
    assert "translation_outdated" in [e.kind for e in services.timeline(view.id)]
    [ack] = services.posts(view.id)
    services.redraft_post(ack.id, "ana")
    review(services, ack.id, "ana")
    with pytest.raises(ReviewError, match="missing in es: impact"):
        services.publish_post(ack.id, "ana")
    services.translate(view.id, "es", {"impact": "Las búsquedas fallan."}, "ana")
    services.redraft_post(ack.id, "ana")
    review(services, ack.id, "ana")
    assert services.publish_post(ack.id, "ana").status == "published"


def test_a_spanish_complaint_naming_a_component_in_spanish_joins_its_incident(services) -> None:
    view = services.declare("outage", "sev2", "Checkout fails", "ana", ["checkout"],
                            translations={"es": {"title": "El pago falla"}})
    signal, _ = services.receive_complaint("email", "maria@example.org", 10,
                                           "El pago del pedido no funciona desde esta mañana", locale="es")
    assert signal.incident_id == view.id
