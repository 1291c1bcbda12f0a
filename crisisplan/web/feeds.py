"""Atom feeds (RFC 4287) of public posts: the whole page at /feed.atom, one incident at /incidents/N/feed.atom.

Drills never appear: the entries come from the same public view as the status page. A feed is in the plan's
default language, or in the one `?lang=` names (the page's feed link carries it); the words around the posts
come from the plan's catalogue.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from datetime import datetime

from flask import Blueprint, Response, abort, request

from crisisplan import textgate
from crisisplan.comms.catalogue import catalogue_of
from crisisplan.comms.markdown import to_html
from crisisplan.services import PublicIncident
from crisisplan.web import services
from crisisplan.web.public import cache, public_base, send

bp = Blueprint("feeds", __name__)
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _locale() -> str:
    """?lang= when the plan speaks it, else the default: a feed reader's address decides, not its headers."""
    settings = services().plan.settings
    asked = request.args.get("lang", "")
    return asked if asked in settings.locales else settings.default_locale


def _words(locale: str) -> dict[str, str]:
    catalogue = catalogue_of(services().plan)
    return {**catalogue.words(locale, "page"), **catalogue.words(locale, "feed")}


def _base() -> str:
    return public_base()


def _tag(*parts: object) -> str:
    """A stable id that never changes with the address the page is served at (RFC 4151 tag URI)."""
    org = services().plan.settings.organisation.name
    slug = hashlib.sha256(org.encode()).hexdigest()[:12]
    return f"tag:crisisplan.{slug},2026:" + "/".join(str(p) for p in parts)


def _text(parent: ElementTree.Element, name: str, text: str, **attrs: str) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    element.text = text
    return element


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def atom(incidents: list[PublicIncident], title: str, self_path: str, alternate: str, feed_id: str,
         locale: str | None = None) -> bytes:
    settings = services().plan.settings
    locale = locale or settings.default_locale
    words = _words(locale)
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed", {XML_LANG: locale})
    _text(feed, "title", title)
    _text(feed, "id", feed_id)
    updates = [(incident, update) for incident in incidents for update in incident.updates]
    newest = max((u.at for _, u in updates), default=None)
    _text(feed, "updated", _iso(newest) if newest else "2026-01-01T00:00:00+00:00")
    ElementTree.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": _base() + self_path,
                                                      "type": "application/atom+xml"})
    ElementTree.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "href": alternate, "type": "text/html"})
    author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", settings.organisation.name)
    for incident, update in sorted(updates, key=lambda pair: pair[1].at, reverse=True)[:100]:
        entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", words["entry_title"].format(title=incident.title_in(locale),
                                                           status=words.get(update.status, update.status)))
        # another language's feed is another feed: its ids say which language (the default's stay as they were)
        _text(entry, "id", _tag("incident", incident.id, "update", update.id, *_language_part(locale)))
        _text(entry, "updated", _iso(update.at))
        _text(entry, "published", _iso(update.at))
        page = f"{_base()}/incidents/{incident.id}{_query(locale)}"
        ElementTree.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": page})
        body = (update.bodies.get(locale) or update.bodies.get(settings.default_locale)
                or next(iter(update.bodies.values()), ""))
        _text(entry, "content", to_html(body), type="html")  # escaped by the XML writer, sanitised by nh3
    return ElementTree.tostring(textgate.xml_tree(feed), encoding="utf-8", xml_declaration=True)


CONTENT_TYPE = "application/atom+xml; charset=utf-8"


def _language_part(locale: str) -> tuple[str, ...]:
    return () if locale == services().plan.settings.default_locale else (locale,)


def _query(locale: str) -> str:
    return "" if locale == services().plan.settings.default_locale else f"?lang={locale}"


@bp.route("/feed.atom")
def page_feed() -> Response:
    org = services().plan.settings.organisation
    locale = _locale()

    def build() -> str:
        return atom(services().public_recent(), _words(locale)["title"].format(org=org.name),
                    "/feed.atom" + _query(locale), _base() + "/" + _query(locale),
                    _tag("feed", *_language_part(locale)), locale).decode()

    page = cache().page(("feed", locale, _base()), build)
    assert page is not None  # noqa: S101 - the page's feed always renders
    return send(page, False, CONTENT_TYPE)


@bp.route("/incidents/<int:incident_id>/feed.atom")
def incident_feed(incident_id: int) -> Response:
    locale = _locale()

    def build() -> str | None:
        found = services().public_incidents(incident_id=incident_id)
        if not found:
            return None
        title = _words(locale)["incident_title"].format(title=found[0].title_in(locale),
                                                         org=services().plan.settings.organisation.name)
        return atom(found, title, f"/incidents/{incident_id}/feed.atom" + _query(locale),
                    f"{_base()}/incidents/{incident_id}" + _query(locale),
                    _tag("incident", incident_id, *_language_part(locale)), locale).decode()

    page = cache().page(("feed", incident_id, locale, _base()), build)
    if page is None:
        abort(404)
    return send(page, False, CONTENT_TYPE)
