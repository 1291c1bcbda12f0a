"""The review and the metrics in a real browser, without JavaScript, at 320 px (a small phone): the demo's past
incident has its final review, every chart has an accessible name and nothing scrolls sideways."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from crisisplan import SHIPPED_PLAN
from tests.e2e.conftest import PASSWORD, _free_port, shot

WIDTH = 320


@pytest.fixture(scope="module")
def demo_with_viewer(tmp_path_factory, databases):
    """`crisisplan demo` and a viewer account on a fresh database, then `crisisplan serve`."""
    root = tmp_path_factory.mktemp("review-demo")
    url = databases.fresh(root)
    plan = root / "plan"
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", plan / "plan.yaml")
    env = {**os.environ, "CRISISPLAN_PLAN": str(plan), "CRISISPLAN_DATABASE_URL": url, "CRISISPLAN_SECRET_KEY": "e2e"}
    cli = [sys.executable, "-m", "crisisplan.cli"]
    subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "user", "add", "vera", "--role", "viewer", "--password", PASSWORD], env=env, check=True,
                   capture_output=True)
    port = _free_port()
    with open(root / "server.log", "w") as log:
        process = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(600):  # a shared machine under load: the server may take a while to start
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail("crisisplan serve did not start: " + (root / "server.log").read_text())
        yield f"http://127.0.0.1:{port}"
        process.terminate()
        process.wait(timeout=10)


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
