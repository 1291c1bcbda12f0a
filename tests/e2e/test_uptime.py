"""The uptime bars in a real browser at 320 px (a small phone): every component's 90 bars fit without sideways
scrolling, each bar has its text once (its title: what a screen reader says, and the tooltip), and a day with an
incident opens it. The demo (`crisisplan demo`) has 89 days of history: a 45-minute outage of the mobile app
among them."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.test_languages import demo_server  # noqa: F401 - the demo, served (a fixture)

WIDTH = 320


def test_the_uptime_bars_are_readable_at_320_px_and_have_text_equivalents(browser, demo_server) -> None:  # noqa: F811
    context = browser.new_context(base_url=demo_server, viewport={"width": WIDTH, "height": 800})
    page = context.new_page()
    page.goto("/?lang=en")
    lists = page.locator("ol.bars")
    expect(lists).to_have_count(6)  # one a component of the shipped plan
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH  # nothing to scroll sideways

    for index in range(6):
        bars = lists.nth(index).locator("li")
        expect(bars).to_have_count(90)
        first, last = bars.first.bounding_box(), bars.last.bounding_box()
        assert first["x"] >= 0 and last["x"] + last["width"] <= WIDTH, (index, first, last)
        assert first["width"] >= 1.5 and first["height"] >= 24, first  # a bar you can see and touch
        texts = bars.evaluate_all("items => items.map(item => item.title)")  # each day's text, said once
        assert all(re.search(r"\d{4}: (\d+\.\d\d % uptime|no record)", t) for t in texts), texts[:3]
    # what assistive technology names each day: its text (the title), found by role and name
    named = page.locator("ol.bars[aria-labelledby=uptime-payments]").get_by_role(
        "listitem", name=re.compile(r"^\d+ \w+ \d{4}: (\d+\.\d\d % uptime|no record)"))
    expect(named).to_have_count(90)

    mobile = page.locator("#uptime-mobile_app")
    expect(mobile.locator(".figure")).to_have_text(re.compile(r"^\d+\.\d\d % uptime$"))
    box = mobile.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH
    # the day of the outage: a link named by the day, its figure and the incident, that opens the incident
    link = page.locator("ol.bars[aria-labelledby=uptime-mobile_app] a")
    expect(link).to_have_count(1)
    name = link.text_content()
    assert re.search(r"\d{4}: \d+\.\d\d % uptime; at worst major outage; incidents that day: The mobile app does "
                     r"not open", name), name
    shot(page, "uptime-320")
    link.click()
    page.wait_for_url(re.compile(r".*/incidents/\d+"))
    expect(page.locator("h1")).to_have_text("The mobile app does not open")

    page.goto("/?lang=es")
    spanish = page.locator("ol.bars[aria-labelledby=uptime-mobile_app] a").text_content()
    assert "% de disponibilidad; en el peor momento, caída grave; incidencias de ese día: La aplicación móvil " \
           "no se abre" in spanish, spanish
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    context.close()
