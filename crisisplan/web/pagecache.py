"""The public answers kept in memory: rendered once per change, compressed once, bounded in bytes.

A change to what the public sees (the public stamp, asked of the database at most
once a `ttl`) makes every kept answer stale, not gone: the first reader of a stale
answer renders it again while everybody else is answered from the previous version,
so fifty writes in one second cost one render per page, never fifty. Each answer is
kept as it is, as gzip and as brotli; the least recently used go first when the
kept bytes pass `max_bytes`, and nothing that was not found (a 404) is ever kept.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache
from typing import Any

import brotli

# gzip 6 and brotli 9: most of the gain of the slowest levels at a few ms for a 64 KB page
GZIP_LEVEL = 6
BROTLI_QUALITY = 9
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    """One public answer in its three encodings, with the validators of the plain one."""

    body: bytes
    etag: str
    last_modified: str
    gzip: bytes = b""
    br: bytes = b""
    generation: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzip) + len(self.br) + 200

    def encoded(self, accept_encoding: str) -> tuple[bytes, str, str]:
        """(bytes, Content-Encoding or "", ETag) for a client's Accept-Encoding: brotli, then gzip, then none."""
        return self.in_coding(preferred(accept_encoding))

    def in_coding(self, coding: str) -> tuple[bytes, str, str]:
        """(bytes, Content-Encoding or "", ETag) in `coding` ("br", "gzip" or ""), plain when not kept so."""
        if coding == "br" and self.br:
            return self.br, "br", self.etag[:-1] + '-br"'
        if coding and self.gzip:
            return self.gzip, "gzip", self.etag[:-1] + '-gz"'
        return self.body, "", self.etag


@lru_cache(maxsize=256)  # browsers send a handful of distinct headers; parsed once each
def preferred(accept_encoding: str) -> str:
    """The encoding to answer a client's Accept-Encoding with: "br", else "gzip", else "" (none)."""
    accepted = _accepted(accept_encoding)
    if accepted.get("br", 0) > 0:
        return "br"
    if accepted.get("gzip", accepted.get("x-gzip", 0)) > 0:
        return "gzip"
    return ""


def _accepted(header: str) -> dict[str, float]:
    """Accept-Encoding as {coding: q}; `*` stands for the codings not named."""
    result: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        result[name] = q
    if "*" in result:
        for name in ("br", "gzip"):
            result.setdefault(name, result["*"])
    return result


def compressed(body: bytes) -> tuple[bytes, bytes]:
    """(gzip, brotli) of `body`, reproducible: the same bytes give the same files."""
    return gzip.compress(body, GZIP_LEVEL, mtime=0), brotli.compress(body, quality=BROTLI_QUALITY)


def make_page(body: bytes, changed_at: float, generation: int = 0, compress: bool = True) -> Page:
    """A page with its ETag, Last-Modified and (when `compress`) its gzip and brotli forms."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    modified = format_datetime(datetime.fromtimestamp(int(changed_at)).astimezone(), usegmt=False)
    if not compress:
        return Page(body, etag, modified, generation=generation)
    return Page(body, etag, modified, *compressed(body), generation)


class PageCache:
    """Rendered public answers by key: stale after a change, rebuilt once, bounded by bytes (LRU)."""

    def __init__(self, stamp: Callable[[], Any], ttl: float = 1.0, max_bytes: int = DEFAULT_MAX_BYTES):
        self._stamp_of = stamp
        self._ttl = ttl
        self.max_bytes = max_bytes
        self._stamp: Any = object()
        self._checked = 0.0
        self._changed_at = time.time()
        self._entries: OrderedDict[Hashable, Page] = OrderedDict()
        self._fragments: OrderedDict[Hashable, str] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._derived: dict[Hashable, tuple[int, Any]] = {}  # a few fixed keys, never a client's
        self.bytes = 0
        self.generation = 0
        self.renders = 0  # pages rendered since start: what the single-flight tests count
        self._lock = threading.Lock()

    def fresh(self) -> None:
        """Ask the database whether the public view changed, at most once a `ttl`."""
        now = time.monotonic()
        if self._ttl and now - self._checked < self._ttl:
            return
        stamp = self._stamp_of()
        with self._lock:
            self._checked = now
            if stamp != self._stamp:
                self._stamp, self._changed_at, self.generation = stamp, time.time(), self.generation + 1

    def invalidate(self) -> None:
        with self._lock:
            self._checked = 0.0

    def get(self, key: Hashable) -> Page | None:
        """The kept answer for `key`, current or stale (compare its `generation`), marked recently used."""
        with self._lock:
            page = self._entries.get(key)
            if page is not None:
                self._entries.move_to_end(key)
            return page

    def put(self, key: Hashable, page: Page) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old.size
            if page.size > self.max_bytes:
                return
            self._entries[key] = page
            self.bytes += page.size
            while self.bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._entries)

    def page(self, key: Hashable, build: Callable[[], str | None]) -> Page | None:
        """The answer for `key`, rendered by `build` once per change; None (never kept) when `build` finds nothing.

        One thread renders a key at a time; while it does, the others get the stale answer when there is one
        and wait for the new one when there is none.
        """
        self.fresh()
        generation = self.generation
        page = self.get(key)
        if page is not None and page.generation == generation:
            return page
        with self._lock:
            lock = self._building.setdefault(key, threading.Lock())
        if page is not None and not lock.acquire(blocking=False):
            return page  # somebody renders it now: the previous version meanwhile
        if page is None:
            lock.acquire()
        try:
            again = self.get(key)
            if again is not None and again.generation == generation:
                return again  # rendered by the thread we waited for
            self.renders += 1
            text = build()
            if text is None:
                return None
            built = make_page(text.encode(), self._changed_at, generation)
            self.put(key, built)
            return built
        finally:
            lock.release()
            with self._lock:
                if self._building.get(key) is lock and not lock.locked():
                    del self._building[key]

    def current(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """A value derived from the public view (the components' statuses), computed once per version of it."""
        self.fresh()
        generation = self.generation
        with self._lock:
            kept = self._derived.get(key)
        if kept is not None and kept[0] == generation:
            return kept[1]
        value = build()
        with self._lock:
            self._derived[key] = (generation, value)
        return value

    def fragment(self, key: Hashable, build: Callable[[], str], keep: int = 2000) -> str:
        """A piece of a page by what it shows (the key holds its data): rendered once while that stays the same."""
        with self._lock:
            text = self._fragments.get(key)
            if text is not None:
                self._fragments.move_to_end(key)
                return text
        text = build()
        with self._lock:
            self._fragments[key] = text
            while len(self._fragments) > keep:
                self._fragments.popitem(last=False)
        return text
