"""The review and the metrics in a real browser, without JavaScript, at 320 px (a small phone): the demo's past
incident has its final review, every chart has an accessible name and nothing scrolls sideways."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CLI, PASSWORD, server_env, serving, shot

WIDTH = 320


@pytest.fixture(scope="module")
def demo_with_viewer(tmp_path_factory, databases):
    """`crisisplan demo` and a viewer account on a fresh database, then `crisisplan serve`."""
    root = tmp_path_factory.mktemp("review-demo")
    env = server_env(root, databases)
    subprocess.run([*CLI, "demo"], env=env, check=True, capture_output=True)
    subprocess.run([*CLI, "user", "add", "vera", "--role", "viewer", "--password", PASSWORD], env=env, check=True,
                   capture_output=True)
    with serving(root, env) as base:
        yield base


def test_review_and_metrics_read_at_320_px_without_javascript(browser, demo_with_viewer) -> None:
    context = browser.new_context(base_url=demo_with_viewer, viewport={"width": WIDTH, "height": 800},
                                  java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.fill("#name", "vera")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")

    page.goto("/console/metrics")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(5)
    for index in range(5):
        chart = charts.nth(index)
        title = chart.locator("title")
        assert chart.get_attribute("role") == "img" and title.text_content()
        assert chart.get_attribute("aria-labelledby").split()[0] == title.get_attribute("id")
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    assert page.evaluate("document.body.scrollWidth") <= WIDTH + 1 or page.locator(".table-wrap").count() > 0
    expect(page.get_by_role("img", name="Time to first public post, mean per month (minutes)")).to_have_count(1)
    shot(page, "console-metrics-320px")

    page.goto("/console/actions")
    page.locator("a", has_text="#").first.click()  # the past incident's review, from its actions
    expect(page.locator("#review-state")).to_have_text("Final")
    for heading in ("Summary and impact", "What was said in public, against what was known", "Timeline of decisions",
                    "What went well", "What did not go well", "Why it happened", "Follow-up actions"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_have_count(1)
    expect(page.locator("main")).to_contain_text("2 kept, 1 broken")
    shot(page, "console-review-320px")
    context.close()
