"""The words around the posts live in the plan (templates/<locale>/catalogue.yaml): complete in the shipped
languages, checked by `crisisplan validate` with file:line, and a new language is data only."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main
from crisisplan.comms.catalogue import SECTIONS, catalogue_of, load_catalogue
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.models import OutboxRow
from tests.walk import publish_reviewed

TEMPLATES = SHIPPED_PLAN / "templates"
PUBLIC_PAGES = Path(__file__).parent.parent / "crisisplan" / "web" / "templates" / "public"


def copy_plan(target: Path) -> Path:
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, target / name)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", target / "plan.yaml")
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, start: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(start))


def validate(plan: Path):
    return CliRunner().invoke(main, ["validate", "--plan", str(plan)])


def test_the_shipped_catalogues_are_complete_and_clean() -> None:
    catalogue, problems = load_catalogue(TEMPLATES, ["en", "es"], "en")
    assert problems == []
    for locale in ("en", "es"):
        for section, keys in SECTIONS.items():
            assert set(catalogue.files.own[locale][section]) == set(keys), (locale, section)
        assert catalogue.files.own[locale]["teams"]  # the escalation matrix's roles, in each language
    assert catalogue.words("es", "page")["all_ok"] == "Todos los sistemas funcionan"
    assert catalogue.words("es_MX", "page")["all_ok"] == "Todos los sistemas funcionan"  # the language serves
    assert catalogue.words("de", "page")["all_ok"] == "All systems operational"  # unknown: the default


def test_every_word_a_public_page_shows_is_in_the_catalogue() -> None:
    used = set()
    for page in PUBLIC_PAGES.glob("*.html"):
        used |= set(re.findall(r"words\.(\w+)", page.read_text(encoding="utf-8")))
    for source in ("subscribe.py", "public.py"):
        used |= set(re.findall(r'_key="(\w+)"', (PUBLIC_PAGES.parent.parent / source).read_text(encoding="utf-8")))
    assert used and used <= set(SECTIONS["page"]), used - set(SECTIONS["page"])


def test_a_missing_word_falls_back_and_validate_names_it_with_file_and_line(tmp_path: Path) -> None:
    plan = copy_plan(tmp_path / "plan")
    spanish = plan / "templates" / "es" / "catalogue.yaml"
    edit(spanish, "  confirm: Confirmar mi suscripción\n", "")
    edit(spanish, "  legal_counsel: nuestro equipo jurídico\n", "")
    result = validate(plan)
    assert result.exit_code == 0, result.output
    page = line_of(spanish, "page:")
    assert f"templates/es/catalogue.yaml:{page}:1: warning: no 'page.confirm' for locale 'es': the 'en' words are " \
           "shown" in result.output
    assert f"templates/en/catalogue.yaml:{line_of(TEMPLATES / 'en' / 'catalogue.yaml', '  confirm:')})" in result.output
    assert "no 'teams.legal_counsel' for locale 'es': its replies do not name that team" in result.output
    catalogue = catalogue_of(load_plan(plan))
    assert catalogue.words("es", "page")["confirm"] == "Confirm my subscription"
    assert catalogue.team("es", "legal_counsel") is None  # never the English words in a Spanish reply
    assert catalogue.team("en", "legal_counsel") == "our legal team"


@pytest.mark.parametrize(("old", "new", "message"), [
    ("  confirm_text: Pulsa el botón para empezar a recibir avisos de estado en {email}.",
     "  confirm_text: Pulsa el botón para recibir avisos en {correo}.",
     "page.confirm_text uses {correo}, but only {email} is filled in"),
    ("  days: lun mar mié jue vie sáb dom", "  days: lun mar mié jue vie", "page.days needs 7 names"),
    ("  title: \"Estado de {org}\"", "  title: \"Estado de {org\"", "feed.title: "),
    ("  event: Incidencia del servicio", "  event: [Incidencia]", "cap.event must be text"),
])
def test_words_the_code_cannot_show_are_errors(tmp_path: Path, old: str, new: str, message: str) -> None:
    plan = copy_plan(tmp_path / "plan")
    spanish = plan / "templates" / "es" / "catalogue.yaml"
    edit(spanish, old, new)
    result = validate(plan)
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = line_of(spanish, new.split(":")[0] + ":")
    assert f"templates/es/catalogue.yaml:{line}:" in result.output and message in result.output, result.output


def test_the_default_language_must_have_every_word(tmp_path: Path) -> None:
    plan = copy_plan(tmp_path / "plan")
    edit(plan / "templates" / "en" / "catalogue.yaml", "  send_me: Send me updates\n", "")
    result = validate(plan)
    assert result.exit_code == 1 and "error: no 'page.send_me' in the default locale's catalogue" in result.output
    (plan / "templates" / "en" / "catalogue.yaml").unlink()
    result = validate(plan)
    assert result.exit_code == 1 and "templates/en/catalogue.yaml:1:1: error: no catalogue for the default locale" \
        in result.output


def test_unknown_keys_and_roles_are_warned_about(tmp_path: Path) -> None:
    plan = copy_plan(tmp_path / "plan")
    spanish = plan / "templates" / "es" / "catalogue.yaml"
    edit(spanish, "  send_me: Enviadme avisos", "  send_me: Enviadme avisos\n  sendme: Enviadme")
    edit(spanish, "  specialist: una persona especialista de nuestro equipo",
         "  specialist: una persona especialista de nuestro equipo\n  lawyer: nuestra abogada")
    result = validate(plan)
    assert result.exit_code == 0, result.output
    assert f"catalogue.yaml:{line_of(spanish, '  sendme:')}:3: warning: unknown key 'page.sendme'" in result.output
    assert "did you mean 'send_me'?" in result.output
    assert f"catalogue.yaml:{line_of(spanish, '  lawyer:')}:3: warning: teams.lawyer: no runbook has this role" \
        in result.output


def test_a_new_language_is_data_only(tmp_path: Path, db, clock) -> None:
    """Copy templates/en/ to templates/fr/, translate a few words, add fr to locales: French page, feed, CAP and
    e-mail, with no Python edit; the words not translated yet show in English and validate says which."""
    from crisisplan.publish.mail import Mailer
    from crisisplan.web import create_app

    plan = copy_plan(tmp_path / "plan")
    french = plan / "templates" / "fr"
    shutil.copytree(plan / "templates" / "en", french)
    words = french / "catalogue.yaml"
    for old, new in [("  all_ok: All systems operational", "  all_ok: Tous les systèmes fonctionnent"),
                     ("  status: Status", "  status: État"),
                     ("  investigating: Investigating", "  investigating: Analyse en cours"),
                     ("  title: \"{org} status\"", "  title: \"État de {org}\""),
                     ("  entry_title: \"{title} — {status}\"", "  entry_title: \"{title} — {status} (fr)\""),
                     ("  event: Service incident", "  event: Incident de service"),
                     ("  confirm_subject: Confirm your {org} status updates",
                      "  confirm_subject: Confirmez vos alertes d'état de {org}")]:
        edit(words, old, new)
    edit(words, "  none_past: No incidents.\n", "")  # not translated yet
    edit(plan / "plan.yaml", "locales: [en, es]", "locales: [en, es, fr]")

    result = validate(plan)
    assert result.exit_code == 0, result.output
    assert "warning: no 'page.none_past' for locale 'fr'" in result.output

    services = Services(load_plan(plan), db, clock)
    app = create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0})
    client = app.test_client()
    page = client.get("/?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Tous les systèmes fonctionnent" in page and "État" in page
    assert "No incidents." in page  # the English words fill the gap
    assert 'href="?lang=fr"' in page  # the language switch offers it

    view = services.declare("outage", "sev1", "Checkout fails", "ana", ["checkout"])
    [ack] = services.posts(view.id)
    assert set(ack.bodies) == {"en", "es", "fr"}
    publish_reviewed(services, ack.id, "ana")
    incident = client.get(f"/incidents/{view.id}?lang=fr").get_data(as_text=True)
    assert "Analyse en cours" in incident
    feed = client.get("/feed.atom?lang=fr").get_data(as_text=True)
    assert "<title>État de Example Shop</title>" in feed and "Checkout fails — Analyse en cours (fr)" in feed
    assert 'xml:lang="fr"' in feed
    assert "<title>Example Shop status</title>" in client.get("/feed.atom").get_data(as_text=True)
    cap = client.get(f"/cap/{ack.id}.xml").get_data(as_text=True)
    assert "<language>fr</language>" in cap and "<event>Incident de service</event>" in cap

    assert client.post("/subscribe?lang=fr", data={"email": "lea@example.org"}).status_code == 200
    with services.db.read() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.channel == "email:confirm")).one()
    wire, _ = Mailer(services.db, services.plan.settings).build(row)
    message = email.message_from_bytes(wire, policy=email.policy.default)
    assert message["Subject"] == "Confirmez vos alertes d'état de Example Shop"
