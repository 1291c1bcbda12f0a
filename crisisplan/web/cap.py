"""CAP 1.2 (OASIS Common Alerting Protocol): one alert document a public post, and an Atom index at /cap.xml.

The first post of an incident is an Alert, later ones Updates referencing the
one before, and the post that resolves it a Cancel. A drill's documents say
`Exercise` (they are served only inside the console); everything public says `Actual`. Each language of a
post is one `info` block, worded from that language's catalogue (event, area); the index is in the default one.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort

from crisisplan import textgate
from crisisplan.comms.catalogue import catalogue_of
from crisisplan.comms.markdown import to_text
from crisisplan.errors import NotFound
from crisisplan.services import PublicIncident, PublicUpdate
from crisisplan.web import services
from crisisplan.web.public import cache, public_base, send

bp = Blueprint("cap", __name__)
CAP = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM = "http://www.w3.org/2005/Atom"
SEVERITY = {"critical": "Severe", "major": "Moderate", "minor": "Minor", "none": "Unknown"}
CONTENT_TYPE = "application/cap+xml; charset=utf-8"


def _sender() -> str:
    org = services().plan.settings.organisation
    return org.support_email or public_base().split("//", 1)[-1].strip("/")


def _sent(moment: datetime) -> str:
    """CAP's dateTime: seconds, an explicit offset, no fractions ("2026-01-05T10:00:00+01:00")."""
    tz = ZoneInfo(services().plan.settings.organisation.time_zone)
    return moment.astimezone(tz).replace(microsecond=0).isoformat()


def _identifier(update: PublicUpdate) -> str:
    org = services().plan.settings.organisation.name
    return f"crisisplan-{hashlib.sha256(org.encode()).hexdigest()[:8]}-post-{update.id}"


def _words(locale: str) -> dict[str, str]:
    catalogue = catalogue_of(services().plan)
    return {**catalogue.words(locale, "page"), **catalogue.words(locale, "cap")}


def _el(parent: ElementTree.Element, name: str, text: str) -> None:
    ElementTree.SubElement(parent, f"{{{CAP}}}{name}").text = text


def alert(incident: PublicIncident, update: PublicUpdate, drill: bool = False) -> bytes:
    """The CAP document of one post of one incident."""
    settings = services().plan.settings
    org = settings.organisation
    oldest_first = list(reversed(incident.updates))
    index = next(i for i, u in enumerate(oldest_first) if u.id == update.id)
    msg_type = "Cancel" if update.status in ("resolved", "postmortem") else ("Alert" if index == 0 else "Update")
    ElementTree.register_namespace("", CAP)
    root = ElementTree.Element(f"{{{CAP}}}alert")
    _el(root, "identifier", _identifier(update))
    _el(root, "sender", _sender())
    _el(root, "sent", _sent(update.at))
    _el(root, "status", "Exercise" if drill else "Actual")
    _el(root, "msgType", msg_type)
    _el(root, "scope", "Public")
    if index > 0:
        before = oldest_first[index - 1]
        _el(root, "references", f"{_sender()},{_identifier(before)},{_sent(before.at)}")
    base = public_base()
    for locale, text in update.bodies.items():
        words = _words(locale)
        labels = {c.name: c.label_in(locale, settings.fallback_locale) for c in settings.components}
        info = ElementTree.SubElement(root, f"{{{CAP}}}info")
        _el(info, "language", locale)
        _el(info, "category", "Infra")
        _el(info, "event", words["event"])
        if msg_type == "Cancel":
            _el(info, "responseType", "AllClear")
        _el(info, "urgency", "Past" if msg_type == "Cancel" else "Immediate")
        _el(info, "severity", "Minor" if msg_type == "Cancel" else SEVERITY.get(incident.impact, "Unknown"))
        _el(info, "certainty", "Observed")
        _el(info, "senderName", org.name)
        _el(info, "headline", incident.title_in(locale, settings.fallback_locale)[:160])
        _el(info, "description", to_text(text))
        _el(info, "web", f"{base}/incidents/{incident.id}")
        if org.support_email or org.phone:
            _el(info, "contact", " / ".join(x for x in (org.support_email, org.phone) if x))
        area = ElementTree.SubElement(info, f"{{{CAP}}}area")
        names = ", ".join(labels.get(c, c) for c in incident.components) or words["all_services"]
        _el(area, "areaDesc", words["area"].format(org=org.name, components=names))
    return ElementTree.tostring(textgate.xml_tree(root), encoding="utf-8", xml_declaration=True)


def find(post_id: int, drill_id: int | None = None) -> tuple[PublicIncident, PublicUpdate] | None:
    if drill_id is None:
        try:
            incidents = services().public_incidents(incident_id=services().post(post_id).incident_id)
        except NotFound:
            return None
    else:
        incidents = services().public_incidents(drill_id=drill_id)
    for incident in incidents:
        for update in incident.updates:
            if update.id == post_id:
                return incident, update
    return None


@bp.route("/cap.xml")
def cap_index() -> Response:
    """An Atom index of the CAP alerts (the usual way CAP is published), newest first."""
    def build() -> str:
        ElementTree.register_namespace("", ATOM)
        feed = ElementTree.Element(f"{{{ATOM}}}feed")
        org = services().plan.settings.organisation
        words = _words(services().plan.settings.default_locale)
        base = public_base()
        ElementTree.SubElement(feed, f"{{{ATOM}}}title").text = words["index_title"].format(org=org.name)
        ElementTree.SubElement(feed, f"{{{ATOM}}}id").text = f"{base}/cap.xml"
        pairs = sorted(((i, u) for i in services().public_recent(100) for u in i.updates),
                       key=lambda p: p[1].at, reverse=True)[:100]
        newest = pairs[0][1].at.isoformat(timespec="seconds") if pairs else "2026-01-01T00:00:00+00:00"
        ElementTree.SubElement(feed, f"{{{ATOM}}}updated").text = newest
        ElementTree.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": f"{base}/cap.xml"})
        author = ElementTree.SubElement(feed, f"{{{ATOM}}}author")
        ElementTree.SubElement(author, f"{{{ATOM}}}name").text = org.name
        for incident, update in pairs:
            entry = ElementTree.SubElement(feed, f"{{{ATOM}}}entry")
            ElementTree.SubElement(entry, f"{{{ATOM}}}title").text = words["index_entry"].format(
                title=incident.title, status=words.get(update.status, update.status))
            ElementTree.SubElement(entry, f"{{{ATOM}}}id").text = _identifier(update)
            ElementTree.SubElement(entry, f"{{{ATOM}}}updated").text = update.at.isoformat(timespec="seconds")
            ElementTree.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "application/cap+xml",
                                                               "href": f"{base}/cap/{update.id}.xml"})
        return ElementTree.tostring(textgate.xml_tree(feed), encoding="utf-8", xml_declaration=True).decode()

    page = cache().page(("cap", public_base()), build)
    assert page is not None  # noqa: S101 - the index always renders
    return send(page, False, "application/atom+xml; charset=utf-8")


@bp.route("/cap/<int:post_id>.xml")
def cap_alert(post_id: int) -> Response:
    def build() -> str | None:
        found = find(post_id)
        return alert(*found).decode() if found else None

    page = cache().page(("cap", post_id, public_base()), build)
    if page is None:
        abort(404)
    return send(page, False, CONTENT_TYPE)
