"""The reply a complaint's author gets at once is written from the plan's templates in their language: apology
first, the team that took the case in their words (or none named), by when they hear back, tone-checked like
every post; a locale without its reply templates is a validate error naming the file."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main
from crisisplan.comms.catalogue import catalogue_of
from crisisplan.comms.context import reply_context
from crisisplan.comms.render import Renderer, format_moment
from crisisplan.comms.tone import Context, check
from crisisplan.plan.load import REPLY_KINDS, load_plan
from crisisplan.services import Services
from crisisplan.services.signals import SignalCommands

TZ = "Europe/Madrid"


def copy_plan(target: Path) -> Path:
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, target / name)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", target / "plan.yaml")
    return target


def first_sentence(text: str) -> str:
    return text.split(". ")[0]


def test_the_hard_coded_replies_are_gone() -> None:
    assert not hasattr(SignalCommands, "REPLIES")


def test_a_holding_reply_apologises_first_and_promises_the_channels_answer_time(services) -> None:
    now = services.clock.now()
    row, _ = services.receive_complaint("chat", "@lucia", 12, "The app logs me out since yesterday")
    reply = row.data["reply"]
    by = format_moment(now + timedelta(minutes=10), "en", TZ, now)  # chat answers within 10 minutes
    assert reply == (f"@lucia, we are sorry this happened to you, and thank you for letting us know. We are looking "
                     f"into it now and will get back to you by {by}. Until then, https://help.example.com answers the "
                     "most common questions.")
    assert "sorry" in first_sentence(reply)
    assert row.data["reply_kind"] == "holding_reply" and row.data["reply_locale"] == "en"
    assert row.data["reply_tone"] == []  # the shipped words pass every rule


def test_an_escalated_spanish_reply_is_all_spanish(services) -> None:
    now = services.clock.now()
    row, _ = services.receive_complaint("email", "Marta Gil", 200, "Hablaré con mi abogado si no me devolvéis el "
                                        "dinero del pedido 7781234")
    reply = row.data["reply"]
    by = format_moment(now + timedelta(hours=1), "es", TZ, now)  # legal: within 1h
    assert reply.startswith("Marta Gil, sentimos las molestias, y gracias por tu paciencia. Hemos pasado tu caso a "
                            f"nuestro equipo jurídico y te responderemos antes de las {by}.")
    assert "sentimos" in first_sentence(reply).lower()
    for english in ("legal", "counsel", "sorry", "thank"):
        assert english not in reply.lower()
    assert row.data["reply_kind"] == "escalation_notice" and row.data["reply_locale"] == "es"
    assert row.data["reply_tone"] == []


def test_an_address_is_not_a_name(services) -> None:
    row, _ = services.receive_complaint("email", "maria@example.com", 3, "My parcel never arrived")
    assert row.data["reply"].startswith("We are sorry this happened to you")


def test_without_a_team_name_in_its_language_the_reply_names_nobody(tmp_path: Path, db, clock) -> None:
    plan = copy_plan(tmp_path / "plan")
    words = plan / "templates" / "es" / "catalogue.yaml"
    words.write_text(words.read_text(encoding="utf-8").replace("  legal_counsel: nuestro equipo jurídico\n", ""),
                     encoding="utf-8")
    services = Services(load_plan(plan), db, clock)
    assert catalogue_of(services.plan).team("es", "legal_counsel") is None
    row, _ = services.receive_complaint("email", "", 200, "Voy a poner una denuncia y hablar con mi abogado: el "
                                        "pedido 1234567 no llegó")
    reply = row.data["reply"]
    assert reply.startswith("Sentimos las molestias") and "las personas que mejor pueden resolverlo" in reply
    assert "legal" not in reply.lower() and row.data["reply_tone"] == []


def test_the_reply_is_the_plans_own_words_and_its_tone_findings_are_kept(tmp_path: Path, db, clock) -> None:
    plan = copy_plan(tmp_path / "plan")
    (plan / "templates" / "en" / "holding_reply.md.j2").write_text(
        "Thanks{% if person %} {{ person }}{% endif %}, we will get back to you by {{ next_update }}. "
        "{{ org.help_url }}\n", encoding="utf-8")
    services = Services(load_plan(plan), db, clock)
    row, _ = services.receive_complaint("social", "@ana", 5, "Checkout keeps failing for me")
    assert row.data["reply"].startswith("Thanks @ana, we will get back to you by ")
    assert [f["rule"] for f in row.data["reply_tone"]] == ["apology"]  # kept beside the reply, for the team


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("kind", sorted(REPLY_KINDS.values()))
def test_the_shipped_replies_render_as_replies_and_pass_every_tone_rule(plan, locale: str, kind: str) -> None:
    """What validate checks with an incident's context, here with a reply's: no incident, a team or none."""
    renderer = Renderer(plan.root / "templates")
    path = plan.template_path(locale, plan.settings.signals.complaints.runbook, kind)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    catalogue = catalogue_of(plan)
    for person in ("@alex", None):
        for team in (catalogue.team(locale, "legal_counsel"), None):
            text = renderer.render(path, reply_context(plan.settings, locale=locale, now=now,
                                                       answer_by=now + timedelta(hours=1), person=person, team=team))
            for channel in ("social_short", "email", "chat"):
                # a reply goes to the one person (the runbook's audience): naming their handle there is right
                findings = check(text, Context(locale=locale, kind=kind, channel=channel,
                                               jargon=tuple(plan.settings.tone.jargon),
                                               block=tuple(plan.settings.tone.block),
                                               audience=plan.runbook("complaints").audience(kind)))
                assert findings == [], (text, [(f.rule, f.message) for f in findings])
            assert ("sorry" if locale == "en" else "sentimos") in first_sentence(text).lower()


def test_a_missing_reply_template_is_a_validate_error_naming_the_file(tmp_path: Path) -> None:
    plan = copy_plan(tmp_path / "plan")
    (plan / "templates" / "es" / "holding_reply.md.j2").unlink()
    result = CliRunner().invoke(main, ["validate", "--plan", str(plan)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "templates/es/holding_reply.md.j2:1:1: error: no reply template 'holding_reply' for locale 'es'" \
        in result.output
    line = next(i for i, text in enumerate((plan / "plan.yaml").read_text().splitlines(), 1)
                if text.startswith("locales:"))
    assert f"plan.yaml:{line} lists 'es'" in result.output
