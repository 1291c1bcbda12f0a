"""The public status page: rendered once per change, served from memory with ETag and Last-Modified.

When everybody refreshes at once the page must cost almost nothing: each
(page, language) is rendered once after a change and kept as bytes; a request
only compares ETags or copies those bytes. Whether something changed is asked
of the database at most once a second per process.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from markupsafe import Markup

from crisisplan.comms import statuspage
from crisisplan.comms.catalogue import catalogue_of
from crisisplan.comms.markdown import to_html
from crisisplan.comms.render import format_moment
from crisisplan.plan.languages import public_hours
from crisisplan.services import PublicIncident
from crisisplan.web import services

bp = Blueprint("public", __name__)

CACHE_CONTROL = "public, max-age=10, s-maxage=10, stale-while-revalidate=30, stale-if-error=600"

# how plan.yaml writes support hours ("Mon-Fri 08:00-20:00"); the page shows the days in the reader's words
PLAN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def words(locale: str) -> dict[str, str]:
    """The page's words in `locale`, from the plan's catalogue (templates/<locale>/catalogue.yaml)."""
    return catalogue_of(services().plan).words(locale, "page")


@dataclass(frozen=True)
class Page:
    body: bytes
    etag: str
    last_modified: str


class PageCache:
    """Rendered pages by key, dropped all at once when the public stamp changes."""

    def __init__(self, stamp: Callable[[], Any], ttl: float = 1.0):
        self._stamp_of = stamp
        self._ttl = ttl
        self._stamp: Any = object()
        self._checked = 0.0
        self._changed_at = time.time()
        self._pages: dict[Any, Page] = {}
        # whole responses by raw request (path, query, Accept-Language), for the WSGI fast path
        self.responses: dict[tuple[str, str, str], tuple[list[tuple[str, str]], bytes, bytes]] = {}
        self.generation = 0
        self._lock = threading.Lock()

    def fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self._ttl:
            return
        stamp = self._stamp_of()
        with self._lock:
            self._checked = now
            if stamp != self._stamp:
                self._stamp, self._pages, self.responses = stamp, {}, {}
                self._changed_at, self.generation = time.time(), self.generation + 1

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0

    def page(self, key: Any, build: Callable[[], str]) -> Page:
        self.fresh()
        page = self._pages.get(key)
        if page is None:
            body = build().encode()
            page = Page(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
                        format_datetime(datetime.fromtimestamp(int(self._changed_at)).astimezone(), usegmt=False))
            self._pages[key] = page
        return page


def cache(app: Any = None) -> PageCache:
    app = app or current_app
    if "page_cache" not in app.extensions:
        app.extensions["page_cache"] = PageCache(app.extensions["crisisplan"].public_stamp,
                                                 app.config.get("PUBLIC_CACHE_SECONDS", 1.0))
    return app.extensions["page_cache"]


def language() -> tuple[str, bool]:
    """(locale, chosen in the URL): ?lang= first, then Accept-Language, then the plan's default."""
    settings = services().plan.settings
    asked = request.args.get("lang", "")
    if asked in settings.locales:
        return asked, True
    best = request.accept_languages.best_match(settings.locales)
    return best or settings.default_locale, False


def send(page: Page, vary: bool, content_type: str = "text/html; charset=utf-8") -> Response:
    """A cached page with its validators; 304 when the client has it already."""
    headers = {"ETag": page.etag, "Last-Modified": page.last_modified, "Cache-Control": CACHE_CONTROL}
    if vary:
        headers["Vary"] = "Accept-Language"
    if page.etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(page.body, 200, headers, content_type=content_type)


def component_statuses(incidents: list[PublicIncident]) -> dict[str, str]:
    overrides = services().component_overrides()
    result = {c.name: overrides.get(c.name, "operational") for c in services().plan.settings.components}
    for incident in incidents:
        if not incident.active:
            continue
        status = statuspage.incident_component_status(incident.impact, incident.status)
        for name in incident.components:
            result[name] = statuspage.worst((result.get(name, "operational"), status))
    return result


def context(locale: str, chosen: bool) -> dict[str, Any]:
    settings = services().plan.settings
    tz = settings.organisation.time_zone
    now = services().clock.now()

    def when(moment: datetime | None) -> str:
        return format_moment(moment, locale, tz, now) if moment else ""

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


@bp.route("/")
def status_page() -> Response:
    locale, chosen = language()

    def build() -> str:
        incidents = services().public_incidents()
        statuses = component_statuses(incidents)
        worst = statuspage.worst(statuses.values())
        groups: dict[str, list[Any]] = {}
        for component in services().plan.settings.components:
            groups.setdefault(component.group, []).append(component)
        return render_template("public/status.html", **context(locale, chosen), statuses=statuses, worst=worst,
                               groups=groups, active=[i for i in incidents if i.active],
                               past=[i for i in incidents if not i.active])

    return send(cache().page(("status", locale, chosen), build), not chosen)


@bp.route("/incidents/<int:incident_id>")
def incident_page(incident_id: int) -> Response:
    locale, chosen = language()

    def build() -> str:
        found = [i for i in services().public_incidents() if i.id == incident_id]
        return render_template("public/incident.html", **context(locale, chosen), incident=found[0]) if found else ""

    page = cache().page(("incident", incident_id, locale, chosen), build)
    if not page.body:
        abort(404)
    return send(page, not chosen)


CACHEABLE = re.compile(r"^/(?:incidents/\d+)?$|^(?:/incidents/\d+)?/feed\.atom$|^/api/v2/[\w/-]+\.json$"
                       r"|^/cap(?:/\d+)?\.xml$")


class FastPath:
    """WSGI middleware: a status page already rendered is answered without entering Flask at all.

    The first request for a (path, query, Accept-Language) goes through Flask and
    its whole response is kept; the next ones only compare the ETag or copy bytes.
    Everything is dropped when the public stamp changes (checked once a second).
    """

    def __init__(self, wsgi_app: Callable[..., Any], cache: Callable[[], PageCache]):
        self.wsgi_app = wsgi_app
        self.cache = cache

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or not CACHEABLE.match(path):
            return self.wsgi_app(environ, start_response)
        cache = self.cache()
        cache.fresh()
        key = (path, environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        hit = cache.responses.get(key)
        if hit is None:
            return self._through(environ, start_response, cache, key)
        headers, etag, body = hit
        if etag in environ.get("HTTP_IF_NONE_MATCH", "").encode():
            start_response("304 Not Modified", [h for h in headers if h[0] != "Content-Length"])
            return [b""]
        start_response("200 OK", headers)
        return [body]

    def _through(self, environ: dict[str, Any], start_response: Callable[..., Any], cache: PageCache,
                 key: tuple[str, str, str]) -> Any:
        generation = cache.generation
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.update(status=status, headers=headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = self.wsgi_app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        etag = dict(seen.get("headers", [])).get("ETag", "")
        # bounded: odd Accept-Language values must not grow memory without end
        if (seen.get("status", "").startswith("200") and etag and cache.generation == generation
                and len(cache.responses) < 1000):
            cache.responses[key] = (list(seen["headers"]), etag.encode(), body)
        return [body]
