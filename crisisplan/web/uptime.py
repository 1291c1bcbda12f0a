"""The uptime bars: 90 days a component on the status page (`public/fragments/uptime.html`) and `/api/v2/uptime.json`.

The figures come from `services.uptime()` (the component status record, computed in `comms.uptime`); this
module only words them: each bar's text equivalent in the reader's language, its link to the day's
incidents, and the JSON document.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, Response, url_for

from crisisplan.comms.uptime import percent
from crisisplan.web import services
from crisisplan.web.public import cache, send, words

bp = Blueprint("uptime", __name__)
UPTIME_LINKS = 3  # incidents linked by name from one day's bar; a busier day links to the month's history
# each bar's class: its worst status in one letter (style.css), since 90 bars a component are most of the page
CODES = {"none": "n", "operational": "o", "degraded_performance": "d", "under_maintenance": "u",
         "partial_outage": "p", "major_outage": "m"}


def _percent(share: float | None, locale: str) -> str:
    value = percent(share)
    return "" if value is None else format_decimal(value, format="0.00", locale=locale)


def _day_item(day: Any, titles: dict[int, str], page: dict[str, str], locale: str,
              lang_query: str) -> dict[str, Any]:
    """One bar in the reader's words: its class, its text equivalent and its links to the day's incidents."""
    shown = format_date(day.day, "d MMM y", locale=locale)
    if day.uptime is None:
        text = page["uptime_no_data"].format(day=shown)
    else:
        text = page["uptime_day"].format(day=shown, percent=_percent(day.uptime, locale))
        if day.worst and day.worst != "operational":
            text += "; " + page["uptime_worst"].format(status=page[day.worst].lower())
    if day.incident_count > UPTIME_LINKS:  # a busy day: how many, and the month's history has them all
        links = [{"href": url_for("public.history", month=day.day.strftime("%Y-%m")) + lang_query.replace("?", "&"),
                  "title": f"{format_decimal(day.incident_count, locale=locale)} ({page['all_history']})"}]
    else:  # a few: each by its title, so the page stays small in a storm and says it all on a quiet day
        links = [{"href": url_for("public.incident_page", incident_id=i) + lang_query, "title": titles.get(i, "")}
                 for i in day.incidents]
    status = day.worst or "none"
    return {"date": day.day.isoformat(), "status": status, "code": CODES.get(status, "o"), "text": text,
            "links": links}


def _titles(names: dict[int, tuple[str, dict[str, str]]], locale: str) -> dict[int, str]:
    fallback = services().plan.settings.fallback_locale or ""
    return {i: given.get(locale) or given.get(fallback) or title for i, (title, given) in names.items()}


def day_items(locale: str, lang_query: str, days: list[Any], names: dict[int, Any]) -> list[dict[str, Any]]:
    """These days' bars in the reader's words (`names`: incident id -> title and its translations)."""
    page, titles = words(locale), _titles(names, locale)
    return [_day_item(day, titles, page, locale, lang_query) for day in days]


class PastDays:
    """A component's bars before today, with the names of their incidents: the part of the bars that stays the same
    all day long, so the page keys its fragment on `digest` and words them only when it changes."""

    def __init__(self, days: list[Any], names: dict[int, Any], key: tuple[Any, ...]) -> None:
        self.days = days
        told = {i for day in days if day.incident_count <= UPTIME_LINKS for i in day.incidents}
        self.names = {i: names[i] for i in told if i in names}
        # the services' key of these figures (the summary's generation, the days, what is going on), and the
        # titles shown, which an edit of a translation changes without moving a figure
        figures = repr((key, sorted(self.names.items()))).encode()
        self.digest = hashlib.blake2b(figures, digest_size=16).hexdigest()

    def __repr__(self) -> str:  # the fragment's key: the digest stands for the figures
        return self.digest


def components(locale: str, lang_query: str, uptime: list[Any]) -> list[dict[str, Any]]:
    """Each component's label and figure, its days before today (`PastDays`, worded by the fragment that shows them)
    and today's bar, worded now: only today's bar moves while an incident goes on."""
    settings = services().plan.settings
    page = words(locale)
    result = []
    for component, figures in zip(settings.components, uptime, strict=True):
        today = figures.days[-1]
        result.append({"name": component.name, "label": component.label_in(locale, settings.fallback_locale),
                       "figure": page["uptime_figure"].format(percent=_percent(figures.uptime, locale))
                       if figures.uptime is not None else "",
                       "past": PastDays(figures.days[:-1], figures.names, figures.past_key),
                       "today": _day_item(today, _titles({i: figures.names[i] for i in today.incidents
                                                          if i in figures.names}, locale), page, locale, lang_query)})
    return result


@bp.app_context_processor
def _for_templates() -> dict[str, Any]:
    return {"uptime_components": components, "uptime_day_items": day_items}


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
