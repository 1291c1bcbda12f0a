"""WSGI middleware: a public answer already rendered is sent without entering Flask at all.

The first request for a (path, query, Accept-Language) goes through Flask; the view
leaves the cached `Page` it answered with in the WSGI environ, and the middleware
keeps it with the response's headers. The next requests only pick the encoding the
client accepts, compare the ETag, and copy bytes. A stale answer (the public view
changed since) goes through Flask again, which renders it once and meanwhile answers
from the previous version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from crisisplan.web.pagecache import Page, PageCache, preferred

CACHEABLE = re.compile(r"^/(?:incidents/\d+|history)?$|^(?:/incidents/\d+)?/feed\.atom$|^/api/v2/[\w/-]+\.json$"
                       r"|^/cap(?:/\d+)?\.xml$|^/maintenance\.ics$")
PAGE_KEY = "crisisplan.page"
# set per response, so never kept with the shared headers
OWN_HEADERS = {"etag", "content-length", "content-encoding"}


Headers = list[tuple[str, str]]


def encoded_headers(page: Page, coding: str, shared: Headers) -> tuple[bytes, Headers, str]:
    """The bytes, headers and ETag of `page` in `coding` (`pagecache.preferred`)."""
    body, coding, etag = page.in_coding(coding)
    headers = [*shared, ("ETag", etag), ("Content-Length", str(len(body)))]
    if coding:
        headers.append(("Content-Encoding", coding))
    return body, headers, etag


class FastPath:
    """Answers repeated public GETs from the page cache; everything else goes to Flask untouched."""

    def __init__(self, wsgi_app: Callable[..., Any], cache: Callable[[], PageCache],
                 host_matters: Callable[[], bool] = lambda: False):
        self.wsgi_app = wsgi_app
        self.cache = cache
        # without organisation.status_url the feeds carry the Host asked for, so it is part of the key
        self.host_matters = host_matters

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or not CACHEABLE.match(path):
            return self.wsgi_app(environ, start_response)
        cache = self.cache()
        cache.fresh()
        key = ("response", path, environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_LANGUAGE", ""),
               environ.get("HTTP_HOST", "") if self.host_matters() else "")
        hit = cache.get(key)
        if hit is None or hit.generation != cache.generation:
            return self._through(environ, start_response, cache, key)
        body, headers, etag = hit.extra["answers"][preferred(environ.get("HTTP_ACCEPT_ENCODING", ""))]
        if etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response("304 Not Modified", [h for h in headers if h[0] != "Content-Length"])
            return [b""]
        start_response("200 OK", headers)
        return [body]

    def _through(self, environ: dict[str, Any], start_response: Callable[..., Any], cache: PageCache,
                 key: tuple[str, ...]) -> Any:
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
        page = environ.get(PAGE_KEY)
        # only a whole 200 answer of the current version is kept: never a 404, never a stale page
        if seen.get("status", "").startswith("200") and isinstance(page, Page) and page.generation == cache.generation:
            shared = [(k, v) for k, v in seen["headers"] if k.lower() not in OWN_HEADERS]
            # each encoding's answer made once: a hit only picks one
            answers = {coding: encoded_headers(page, coding, shared) for coding in ("br", "gzip", "")}
            cache.put(key, replace(page, extra={"answers": answers}))
        return [body]
