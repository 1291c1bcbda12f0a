"""The uptime bars: 90 days a component on the status page (`public/fragments/uptime.html`) and `/api/v2/uptime.json`.

The figures come from `services.uptime()` (the component status record, computed in `comms.uptime`); this
module only words them: each bar's text equivalent in the reader's language, its link to the day's
incidents, and the JSON document.
"""

from __future__ import annotations

import json
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, Response, url_for

from crisisplan.comms.uptime import percent
from crisisplan.web import services
from crisisplan.web.public import cache, send, words

bp = Blueprint("uptime", __name__)
UPTIME_LINKS = 3  # incidents linked from one day's bar
# each bar's class: its worst status in one letter (style.css), since 90 bars a component are most of the page
CODES = {"none": "n", "operational": "o", "degraded_performance": "d", "under_maintenance": "u",
         "partial_outage": "p", "major_outage": "m"}


def _percent(share: float | None, locale: str) -> str:
    value = percent(share)
    return "" if value is None else format_decimal(value, format="0.00", locale=locale)


def bars(locale: str, lang_query: str = "", uptime: list[Any] | None = None) -> list[dict[str, Any]]:
    """Each component's bars for the page, in the reader's language: label, figure, and per day its class,
    text equivalent and links to the incidents of that day (`uptime`: the figures, when already read)."""
    settings = services().plan.settings
    page = words(locale)
    result = []
    for component, figures in zip(settings.components, uptime if uptime is not None else services().uptime(),
                                  strict=True):
        titles = {i: given.get(locale) or given.get(settings.fallback_locale or "") or title
                  for i, (title, given) in figures.names.items()}
        days = []
        for day in figures.days:
            shown = format_date(day.day, "d MMM y", locale=locale)
            if day.uptime is None:
                text = page["uptime_no_data"].format(day=shown)
            else:
                text = page["uptime_day"].format(day=shown, percent=_percent(day.uptime, locale))
                if day.worst and day.worst != "operational":
                    text += "; " + page["uptime_worst"].format(status=page[day.worst].lower())
            # at most UPTIME_LINKS a day, the rest a click away on /history: the page stays small in a storm
            links = [{"href": url_for("public.incident_page", incident_id=i) + lang_query, "title": titles.get(i, "")}
                     for i in day.incidents[:UPTIME_LINKS]]
            if day.incident_count > UPTIME_LINKS:
                links.append({"href": url_for("public.history", month=day.day.strftime("%Y-%m"))
                              + lang_query.replace("?", "&"), "title": page["all_history"]})
            status = day.worst or "none"
            days.append({"date": day.day.isoformat(), "status": status, "code": CODES.get(status, "o"), "text": text,
                         "links": links})
        result.append({"name": component.name, "label": component.label_in(locale, settings.fallback_locale),
                       "figure": page["uptime_figure"].format(percent=_percent(figures.uptime, locale))
                       if figures.uptime is not None else "", "days": days})
    return result


@bp.app_context_processor
def _for_templates() -> dict[str, Any]:
    return {"uptime_bars": bars}


def document() -> dict[str, Any]:
    """`/api/v2/uptime.json`: per component, the uptime over the days and each day's figures."""
    from crisisplan.web.statusapi import _id, _View

    settings = services().plan.settings
    view = _View()
    base = view.base
    figures = services().uptime()
    components = []
    for component, found in zip(settings.components, figures, strict=True):
        components.append({
            "id": _id("component", component.name), "name": component.label,
            "uptime": None if found.uptime is None else round(found.uptime, 6),
            "uptime_percentage": percent(found.uptime),
            "days": [{"date": d.day.isoformat(), "uptime": None if d.uptime is None else round(d.uptime, 6),
                      "status": d.worst or None, "recorded_seconds": round(d.measured_s),
                      "downtime_seconds": round(d.down_s), "seconds": {k: round(v) for k, v in d.seconds.items()},
                      "incident_count": d.incident_count,  # the first few are listed: /history has them all
                      "incidents": [{"id": str(i), "shortlink": f"{base}/incidents/{i}"} for i in d.incidents]}
                     for d in found.days]})
    return {"page": view.page(),
            "uptime": {"days": settings.uptime.days, "partial_outage_weight": settings.uptime.partial_weight,
                       "time_zone": settings.organisation.time_zone},
            "components": components}


@bp.route("/api/v2/uptime.json")
def uptime_json() -> Response:
    """The uptime record as JSON; public, cached like the page."""
    page = cache().page(("v2", "uptime"), lambda: json.dumps(document(), ensure_ascii=False))
    response = send(page, False, "application/json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
