"""`crisisplan export-site`: the public site as static files, served by a plain web server; the worker keeps
the copy fresh. Drills never appear in it."""

from __future__ import annotations

import functools
import gzip
import json
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import feedparser

from crisisplan.cli import main


def test_the_export_is_the_public_site_in_files(runner, services, tmp_path: Path) -> None:
    view = services.declare("outage", "sev3", "Search is slow", "ana", ["website"])
    services.publish_post(services.posts(view.id)[0].id, "ana")
    services.declare("outage", "sev3", "Rehearsal outage", "ana", ["website"], is_drill=True)
    out = tmp_path / "site"
    result = runner.invoke(main, ["export-site", str(out), "--app-url", "https://app.example.com", "--json"])
    assert result.exit_code == 0, result.output
    files = set(json.loads(result.output)["files"])
    assert {"index.html", "es/index.html", f"incidents/{view.id}/index.html", f"es/incidents/{view.id}/index.html",
            "feed.atom", f"incidents/{view.id}/feed.atom", "cap.xml", "api/v2/summary.json",
            "api/v2/incidents/unresolved.json", "static/style.css"} <= files
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "Search is slow" in home and 'href="/es/"' in home and f'href="/incidents/{view.id}/"' in home
    assert 'href="https://app.example.com/subscribe?lang=en"' in home  # the form needs the live app
    spanish = (out / "es" / "index.html").read_text(encoding="utf-8")
    assert 'lang="es"' in spanish and f'href="/es/incidents/{view.id}/"' in spanish
    summary = json.loads((out / "api/v2/summary.json").read_text(encoding="utf-8"))
    assert [i["name"] for i in summary["incidents"]] == ["Search is slow"]
    feed = feedparser.parse((out / "feed.atom").read_bytes())
    assert not feed.bozo and feed.entries
    plain = [p for p in out.rglob("*") if p.is_file() and p.suffix not in (".gz", ".br")]
    everything = "".join(p.read_text(encoding="utf-8") for p in plain)
    assert "Rehearsal outage" not in everything
    # beside every file its gzip and brotli forms, which a web server sends as they are: they decode to its bytes
    for path in plain:
        assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == path.read_bytes(), path
        assert brotli.decompress(path.with_name(path.name + ".br").read_bytes()) == path.read_bytes(), path
    assert len((out / "index.html.br").read_bytes()) < len((out / "index.html").read_bytes()) / 2

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(f"{base}/incidents/{view.id}/") as page:
            assert page.status == 200 and "Search is slow" in page.read().decode()
        with urllib.request.urlopen(f"{base}/es/") as page:
            assert "Incidencias en curso" in page.read().decode()
    finally:
        server.shutdown()


def test_the_worker_refreshes_the_copy_when_the_public_site_changes(runner, services, tmp_path: Path) -> None:
    view = services.declare("outage", "sev3", "Search is slow", "ana", ["website"])
    services.publish_post(services.posts(view.id)[0].id, "ana")
    out = tmp_path / "site"
    first = runner.invoke(main, ["worker", "--once", "--export-site", str(out)])
    assert first.exit_code == 0 and "files refreshed" in first.output
    before = (out / "index.html").read_text(encoding="utf-8")
    post = services.draft_post(view.id, "update", "ana")
    services.publish_post(post.id, "ana")
    runner.invoke(main, ["worker", "--once", "--export-site", str(out)])
    after = (out / "index.html").read_text(encoding="utf-8")
    assert after != before and after.count('class="update"') == before.count('class="update"') + 1
