"""The public status page: rendered once per change, served from memory with ETag and Last-Modified.

When everybody refreshes at once the page must cost almost nothing: each
(page, language) is rendered once after a change and kept as bytes; a request
only compares ETags or copies those bytes. Whether something changed is asked
of the database at most once a second per process.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Blueprint, Response, abort, current_app, g, render_template, request
from markupsafe import Markup

from crisisplan.comms import statuspage
from crisisplan.comms.catalogue import catalogue_of
from crisisplan.comms.markdown import to_html
from crisisplan.comms.render import format_moment
from crisisplan.plan.hours import PLAN_DAYS  # how plan.yaml writes support days; shown in the reader's words
from crisisplan.plan.languages import public_hours
from crisisplan.services import PublicIncident
from crisisplan.web import services
from crisisplan.web.fastpath import PAGE_KEY, FastPath
from crisisplan.web.pagecache import DEFAULT_MAX_BYTES, Page, PageCache

__all__ = ["FastPath", "Page", "PageCache", "cache", "public_base", "send"]

bp = Blueprint("public", __name__)

CACHE_CONTROL = "public, max-age=10, s-maxage=10, stale-while-revalidate=30, stale-if-error=600"

PAGE_ACTIVE = 25  # current incidents shown in full on the status page; the rest are on /history
PAGE_PAST = 50  # past incidents listed on the status page, grouped by day
HISTORY_PAGE = 100  # incidents on one page of /history


def words(locale: str) -> dict[str, str]:
    """The page's words in `locale`, from the plan's catalogue (templates/<locale>/catalogue.yaml)."""
    return catalogue_of(services().plan).words(locale, "page")


def cache(app: Any = None) -> PageCache:
    app = app or current_app
    if "page_cache" not in app.extensions:
        app.extensions["page_cache"] = PageCache(app.extensions["crisisplan"].public_stamp,
                                                 app.config.get("PUBLIC_CACHE_SECONDS", 1.0),
                                                 app.config.get("PUBLIC_CACHE_BYTES", DEFAULT_MAX_BYTES))
    return app.extensions["page_cache"]


def public_base() -> str:
    """The address the feeds, CAP and JSON put in their links: `organisation.status_url`, never a stranger's Host.

    Without a status_url the request's Host serves only when it is one of `PUBLIC_HOSTS`
    (CRISISPLAN_PUBLIC_HOSTS); any other is refused, so a forged Host never reaches a cached answer.
    """
    org = services().plan.settings.organisation
    if org.status_url:
        return org.status_url.rstrip("/")
    if request.host.lower() in current_app.config.get("PUBLIC_HOSTS", ()):
        return request.url_root.rstrip("/")
    abort(421, description="this document needs the status page's address: set organisation.status_url in "
                           "plan.yaml, or list this host in CRISISPLAN_PUBLIC_HOSTS")


def language() -> tuple[str, bool]:
    """(locale, chosen in the URL): ?lang= first, then Accept-Language, then the plan's default."""
    settings = services().plan.settings
    asked = request.args.get("lang", "")
    if asked in settings.locales:
        return asked, True
    best = request.accept_languages.best_match(settings.locales)
    return best or settings.default_locale, False


def send(page: Page, vary: bool, content_type: str = "text/html; charset=utf-8") -> Response:
    """A cached page in the encoding the client accepts (brotli, gzip, none), with its validators; 304 when
    the client has it already."""
    body, coding, etag = page.encoded(request.headers.get("Accept-Encoding", ""))
    request.environ[PAGE_KEY] = page  # for the FastPath middleware to keep
    headers = {"ETag": etag, "Last-Modified": page.last_modified, "Cache-Control": CACHE_CONTROL,
               "Vary": "Accept-Language, Accept-Encoding" if vary else "Accept-Encoding"}
    if coding:
        headers["Content-Encoding"] = coding
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(body, 200, headers, content_type=content_type)


def maintenance_windows() -> list[PublicIncident]:
    """The public maintenance windows: read once while the status page renders (it asks three times), else anew."""
    kept = g.get("public_windows")
    return list(kept) if kept is not None else services().public_maintenances()


def component_statuses(incidents: list[PublicIncident]) -> dict[str, str]:
    overrides = services().component_overrides()
    result = {c.name: overrides.get(c.name, "operational") for c in services().plan.settings.components}
    for incident in [*incidents, *maintenance_windows()]:  # a window in progress: under maintenance
        if not incident.active:
            continue
        status = statuspage.incident_component_status(incident.impact, incident.status)
        for name in incident.components:
            result[name] = statuspage.worst((result.get(name, "operational"), status))
    return result


def current_statuses() -> dict[str, str]:
    """Each component's status as the public sees it now, computed once per change of the public view."""
    return cache().current("statuses", lambda: component_statuses(services().public_incidents(which="open")))


@lru_cache(maxsize=8192)
def _moment_text(moment: datetime, locale: str, tz: str, today: datetime) -> str:
    """format_moment, kept: a page shows the same few hundred moments render after render."""
    return format_moment(moment, locale, tz, today)


def context(locale: str, chosen: bool) -> dict[str, Any]:
    settings = services().plan.settings
    tz = settings.organisation.time_zone
    # noon of today in the organisation's zone: all that format_moment reads of "now" is its day
    today = services().clock.now().astimezone(ZoneInfo(tz)).replace(hour=12, minute=0, second=0, microsecond=0)

    def when(moment: datetime | None) -> str:
        return _moment_text(moment, locale, tz, today) if moment else ""

    def body(update: Any) -> Markup:
        text = update.bodies.get(locale) or update.bodies.get(settings.default_locale) or next(
            iter(update.bodies.values()), "")
        return Markup(to_html(text))  # noqa: S704 - sanitised by nh3 in to_html

    page_words = words(locale)

    def hours(text: str) -> str:
        """ "Mon-Fri 08:00-20:00" in the reader's words."""
        if text == "24/7":
            return page_words["always"]
        names = dict(zip(PLAN_DAYS, page_words["days"].split(), strict=True))
        return " ".join("-".join(names.get(d, d) for d in part.split("-")) for part in text.split(" "))

    def within(delta: Any) -> str:
        """ "1h30m" as "1 h 30 min", in the reader's units."""
        from crisisplan.duration import format_duration

        units = {unit: f" {page_words['unit_' + unit]} " for unit in "dhm"}
        return re.sub(r"[dhm]", lambda m: units[m.group(0)], format_duration(delta)).strip()

    fallback = settings.fallback_locale
    groups = {c.group: c.group_in(locale, fallback) for c in settings.components}
    return {"words": page_words, "hours": hours, "within": within, "lang": locale,
            "lang_query": f"?lang={locale}" if chosen else "",
            "locales": settings.locales, "when": when, "body": body, "settings": settings,
            # every public name in the reader's language: components, groups, support channels, titles
            "labels": {c.name: c.label_in(locale, fallback) for c in settings.components},
            "label": lambda item: item.label_in(locale, fallback), "group_name": lambda g: groups.get(g, g),
            "title": lambda incident: incident.title_in(locale, fallback),
            "phone_hours": public_hours(settings)}


def fragments(ctx: dict[str, Any], locale: str, chosen: bool) -> Callable[..., Markup]:
    """`fragment(name, **data)` for the page templates: `public/fragments/<name>.html` rendered once while its
    data stays the same, so a change re-renders only the pieces it touches (one incident, the banner, the
    components). Any new section of the page can be one more fragment."""
    zone = ZoneInfo(services().plan.settings.organisation.time_zone)
    today = services().clock.now().astimezone(zone).date()  # times say the day unless it is today

    def fragment(name: str, **data: Any) -> Markup:
        key = ("fragment", name, locale, chosen, today, repr(sorted(data.items())))
        return Markup(cache().fragment(key, lambda: render_template(f"public/fragments/{name}.html",  # noqa: S704
                                                                    **{**ctx, **data})))
    ctx["fragment"] = fragment  # a fragment may hold fragments: the uptime bars hold each component's past days
    return fragment


def by_day(incidents: list[PublicIncident], locale: str) -> list[tuple[str, list[PublicIncident]]]:
    """Incidents grouped by the day they started (in the organisation's zone), newest day first."""
    zone = ZoneInfo(services().plan.settings.organisation.time_zone)
    days: dict[date, list[PublicIncident]] = {}
    for incident in sorted(incidents, key=lambda i: (i.declared_at, i.id), reverse=True):
        days.setdefault(incident.declared_at.astimezone(zone).date(), []).append(incident)
    return [(format_date(day, "d MMMM y", locale=locale), items) for day, items in days.items()]


def render_status(locale: str, chosen: bool) -> str:
    """The status page: every current incident up to PAGE_ACTIVE, the components, and at most PAGE_PAST past
    incidents grouped by day; the rest is on /history. Its cost follows what is going on, not the history."""
    svc = services()
    g.public_windows = svc.public_maintenances()
    try:
        return _render_status(svc, locale, chosen)
    finally:
        g.pop("public_windows", None)


def _render_status(svc: Any, locale: str, chosen: bool) -> str:
    current = svc.public_incidents(which="open")
    active = [i for i in current if i.active]
    past = [i for i in current if not i.active] + svc.public_incidents(which="closed", limit=PAGE_PAST)
    past = sorted(past, key=lambda i: (i.declared_at, i.id), reverse=True)[:PAGE_PAST]
    statuses = component_statuses(active)
    groups: dict[str, list[Any]] = {}
    for component in svc.plan.settings.components:
        groups.setdefault(component.group, []).append(component)
    ctx = context(locale, chosen)
    ctx.update(statuses=statuses, groups=groups, worst=statuspage.worst(statuses.values()),
               support_figures=support_figures(ctx))
    fragments(ctx, locale, chosen)  # ctx["fragment"], for the templates
    # the 90 bars a component are most of the page: the days before today are fragments, worded once a day
    uptime_section = Markup(render_template("public/fragments/uptime.html", **ctx, figures=svc.uptime()))  # noqa: S704
    return render_template("public/status.html", **ctx, uptime_section=uptime_section,
                           active=active[:PAGE_ACTIVE], more_active=max(0, len(active) - PAGE_ACTIVE),
                           past_days=by_day(past, locale))


def support_figures(ctx: dict[str, Any]) -> dict[str, str]:
    """Each support channel's responsiveness in the reader's words, when plan.yaml publishes it
    (`support_metrics: public: true`): the window ends at the start of this hour, which is when the page is
    rendered again at the latest, so the figures always match the record of the window they name. Aggregates
    only: counts, a share, a median; never who wrote."""
    import math
    from datetime import timedelta

    settings = services().plan.settings
    metrics = settings.support_metrics
    if not metrics.public or not settings.support:
        return {}
    until = services().clock.now().replace(minute=0, second=0, microsecond=0)
    page_words, shown = ctx["words"], {}
    for f in services().responsiveness(metrics.days, until):
        if f["complaints"] < metrics.min_complaints:
            shown[f["channel"]] = page_words["support_few"].format(days=metrics.days)
        elif not f["answered"]:
            shown[f["channel"]] = page_words["support_none"].format(days=metrics.days, count=f["complaints"])
        else:
            # whole minutes, rounded up: "half within 3 min" stays true of a 2.5-minute median
            median = ctx["within"](timedelta(minutes=max(1, math.ceil(f["median_minutes"]))))
            shown[f["channel"]] = page_words["support_figure"].format(
                days=metrics.days, percent=f"{f['share']:.0%}", count=f["complaints"], median=median)
    return shown


@bp.route("/")
def status_page() -> Response:
    locale, chosen = language()
    page = cache().page(("status", locale, chosen), lambda: render_status(locale, chosen))
    assert page is not None  # noqa: S101 - the status page always renders
    return send(page, not chosen)


@bp.route("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for on every page (shipped in static/, so no 404 in any log)."""
    response = current_app.send_static_file("favicon.ico")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/incidents/<int:incident_id>")
def incident_page(incident_id: int) -> Response:
    locale, chosen = language()

    def build() -> str | None:
        found = services().public_incidents(incident_id=incident_id)
        return render_template("public/incident.html", **context(locale, chosen), incident=found[0]) \
            if found else None

    page = cache().page(("incident", incident_id, locale, chosen), build)
    if page is None:
        abort(404)  # never kept: a stranger asking for every id fills nothing
    return send(page, not chosen)


def _month(text: str) -> tuple[datetime, datetime]:
    """`YYYY-MM` as the start of that month and of the next, in the organisation's zone."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not found or not 1970 <= int(found.group(1)) <= 9998 or not 1 <= int(found.group(2)) <= 12:
        abort(400, description="month: give it as YYYY-MM, for example 2026-01")
    year, month = int(found.group(1)), int(found.group(2))
    zone = ZoneInfo(services().plan.settings.organisation.time_zone)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start, end


@bp.route("/history")
def history() -> Response:
    """Every public incident of one month (`?month=YYYY-MM`, this month by default), HISTORY_PAGE a page."""
    locale, chosen = language()
    zone = ZoneInfo(services().plan.settings.organisation.time_zone)
    month = request.args.get("month") or services().clock.now().astimezone(zone).strftime("%Y-%m")
    number = request.args.get("page", "1")
    if not (number.isascii() and number.isdigit() and 1 <= int(number) <= 100_000):
        abort(400, description="page: a whole number from 1")
    start, end = _month(month)
    page_no = int(number)

    def build() -> str:
        found = services().public_incidents(between=(start, end), limit=HISTORY_PAGE + 1,
                                            offset=(page_no - 1) * HISTORY_PAGE)
        before = (start - timedelta(days=1)).strftime("%Y-%m")
        after = end.strftime("%Y-%m") if end <= services().clock.now() else ""
        return render_template("public/history.html", **context(locale, chosen), month=month,
                               month_name=format_date(start.date(), "LLLL y", locale=locale),
                               days=by_day(found[:HISTORY_PAGE], locale), before=before, after=after,
                               page_no=page_no, more=len(found) > HISTORY_PAGE)

    page = cache().page(("history", month, page_no, locale, chosen), build)
    assert page is not None  # noqa: S101 - a month with nothing in it is a page too
    return send(page, not chosen)
