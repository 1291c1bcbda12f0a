"""Maintenance windows in public: the v2 `scheduled-maintenances*.json` shape, the iCalendar feed
`/maintenance.ics`, and the upcoming and active windows for the status page (`public/maintenance.html`).

Statuspage's public API v2: `scheduled-maintenances.json` (the 50 most recent, every status),
`…/upcoming.json` (status `scheduled`), `…/active.json` (`in_progress` or `verifying`); each is an incident
object with `impact: maintenance`, `scheduled_for` and `scheduled_until`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request
from icalendar import Calendar, Event

from crisisplan.comms.markdown import to_text
from crisisplan.services import PublicIncident
from crisisplan.web import services
from crisisplan.web.public import cache, maintenance_windows, send

bp = Blueprint("maintenance", __name__)

UPCOMING, ACTIVE = ("scheduled",), ("in_progress", "verifying")


def windows(which: str = "") -> list[PublicIncident]:
    """The public maintenance windows: `upcoming`, `active`, or (empty) the 50 most recent, soonest first."""
    found = maintenance_windows()
    if which == "upcoming":
        return [m for m in found if m.status in UPCOMING]
    if which == "active":
        return [m for m in found if m.status in ACTIVE]
    return sorted(found, key=lambda m: m.scheduled_for or m.declared_at, reverse=True)[:50]


def v2(view: Any, which: str = "") -> list[dict[str, Any]]:
    """The windows as Statuspage's v2 `scheduled_maintenances` list, built on the v2 incident object."""
    result = []
    for window in windows(which):
        item = view.incident(window)
        item.update(impact="maintenance", scheduled_for=view.time(window.scheduled_for),
                    scheduled_until=view.time(window.scheduled_until),
                    started_at=view.time(window.scheduled_for))
        result.append(item)
    return result


def status_page_windows() -> dict[str, list[PublicIncident]]:
    """What the status page lists: the windows going on now, and those ahead."""
    return {"active": windows("active"), "upcoming": sorted(windows("upcoming"), key=lambda m: m.scheduled_for)}


@bp.app_context_processor
def _for_templates() -> dict[str, Any]:
    return {"maintenance_windows": status_page_windows}


def calendar(locale: str = "") -> bytes:
    """Every public window as an iCalendar (RFC 5545) document: one VEVENT each, in `locale` (the plan's default
    language when empty; a missing translation falls back as on the page)."""
    settings = services().plan.settings
    locale = locale or settings.default_locale
    org = settings.organisation
    base = org.status_url.rstrip("/") or org.help_url
    domain = base.split("//", 1)[-1].split("/", 1)[0] or "crisisplan"
    cal = Calendar()
    cal.add("prodid", f"-//{org.name}//crisisplan maintenance//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{org.name}: scheduled maintenance")
    for window in services().public_maintenances():
        if window.scheduled_for is None or window.scheduled_until is None:
            continue
        event = Event()
        event.add("uid", f"maintenance-{window.id}@{domain}")
        event.add("summary", window.title_in(locale, settings.fallback_locale))
        event.add("dtstart", window.scheduled_for.astimezone(UTC))
        event.add("dtend", window.scheduled_until.astimezone(UTC))
        event.add("dtstamp", window.updated_at.astimezone(UTC))
        event.add("last-modified", window.updated_at.astimezone(UTC))
        event.add("sequence", len(window.updates))
        event.add("status", "CONFIRMED")
        event.add("url", f"{base}/incidents/{window.id}")
        latest = window.updates[0].bodies if window.updates else {}
        text = latest.get(locale) or latest.get(settings.default_locale) or next(iter(latest.values()), "")
        event.add("description", to_text(text))
        cal.add_component(event)
    return cal.to_ical()


@bp.route("/maintenance.ics")
def ics() -> Response:
    """The iCalendar feed calendars subscribe to (`?lang=es` in another language of the plan); cached like the page."""
    asked = request.args.get("lang", "")
    locale = asked if asked in services().plan.settings.locales else ""
    page = cache().page(("maintenance.ics", locale), lambda: calendar(locale).decode())
    response = send(page, False, "text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="maintenance.ics"'
    return response


def schedule_from_statuspage(data: dict[str, Any], actor: str, components: list[str]) -> Any:
    """`POST /v1/pages/{page}/incidents` with `scheduled_for` and `scheduled_until`, as Statuspage creates a
    scheduled maintenance: a window on the maintenance runbook (`metadata.crisisplan.runbook`, else the plan's
    first), titled `name` (`metadata.crisisplan.titles` gives other languages). Its words are the plan's own
    templates in every language, so a `body` is refused rather than published in one language only."""
    from crisisplan.errors import InvalidInput

    meta = (data.get("metadata") or {}).get("crisisplan") or {}
    if not isinstance(meta, dict):
        raise InvalidInput("metadata.crisisplan must be an object", "metadata")
    moments = {}
    for key in ("scheduled_for", "scheduled_until"):
        value = data.get(key)
        try:
            moments[key] = datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(f"{key} must be an ISO 8601 time with its offset (2026-03-01T22:00:00Z), "
                               f"not {value!r}", key) from None
        if moments[key].tzinfo is None:
            raise InvalidInput(f"{key} needs its offset (Z, +01:00)", key)
    if data.get("body"):
        raise InvalidInput("a scheduled maintenance is announced in the plan's own words, in every language it "
                           "speaks (templates/<locale>/maintenance/); leave out body", "body")
    if data.get("status") not in (None, "scheduled"):
        raise InvalidInput("a new maintenance starts as scheduled; it moves by itself at its times", "status")
    windows_runbooks = services().maintenance_runbooks()
    runbook = meta.get("runbook") or (windows_runbooks[0] if windows_runbooks else "")
    titles = meta.get("titles") or {}
    if not isinstance(titles, dict):
        raise InvalidInput("metadata.crisisplan.titles must be an object {locale: title}", "titles")
    return services().schedule_maintenance(str(runbook), str(data.get("name") or "").strip(),
                                           moments["scheduled_for"], moments["scheduled_until"], actor, components,
                                           {str(k): str(v) for k, v in titles.items()})
