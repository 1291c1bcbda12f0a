"""The public site as static files (`crisisplan export-site DIR`): pages, feeds, CAP and the v2 JSON, rendered
by the same views as the live site, for any web server or CDN to serve when the app is down or far away.

Pages go to `index.html` files (`/incidents/7` → `incidents/7/index.html`), other languages under
`/<lang>/`; language links are rewritten to those folders. Each file has its `.gz` and `.br` beside it,
compressed once at export. Each file is replaced atomically, so a
reader never sees half a page while the worker refreshes the export.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import Flask

from crisisplan.web.pagecache import compressed
from crisisplan.web.statusapi import DOCUMENTS


def _page_file(path: str, locale: str, default: str) -> str:
    folder = "" if locale == default else f"{locale}/"
    inner = path.strip("/")
    return f"{folder}{inner + '/' if inner else ''}index.html"


def _static_links(html: str, path: str, default: str, app_url: str) -> str:
    """`?lang=es` links become the folder of that language; `/subscribe` goes to the live app when given."""
    def folder(locale: str, target: str) -> str:
        target = target.rstrip("/") + "/"
        return target if locale == default else f"/{locale}{target}"

    html = re.sub(r'href="\?lang=(\w+)"', lambda m: f'href="{folder(m.group(1), path)}"', html)
    html = re.sub(r'href="(/(?:incidents/\d+)?)\?lang=(\w+)"', lambda m: f'href="{folder(m.group(2), m.group(1))}"',
                  html)
    if app_url:
        html = re.sub(r'(href|action)="/subscribe', rf'\1="{app_url.rstrip("/")}/subscribe', html)
    return html


def _write(out: Path, name: str, body: bytes) -> None:
    """The file and, beside it, its `.gz` and `.br` (nginx `gzip_static`/`brotli_static`, a CDN's precompressed
    files); the plain one last, so a server never offers a compressed file older than it."""
    target = out / name
    target.parent.mkdir(parents=True, exist_ok=True)
    gz, br = compressed(body)
    for path, data in ((target.with_name(target.name + ".gz"), gz), (target.with_name(target.name + ".br"), br),
                       (target, body)):
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as temporary:
            temporary.write(data)
        os.chmod(temporary.name, 0o644)
        os.replace(temporary.name, path)


def export_site(app: Flask, out: Path, app_url: str = "") -> list[str]:
    """Write every public file under `out`; returns the files written."""
    services = app.extensions["crisisplan"]
    settings = services.plan.settings
    default = settings.default_locale
    incidents = services.public_incidents()
    client = app.test_client()
    written: list[str] = []

    def fetch(url: str) -> bytes:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return response.get_data()

    windows = services.public_maintenances()  # a maintenance window has its page too
    pages = ["/"] + [f"/incidents/{i.id}" for i in [*incidents, *windows]]
    for locale in settings.locales:
        for path in pages:
            html = fetch(f"{path}?lang={locale}").decode()
            name = _page_file(path, locale, default)
            _write(out, name, _static_links(html, path, default, app_url).encode())
            written.append(name)
    files = ["/feed.atom", "/cap.xml", "/static/style.css", "/maintenance.ics", "/api/v2/uptime.json"]
    files += [f"/incidents/{i.id}/feed.atom" for i in incidents]
    files += [f"/cap/{u.id}.xml" for i in incidents for u in i.updates]
    files += [f"/api/v2/{name}.json" for name in DOCUMENTS]
    for url in files:
        _write(out, url.lstrip("/"), fetch(url))
        written.append(url.lstrip("/"))
    return written
