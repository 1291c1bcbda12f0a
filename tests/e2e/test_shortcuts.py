"""The incident page's keyboard shortcuts, in a real browser: listed on the page (? opens the list), each key
does what the list says, and nothing fires while typing in a field."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_browser import declare


def test_the_incident_page_answers_its_listed_shortcuts_but_not_inside_a_field(person) -> None:
    carmen = person("carmen")
    incident_id = declare(carmen, "Search is slow")
    page = f"/console/incidents/{incident_id}"
    carmen.goto(page)
    help_ = carmen.locator("#shortcuts")
    expect(help_.locator("summary")).to_be_visible()  # the hint shows without pressing anything
    expect(help_.locator("dl")).not_to_be_visible()
    carmen.keyboard.press("?")
    expect(help_.locator("dl")).to_be_visible()
    for key in ("1", "n", "f", "t", "v", "d", "?", "Esc"):
        expect(help_.locator("dt kbd", has_text=key).first).to_be_visible()

    # inside a text field the keys are text: nothing fires
    field = carmen.locator("input[id^=field_]").first
    field.click()
    carmen.keyboard.type("t1v?")
    expect(carmen).to_have_url(re.compile(re.escape(page) + "$"))
    expect(field).to_have_value("t1v?")
    expect(help_.locator("dl")).to_be_visible()  # ? typed in the field did not close the list
    carmen.keyboard.press("Escape")  # leave the field; the keys work again

    carmen.keyboard.press("n")
    expect(carmen.locator("#kind")).to_be_focused()
    carmen.locator("#kind").evaluate("el => el.blur()")
    carmen.keyboard.press("f")
    expect(carmen.locator("input[id^=field_]").first).to_be_focused()
    carmen.keyboard.press("Escape")

    carmen.keyboard.press("t")
    carmen.wait_for_url(re.compile(rf".*/console/incidents/{incident_id}/timeline$"))
    carmen.goto(page)
    carmen.keyboard.press("v")
    carmen.wait_for_url(re.compile(rf".*/console/incidents/{incident_id}/review$"))
    carmen.goto(page)
    # 1: the first action under "What can happen next": publishing the acknowledgement opens its post
    first = carmen.locator("[data-key-steps] button:not([disabled])").first.inner_text()
    assert "acknowledge" in first.lower()
    carmen.keyboard.press("1")
    carmen.wait_for_url(re.compile(r".*/console/posts/\d+$"))
    expect(carmen.locator("h1")).to_contain_text("acknowledge")
    carmen.goto(page)
    carmen.keyboard.press("d")
    carmen.wait_for_url(re.compile(r".*/console/$"))
