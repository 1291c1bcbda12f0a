"""Atom feeds (RFC 4287) of public posts: the whole page at /feed.atom, one incident at /incidents/N/feed.atom.

Drills never appear: the entries come from the same public view as the status page.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from datetime import datetime

from flask import Blueprint, Response, abort, request

from crisisplan.comms.markdown import to_html
from crisisplan.services import PublicIncident
from crisisplan.web import services
from crisisplan.web.public import cache, send

bp = Blueprint("feeds", __name__)
ATOM = "http://www.w3.org/2005/Atom"
STATUS_WORDS = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
                "resolved": "Resolved"}


def _base() -> str:
    org = services().plan.settings.organisation
    return (org.status_url or request.url_root).rstrip("/")


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


def atom(incidents: list[PublicIncident], title: str, self_path: str, alternate: str, feed_id: str) -> bytes:
    settings = services().plan.settings
    locale = settings.default_locale
    ElementTree.register_namespace("", ATOM)
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
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
        _text(entry, "title", f"{incident.title} — {STATUS_WORDS.get(update.status, update.status)}")
        _text(entry, "id", _tag("incident", incident.id, "update", update.id))
        _text(entry, "updated", _iso(update.at))
        _text(entry, "published", _iso(update.at))
        ElementTree.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html",
                                                           "href": f"{_base()}/incidents/{incident.id}"})
        body = update.bodies.get(locale) or next(iter(update.bodies.values()), "")
        _text(entry, "content", to_html(body), type="html")  # escaped by the XML writer, sanitised by nh3
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


CONTENT_TYPE = "application/atom+xml; charset=utf-8"


@bp.route("/feed.atom")
def page_feed() -> Response:
    org = services().plan.settings.organisation

    def build() -> str:
        return atom(services().public_incidents(), f"{org.name} status", "/feed.atom", _base() + "/",
                    _tag("feed")).decode()

    return send(cache().page(("feed",), build), False, CONTENT_TYPE)


@bp.route("/incidents/<int:incident_id>/feed.atom")
def incident_feed(incident_id: int) -> Response:
    def build() -> str:
        found = [i for i in services().public_incidents() if i.id == incident_id]
        if not found:
            return ""
        return atom(found, f"{found[0].title} — {services().plan.settings.organisation.name}",
                    f"/incidents/{incident_id}/feed.atom", f"{_base()}/incidents/{incident_id}",
                    _tag("incident", incident_id)).decode()

    page = cache().page(("feed", incident_id), build)
    if not page.body:
        abort(404)
    return send(page, False, CONTENT_TYPE)
