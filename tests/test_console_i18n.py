"""The console in the reader's language (Flask-Babel): chosen per person (their account's setting, else the
browser's Accept-Language among the plan's locales, else the plan's default_locale); the catalogues are whole
and compiled; and every console page, for every role, shows no English words of the catalogue in Spanish."""

from __future__ import annotations

import gettext
import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from crisisplan.web.i18n import TRANSLATIONS
from tests.conftest import ROLE_USERS
from tests.web import form, login

ES = {"Accept-Language": "es-ES,es;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
PO = TRANSLATIONS / "es" / "LC_MESSAGES" / "messages.po"
# what is never a page: files, pictures, JSON, the identity provider's return, a drill's public-page sandbox
NOT_PAGES = {"auth.sso_callback", "console.drill_sandbox", "console.drill_injects", "console.diagram",
             "console.runbook_diagram", "console.post_cap", "console.review_file", "console.actions_export",
             "console.metrics_csv", "console.review_json", "console.timeline_markdown"}


# pages whose templates are still being put into the catalogue (issue 15 part 1 rewrites their words now)
PENDING: set[str] = set()


def _catalogue() -> dict[str, str]:
    """The catalogue's English and Spanish; a plural's forms each on their own ("%(num)s day", "%(num)s days")."""
    with PO.open("rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    found = {m.id: m.string for m in messages if isinstance(m.id, str)}
    for m in messages:
        if not isinstance(m.id, str):
            found.update(zip(m.id, m.string, strict=True))
    return found


def test_every_console_word_has_a_spanish_translation_with_the_same_placeholders() -> None:
    catalogue = _catalogue()
    assert len(catalogue) > 150  # the console's words, not a handful
    for english, spanish in catalogue.items():
        assert spanish, f"no Spanish for {english!r} in {PO}"
        assert sorted(re.findall(r"%\(\w+\)s", english)) == sorted(re.findall(r"%\(\w+\)s", spanish)), english


def test_the_compiled_catalogue_is_the_one_written() -> None:
    """The committed .mo (what the app reads, so a fresh clone needs no build step) says what the .po says:
    `bash scripts/translations.sh` compiles it again after an edit."""
    with (PO.with_suffix(".mo")).open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    with PO.open("rb") as handle:
        written = {m.id: m.string for m in read_po(handle) if m.id}
    singular = {k: v for k, v in written.items() if isinstance(k, str)}
    assert {k: v for k, v in compiled.items() if isinstance(k, str) and k} == singular
    for english, spanish in written.items():
        if not isinstance(english, str):  # a plural: each form under (msgid, index)
            assert [compiled[(english[0], i)] for i in range(len(spanish))] == list(spanish)


def test_the_language_is_the_persons_then_the_browsers_then_the_plans(client, services) -> None:
    login(client, "carmen")
    assert "<h1>Active incidents" in client.get("/console/").get_data(as_text=True)  # no header: the default, en
    assert 'lang="es"' in client.get("/console/", headers=ES).get_data(as_text=True)
    assert "Panel</a>" in client.get("/console/", headers=ES).get_data(as_text=True)
    assert "Panel</a>" not in client.get("/console/", headers={"Accept-Language": "fr, de"}).get_data(as_text=True)

    # her own choice wins over the browser's, and is kept in the database
    page = form(client, "/console/account", {"locale": "es"}, follow=True).get_data(as_text=True)
    assert "desde ahora la consola le habla en este idioma" in page
    assert 'lang="es"' in client.get("/console/", headers=EN).get_data(as_text=True)
    from crisisplan.services.accounts import Accounts

    carmen = next(u for u in Accounts(services.db).users() if u.name == "carmen")
    assert carmen.locale == "es"
    # back to the browser's
    form(client, "/console/account", {"locale": ""})
    assert 'lang="en"' in client.get("/console/", headers=EN).get_data(as_text=True)


def test_a_language_the_plan_does_not_have_is_refused_and_changes_nothing(client, services) -> None:
    login(client, "carmen")
    response = form(client, "/console/account", {"locale": "xx"})
    assert response.status_code == 422
    assert "is not a language of the plan" in response.get_data(as_text=True)
    assert 'lang="en"' in client.get("/console/", headers=EN).get_data(as_text=True)


class _Visible(HTMLParser):
    """The text a reader sees (and hears: titles, labels, placeholders), without code, keys and what is marked
    as written in another language (a post's English text, say)."""

    SKIP = {"script", "style", "code", "kbd", "template"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: whether its text is skipped
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skipped = (bool(self.stack and self.stack[-1]) or tag in self.SKIP or "hidden" in values
                   or (values.get("lang") or "es") != "es")
        if not skipped:
            self.texts += [v for k, v in attrs if k in ("title", "placeholder", "aria-label", "alt") and v]
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not (self.stack and self.stack[-1]):
            self.texts.append(" ".join(data.split()))


def english_shown(html: str, catalogue: dict[str, str]) -> list[str]:
    """The catalogue's English words a Spanish page shows: a text that is a whole msgid, or a piece of a
    sentence-long msgid (three words or more around its placeholders)."""
    parser = _Visible()
    parser.feed(html)
    english = {k for k, v in catalogue.items() if k != v}
    whole = {k for k in english if "%(" not in k}
    pieces = {p.strip(" .:;,") for k in english for p in re.split(r"%\(\w+\)s", k)
              if len(p.strip(" .:;,").split()) >= 3}
    found = {t for t in parser.texts if t in whole or t.rstrip(".:") in whole}
    found |= {p for t in parser.texts for p in pieces if p in t}
    return sorted(found)


@pytest.fixture
def pages(app, services) -> list[str]:
    """Every console page (GET, HTML) with its arguments filled from a sample: an incident, its post, a
    template."""
    view = services.declare("outage", "sev1", "Los pagos fallan", "carmen", components=["checkout"])
    post = services.posts(view.id)[0]
    services.submit_post(post.id, "carmen")
    template = sorted(p.relative_to(services.plan.root / "templates").as_posix()
                      for p in services.plan.templates.values())[0]
    args = {"incident_id": view.id, "post_id": post.id, "name": template}
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if (rule.endpoint.startswith(("console.", "auth.")) and "GET" in rule.methods
                    and rule.endpoint not in NOT_PAGES):
                urls.append(url_for(rule.endpoint, **{a: args[a] for a in rule.arguments}))
    return sorted(set(urls))


@pytest.mark.parametrize("name", sorted(ROLE_USERS))
def test_every_console_page_in_spanish_shows_no_english_words_of_the_catalogue(client, pages, name) -> None:
    catalogue = _catalogue()
    assert "/console/incidents/1" in pages and "/console/posts/1" in pages and "/login" in pages
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ES["Accept-Language"]  # a Spanish browser, from the login on
    login(client, name)
    shown = {}
    for url in pages:
        response = client.get(url, headers=ES)
        if response.status_code == 403:  # not for this role: the next role sees it
            continue
        assert response.status_code == 200, (url, response.status_code)
        html = response.get_data(as_text=True)
        assert '<html lang="es"' in html, url
        if (found := english_shown(html, catalogue)) and url.split("?")[0] not in PENDING:
            shown[url] = found
    assert not shown, f"English words in the Spanish console as {name}: {shown}"


def test_the_check_sees_an_untranslated_word() -> None:
    """The check itself can fail: an English label, a sentence piece, a title attribute are caught; code, keys
    and English-marked text are not."""
    catalogue = _catalogue()
    assert english_shown("<p><a href='/'>Dashboard</a></p>", catalogue) == ["Dashboard"]
    assert english_shown("<button title='Your account and language'>x</button>", catalogue) == \
        ["Your account and language"]
    sentence = "<p>Ana: shown once; pass it on safely.</p>"
    assert english_shown(sentence, catalogue) == ["shown once; pass it on safely"]
    assert english_shown("<p><code>Dashboard</code> <kbd>Dashboard</kbd> <span lang='en'>Dashboard</span></p>",
                         catalogue) == []
    assert english_shown("<p>Panel</p>", catalogue) == []



def test_deadlines_count_down_in_the_readers_language(client, services) -> None:
    """The server's "in 15 min" and the page's live countdown (console.js reads the words from <html>)."""
    services.declare("outage", "sev1", "Los pagos fallan", "carmen")
    login(client, "carmen")
    spanish = client.get("/console/", headers=ES).get_data(as_text=True)
    assert 'data-due-in="en {t}"' in spanish and 'data-overdue="{t} de retraso"' in spanish
    assert 'data-days="{n} días"' in spanish
    assert ">en 15 min<" in spanish  # sev1: acknowledge within 15 minutes, on the simulated clock
    english = client.get("/console/", headers=EN).get_data(as_text=True)
    assert 'data-due-in="in {t}"' in english and ">in 15 min<" in english


def test_the_timeline_and_why_a_step_waits_read_in_spanish(client, services) -> None:
    """The timeline's sentences and the guards' words (web/console/words.py) come from the catalogue: Spanish
    wording as written by hand, English unchanged for an English browser."""
    services.declare("outage", "sev1", "Los pagos fallan", "carmen")
    login(client, "carmen")
    timeline = client.get("/console/incidents/1/timeline", headers=ES).get_data(as_text=True)
    assert "carmen declaró el incidente: «Los pagos fallan», gravedad sev1" in timeline
    assert "carmen redactó el acuse de recibo" in timeline
    incident = client.get("/console/incidents/1", headers=ES).get_data(as_text=True)
    assert "espera: hay que rellenar Confirmed cause." in incident  # the field's label is the runbook's own
    english = client.get("/console/incidents/1/timeline", headers=EN).get_data(as_text=True)
    assert "carmen declared the incident: “Los pagos fallan”, severity sev1" in english
    assert "carmen drafted the acknowledgement" in english
