"""One truth, in a real browser: publishing the acknowledgement is what acknowledges the incident, and every
view of it (the state, the diagram, the dashboard's promise) says so at once; nobody is escalated."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.e2e.test_browser import declare


def _highlighted(page, incident_id: int) -> str:
    """The state the incident page's diagram highlights (the node Graphviz fills)."""
    src = page.locator("img.diagram").get_attribute("src")
    svg = page.request.get(src).text()
    return re.search(r"<title>(\w+)</title>\s*<path fill=\"#ffe08a\"", svg).group(1)


def test_publishing_the_acknowledgement_acknowledges_the_incident(person) -> None:
    rudi, carmen, lena = person("rudi"), person("carmen"), person("lena")
    incident_id = declare(rudi, "Card payments fail")
    assert _highlighted(rudi, incident_id) == "detected"
    # no bare trigger for a public act: the only way is its post
    expect(rudi.locator("form[action$='/trigger'] input[value=acknowledge]")).to_have_count(0)
    expect(rudi.locator("form[action$='/step'] input[value=acknowledge]")).to_have_count(0)  # a communicator's

    # the one action: open the acknowledgement from the incident page, submit it
    carmen.goto(f"/console/incidents/{incident_id}")
    expect(carmen.locator("form[action$='/step'] input[value=acknowledge]")).to_have_count(1)
    carmen.click("button:has-text('We have acknowledged it')")
    expect(carmen.locator("h1")).to_contain_text("acknowledgement")
    carmen.click("button:has-text('Submit for review')")

    # the approver finds it on the dashboard and approves; the author may not approve her own post
    lena.goto("/console/")
    expect(lena.locator("#mine-h")).to_contain_text("Waiting for you (1)")
    lena.click("#waiting-for-you a:has-text('acknowledgement for')")
    lena.click("button:has-text('Approve')")
    expect(lena.locator(".flash")).to_contain_text("Approved.")

    carmen.goto(f"/console/incidents/{incident_id}")
    carmen.click("a:text-is('acknowledgement') >> nth=-1")
    carmen.click("button:has-text('Publish')")
    expect(carmen.locator(".flash")).to_contain_text("Published.")

    rudi.goto(f"/console/incidents/{incident_id}")
    expect(rudi.locator("#state")).to_have_text("Acknowledged publicly")
    assert _highlighted(rudi, incident_id) == "acknowledged"  # never the state before, even straight after
    deadlines = rudi.locator("section:has(h2:has-text('Deadlines'))")
    expect(deadlines).to_contain_text("Next public update due")
    expect(deadlines).not_to_contain_text("Nobody has taken the incident")
    expect(deadlines).not_to_contain_text("Public acknowledgement due")
    rudi.goto("/console/")
    row = rudi.locator(f"tr:has(a[href='/console/incidents/{incident_id}'])")
    expect(row).to_contain_text(re.compile(r"in (29|30) min"))  # sev1: the next update within 30 minutes
    shot(rudi, "one-truth-dashboard")
    rudi.goto(f"/console/incidents/{incident_id}/timeline")
    expect(rudi.locator("ol.timeline")).not_to_contain_text("Escalated")
