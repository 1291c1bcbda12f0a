"""The public status page: what shows, in which language, cached for the stampede, drills never."""

from __future__ import annotations

from tests.walk import publish_reviewed, take

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)"> [click](javascript:alert(3))'


def public_incident(services, title: str = "Checkout fails", drill: bool = False) -> int:
    view = services.declare("outage", "sev1", title, "ana", ["checkout"], is_drill=drill)
    [ack] = services.posts(view.id)
    publish_reviewed(services, ack.id, "ana")
    return view.id


def test_all_operational_when_nothing_is_published(client, services) -> None:
    services.declare("outage", "sev1", "Not told yet", "ana", ["checkout"])  # nothing published: not public
    page = client.get("/").get_data(as_text=True)
    assert "All systems operational" in page and "Not told yet" not in page
    assert '<main id="main">' in page and "<h1>" in page and '<html lang="en">' in page


def test_an_incident_shows_with_its_updates_and_components(client, services) -> None:
    incident_id = public_incident(services)
    page = client.get("/").get_data(as_text=True)
    assert "A major outage is under way" in page
    assert "Checkout fails" in page and "We are sorry" in page
    assert "<span>Checkout</span> <span class=\"state status-major_outage\">Major outage</span>" in page
    assert "<span>Website</span> <span class=\"state status-operational\">Operational</span>" in page
    own = client.get(f"/incidents/{incident_id}")
    assert own.status_code == 200 and b"Investigating" in own.data


def test_language_by_query_and_accept_language(client, services) -> None:
    public_incident(services)
    spanish = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert b'<html lang="es">' in spanish.data and "Lo sentimos" in spanish.get_data(as_text=True)
    assert spanish.headers["Vary"] == "Accept-Language, Accept-Encoding"
    chosen = client.get("/?lang=en", headers={"Accept-Language": "es"})
    # the language is in the address: only the encoding still varies
    assert b'<html lang="en">' in chosen.data and chosen.headers["Vary"] == "Accept-Encoding"


def test_etag_and_304_and_cdn_headers(client, services) -> None:
    first = client.get("/")
    assert first.headers["Cache-Control"].startswith("public, max-age=10")
    assert first.headers["Last-Modified"] and first.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    public_incident(services)  # a change: a new page, a new ETag
    changed = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]


def test_drills_never_appear(client, services) -> None:
    drill_id = public_incident(services, "Drill: checkout down", drill=True)
    page = client.get("/").get_data(as_text=True)
    assert "Drill: checkout down" not in page and "All systems operational" in page
    assert client.get(f"/incidents/{drill_id}").status_code == 404


def test_user_text_is_never_active_on_the_public_page(client, services) -> None:
    view = services.declare("outage", "sev3", 'Checkout <b onmouseover="x()">fails</b>', "ana", ["checkout"])
    take(services, view.id, "acknowledge", "ana")  # an update goes out once the incident is acknowledged
    post = services.draft_post(view.id, "update", "ana",
                               text=f"We are sorry. {XSS} Next update by 10:30. https://help.example.com")
    services.publish_post(post.id, "ana")
    page = client.get(f"/incidents/{view.id}").get_data(as_text=True)
    assert "<script" not in page and "<img" not in page and "javascript:" not in page and "<b " not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as the text it is
    assert "Content-Security-Policy" in client.get("/").headers


def test_history_lists_resolved_incidents(client, services) -> None:
    from tests.walk import satisfy

    incident_id = public_incident(services, "Old outage")  # publishing the acknowledgement takes 'acknowledge'
    take(services, incident_id, "identify_cause", "ana", {"cause": "A broken card reader"})
    satisfy(services, incident_id, "resolve")
    take(services, incident_id, "resolve", "ana")  # by publishing the resolve post
    page = client.get("/").get_data(as_text=True)
    assert "All systems operational" in page
    history = page.split("Past incidents (90 days)")[1]
    assert "Old outage" in history and "Resolved:" in history


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_colours_meet_wcag_aa_contrast() -> None:
    import re
    from pathlib import Path

    import crisisplan.web

    css = (Path(crisisplan.web.__file__).parent / "static" / "style.css").read_text(encoding="utf-8")
    colour = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    colour["white"] = "#ffffff"
    pairs = [("ink", "bg"), ("muted", "bg"), ("link", "bg"), ("ok", "bg"), ("warn", "bg"), ("bad", "bg"),
             ("white", "ok"), ("white", "warn"), ("white", "bad"), ("warn", "amber-bg"), ("bad", "red-bg"),
             ("ink", "soft"), ("muted", "soft")]
    for text, background in pairs:
        lighter, darker = sorted((_luminance(colour[text]), _luminance(colour[background])), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (text, background)
