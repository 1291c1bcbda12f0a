"""The public answers at any size of history: bounded pages, one render per change, compressed bytes, a cache
that a stranger cannot fill or poison."""

from __future__ import annotations

import gzip
import re
import threading
from datetime import timedelta

import brotli
import pytest

from crisisplan.web import create_app
from crisisplan.web.pagecache import PageCache
from crisisplan.web.public import cache
from tests.many import seed_incidents
from tests.plans import plan_copy
from tests.walk import publish_reviewed

# Statuspage's documented limit for /api/v2/incidents.json: the 50 most recent incidents
STATUSPAGE_LIMIT = 50
KB = 1024


def incident_links(html: str) -> set[str]:
    return set(re.findall(r'href="/incidents/(\d+)', html))


def uptime_section(html: str) -> str:
    start = html.index('<section aria-labelledby="uptime-h"')
    return html[start:html.index("</section>", start)]


def test_the_page_stays_small_with_2000_incidents_in_90_days(client, services) -> None:
    empty = client.get("/").get_data(as_text=True)
    ids = seed_incidents(services, 2000, days=90, open_every=400)  # 5 still open, 1995 resolved and closed
    html = client.get("/").get_data()
    page = html.decode()
    # the target (64 KB for 10,000 incidents) for everything but the uptime bars, which are 90 days a
    # component whatever the history: with 2,000 incidents they grow only by the 3 links a day each bar keeps
    assert len(page) - len(uptime_section(page)) < 64 * KB
    bars = 90 * len(services.plan.settings.components)
    assert len(uptime_section(page)) - len(uptime_section(empty)) < bars * 4 * 200  # 4 links of < 200 bytes a bar
    shown = incident_links(page)
    # the 5 open ones and the seed, plus the 50 newest past ones: 56 at most
    outside = incident_links(page.replace(uptime_section(page), ""))
    assert len(outside) <= 6 + 50 and {str(ids[0]), str(ids[400])} <= outside and str(ids[-1]) not in outside
    assert len(shown) < 6 + 50 + bars * 3  # and at most 3 a day from the uptime bars
    # grouped by day: 2,000 incidents over 90 days are ~22 a day, so 50 past ones fill 3 days or so
    history = page.split('id="history-h"')[1]
    assert 2 <= history.count("<h3>") <= 4 and "All incidents, month by month" in history
    summary = client.get("/api/v2/incidents.json").get_json()
    assert len(summary["incidents"]) == STATUSPAGE_LIMIT
    # the newest first: the seed incident (declared now), then the copies in the order they were made
    assert [i["id"] for i in summary["incidents"][1:]] == [str(i) for i in ids[:STATUSPAGE_LIMIT - 1]]


def test_history_pages_a_month_a_hundred_at_a_time(client, services) -> None:
    # 300 incidents 2.4 h apart before 2026-01-01 09:00 UTC; December ends (Madrid) at 2025-12-31 23:00 UTC,
    # 10 h earlier: the 5th (09:00 - 5 × 2.4 h = 21:00 UTC) is December's newest, so December has 296
    ids = seed_incidents(services, 300, days=30)
    first = client.get("/history?month=2025-12").get_data(as_text=True)
    assert "Incidents in December 2025" in first and len(incident_links(first)) == 100
    assert str(ids[4]) in incident_links(first) and str(ids[3]) not in incident_links(first)  # newest first
    third = client.get("/history?month=2025-12&page=3").get_data(as_text=True)
    assert len(incident_links(third)) == 96 and str(ids[-1]) in incident_links(third)
    january = client.get("/history").get_data(as_text=True)  # this month by default
    assert "Incidents in January 2026" in january and {str(i) for i in ids[:4]} <= incident_links(january)
    assert "Older" not in third and "Newer" in third
    empty = client.get("/history?month=2025-06").get_data(as_text=True)
    assert "No incidents this month." in empty
    for bad in ("2025-13", "25-12", "2025-1", "0000-01", "²025-01"):
        answer = client.get(f"/history?month={bad}")
        assert answer.status_code == 400 and b"YYYY-MM" in answer.data, bad
    assert client.get("/history?month=2025-12&page=0").status_code == 400


def test_an_incident_older_than_90_days_is_still_on_its_page(client, services) -> None:
    [old] = seed_incidents(services, 1, days=200)
    assert str(old) not in incident_links(client.get("/").get_data(as_text=True))
    assert client.get(f"/incidents/{old}").status_code == 200


def test_fifty_readers_after_a_change_cost_one_render(app, client, services) -> None:
    view = services.declare("outage", "sev3", "Slow search", "ana", ["website"])
    publish_reviewed(services, services.posts(view.id)[0].id, "ana")
    before = client.get("/")
    pages = cache(app)
    for n in range(10):  # ten writes in a row: nobody reads in between
        other = services.declare("outage", "sev3", f"Also broken {n}", "ana", ["website"])
        publish_reviewed(services, services.posts(other.id)[0].id, "ana")
    renders = pages.renders
    start = threading.Barrier(50)
    answers: list[tuple[int, str]] = []

    def read() -> None:
        reader = app.test_client()
        start.wait()
        got = reader.get("/")
        answers.append((got.status_code, got.headers["ETag"]))

    threads = [threading.Thread(target=read) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = client.get("/")
    assert pages.renders - renders == 1
    assert len(answers) == 50 and {status for status, _ in answers} == {200}
    # each reader got either the page from before the change or the new one, never anything else
    assert {etag for _, etag in answers} <= {before.headers["ETag"], after.headers["ETag"]}
    assert "Also broken 9" in after.get_data(as_text=True)


def test_readers_get_the_previous_version_while_the_new_one_renders() -> None:
    stamp = [1]
    pages = PageCache(lambda: stamp[0], ttl=0)
    assert pages.page("k", lambda: "first").body == b"first"
    stamp[0] = 2
    rendering, release = threading.Event(), threading.Event()

    def slow() -> str:
        rendering.set()
        release.wait(10)
        return "second"

    builder = threading.Thread(target=lambda: pages.page("k", slow))
    builder.start()
    assert rendering.wait(10)
    assert pages.page("k", lambda: pytest.fail("a second render while one runs")).body == b"first"
    release.set()
    builder.join()
    assert pages.page("k", lambda: pytest.fail("rendered twice")).body == b"second"
    assert pages.renders == 2


@pytest.mark.parametrize("path", ["/", "/api/v2/summary.json", "/feed.atom", "/cap.xml"])
def test_compressed_answers_decode_to_the_same_bytes(client, services, path: str) -> None:
    view = services.declare("outage", "sev1", "Checkout fails", "ana", ["checkout"])
    publish_reviewed(services, services.posts(view.id)[0].id, "ana")
    for _ in range(2):  # the first answer comes through Flask, the second from the fast path
        plain = client.get(path)
        br = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        gz = client.get(path, headers={"Accept-Encoding": "gzip;q=1.0, br;q=0"})
        assert "Content-Encoding" not in plain.headers
        assert br.headers["Content-Encoding"] == "br" and gz.headers["Content-Encoding"] == "gzip"
        assert brotli.decompress(br.get_data()) == plain.get_data()
        assert gzip.decompress(gz.get_data()) == plain.get_data()
        assert len(br.get_data()) < len(plain.get_data()) / 2
        for answer in (plain, br, gz):
            assert "Accept-Encoding" in answer.headers["Vary"]
            assert int(answer.headers["Content-Length"]) == len(answer.get_data())
        # each form has its own validator, and the client that holds one gets a 304
        assert len({plain.headers["ETag"], br.headers["ETag"], gz.headers["ETag"]}) == 3
        again = client.get(path, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]})
        assert again.status_code == 304


def test_not_found_is_never_kept(app, client, services) -> None:
    view = services.declare("outage", "sev3", "Slow search", "ana", ["website"])
    publish_reviewed(services, services.posts(view.id)[0].id, "ana")
    client.get("/")
    pages = cache(app)
    kept, size = len(pages), pages.bytes
    for missing in range(10_000, 10_500):
        assert client.get(f"/incidents/{missing}").status_code == 404
        assert client.get(f"/incidents/{missing}/feed.atom").status_code == 404
        assert client.get(f"/cap/{missing}.xml").status_code == 404
    assert (len(pages), pages.bytes) == (kept, size)


def test_the_cache_is_bounded_by_bytes_least_recently_used_first(services) -> None:
    seed_incidents(services, 30, days=900)
    app = create_app({"SERVICES": services, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 0,
                      "PUBLIC_CACHE_BYTES": 100 * KB})
    client = app.test_client()
    pages = cache(app)
    for month in range(1, 13):
        for year in range(2000, 2026):  # 312 distinct history pages, a few KB each
            assert client.get(f"/history?month={year}-{month:02d}").status_code == 200
            assert pages.bytes <= 100 * KB
    assert 0 < len(pages) < 312
    assert pages.get(("history", "2025-12", 1, "en", False)) is not None  # the latest stay
    assert pages.get(("history", "2000-01", 1, "en", False)) is None  # the oldest went first


def without_status_url(settings: dict) -> None:
    settings["organisation"]["status_url"] = ""


@pytest.fixture
def open_plan(tmp_path, db, clock):
    from crisisplan.plan.load import load_plan
    from crisisplan.services import Services

    return Services(load_plan(plan_copy(tmp_path / "plan", without_status_url)), db, clock)


@pytest.mark.parametrize("path", ["/feed.atom", "/cap.xml", "/api/v2/summary.json"])
def test_a_forged_host_never_reaches_a_cached_answer(open_plan, path: str) -> None:
    view = open_plan.declare("outage", "sev1", "Checkout fails", "ana", ["checkout"])
    publish_reviewed(open_plan, open_plan.posts(view.id)[0].id, "ana")
    app = create_app({"SERVICES": open_plan, "SECRET_KEY": "test", "TESTING": True, "PUBLIC_CACHE_SECONDS": 60,
                      "PUBLIC_HOSTS": ["status.example.org"]})
    client = app.test_client()
    forged = client.get(path, headers={"Host": "evil.example"})
    assert forged.status_code == 421 and b"status_url" in forged.data
    honest = client.get(path, headers={"Host": "status.example.org"})
    assert honest.status_code == 200 and b"status.example.org" in honest.data and b"evil" not in honest.data
    for _ in range(3):
        again = client.get(path, headers={"Host": "evil.example"})
        assert again.status_code == 421 and b"status.example.org" not in again.data
    assert b"evil" not in client.get(path, headers={"Host": "status.example.org"}).data


@pytest.mark.parametrize("path", ["/feed.atom", "/cap.xml", "/api/v2/summary.json"])
def test_with_a_status_url_the_host_asked_for_is_ignored(client, services, path: str) -> None:
    view = services.declare("outage", "sev1", "Checkout fails", "ana", ["checkout"])
    publish_reviewed(services, services.posts(view.id)[0].id, "ana")
    first = client.get(path, headers={"Host": "evil.example"})
    assert first.status_code == 200 and b"evil" not in first.data and b"https://status.example.com" in first.data
    assert b"evil" not in client.get(path).data


def test_page_rendered_once_a_day_change_of_clock_shows(client, services) -> None:
    """Fragments are kept by what they show: the day they are rendered on is part of it."""
    view = services.declare("outage", "sev3", "Slow search", "ana", ["website"])
    publish_reviewed(services, services.posts(view.id)[0].id, "ana")
    today = client.get("/").get_data(as_text=True)
    services.clock.set(services.clock.now() + timedelta(days=1))
    services.declare("outage", "sev3", "Unpublished", "ana", ["website"])  # a change, nothing public
    tomorrow = client.get("/").get_data(as_text=True)
    assert re.search(r"UTC\+1</time>", today) and re.search(r"UTC\+1, 1 Jan</time>", tomorrow)


def test_the_uptime_bars_render_again_only_when_their_figures_change(app, client, services, monkeypatch) -> None:
    """The 89 bars before today are worded once a day (or when their figures change); today's bar follows the
    record at each render."""
    import crisisplan.web.uptime as bars_module

    worded: list[int] = []  # how many past days each wording of past bars covered
    real = bars_module.day_items

    def counting(locale: str, lang_query: str, days: list[object], names: dict[int, object]) -> list[object]:
        worded.append(len(days))
        return real(locale, lang_query, days, names)

    monkeypatch.setattr(bars_module, "day_items", counting)
    components = len(services.plan.settings.components)
    view = services.declare("outage", "sev3", "Slow search", "ana", ["website"])
    publish_reviewed(services, services.posts(view.id)[0].id, "ana")
    first = client.get("/?lang=en").get_data(as_text=True)
    assert worded == [89] * components and "Slow search" in first
    # an update changes the page, not the bars: the page renders, no bar is worded again
    update = services.draft_post(view.id, "update", "ana", text="Still on it. Next update by 11:30.")
    publish_reviewed(services, update.id, "ana")
    renders = cache(app).renders
    second = client.get("/?lang=en").get_data(as_text=True)
    assert cache(app).renders == renders + 1 and "Still on it" in second and len(worded) == components
    # a status set by hand moves today's bar: the page shows it, and the days before are not worded again
    services.set_component_status("payments", "major_outage", "ada")
    services.clock.advance(timedelta(minutes=30))
    third = client.get("/?lang=en").get_data(as_text=True)
    assert len(worded) == components and third.count('class="m"') == first.count('class="m"') + 1
    assert _bars(third, "payments")[-1] == "m" and _bars(first, "payments")[-1] != "m"
    # the next day the window moves: every component's past days are worded again, today's outage among them
    services.clock.advance(timedelta(days=1))
    fourth = client.get("/?lang=en").get_data(as_text=True)
    assert len(worded) == 2 * components and _bars(fourth, "payments")[-2:] == ["m", "m"]


def _bars(html: str, component: str) -> list[str]:
    """The class of each of a component's bars, oldest first."""
    found = re.search(rf'<ol class="bars" aria-labelledby="uptime-{component}">(.*?)</ol>', html, re.S)
    assert found, component
    return re.findall(r'<li class="(\w)"', found.group(1))
