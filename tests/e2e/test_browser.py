"""The whole story in a real browser: log in, declare, write, review, publish, resolve; drills stay private."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import shot


def declare(page, title: str, drill: bool = False) -> int:
    page.goto("/console/declare")
    page.fill("#title", title)
    page.select_option("#runbook", "outage")
    page.select_option("#severity", "sev1")
    page.check("input[value=checkout]")
    if drill:
        page.check("input[name=drill]")
    page.click("button:has-text('Declare')")
    page.wait_for_url(re.compile(r".*/console/incidents/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


# a post kind as the console names it (its link on the incident page, its heading)
KIND_WORDS = {"acknowledge": "acknowledgement", "cause": "cause", "update": "update", "resolve": "resolution",
              "follow_up": "follow-up"}


def open_post(page, incident_id: int, kind: str) -> None:
    page.goto(f"/console/incidents/{incident_id}")
    page.click(f"a:text-is('{KIND_WORDS[kind]}') >> nth=-1")
    expect(page.locator("h1")).to_contain_text(KIND_WORDS[kind])


def review_and_publish(carmen, lena, incident_id: int, kind: str) -> None:
    open_post(carmen, incident_id, kind)
    carmen.click("button:has-text('Submit for review')")
    open_post(lena, incident_id, kind)
    lena.click("button:has-text('Approve')")
    expect(lena.locator(".flash")).to_contain_text("Approved.")
    open_post(carmen, incident_id, kind)
    carmen.click("button:has-text('Publish')")
    expect(carmen.locator(".flash")).to_contain_text("Published.")


def take_step(page, incident_id: int, kind: str, label: str) -> None:
    """A public step: its button (the runbook's label) opens the post whose publication takes it (a
    communicator's act)."""
    page.goto(f"/console/incidents/{incident_id}")
    page.click(f"form.step button:has-text('{label}')")
    expect(page.locator("h1")).to_contain_text(KIND_WORDS[kind])
    expect(page.locator(".flash").first).to_contain_text("the incident moves when it goes out")


def test_an_outage_from_declaration_to_resolution(person) -> None:
    admin = person("admin")
    expect(admin.locator("header")).to_contain_text("admin (admin)")
    rudi, carmen, lena, public = person("rudi"), person("carmen"), person("lena"), person(None)

    incident_id = declare(rudi, "Checkout fails for card payments")
    expect(rudi.locator("#state")).to_have_text("Detected")
    expect(rudi.locator("img.diagram")).to_be_visible()

    # the communicator edits the acknowledgement and sees the tone findings as she types
    open_post(carmen, incident_id, "acknowledge")
    text = carmen.locator("#body_en")
    original = text.input_value()
    text.fill(original.replace("Our team is on it right now.", "This is not our fault!!"))
    expect(carmen.locator("#live-body_en")).to_contain_text("[blame]")
    expect(carmen.locator("#live-body_en")).to_contain_text("[shouting]")
    text.fill(original.replace("Our team is on it right now.", "Our engineers are on it right now."))
    expect(carmen.locator("#live-body_en")).not_to_contain_text("[blame]")
    carmen.click("button:has-text('Save and check')")
    expect(carmen.locator(".flash")).to_contain_text("Saved.")
    shot(carmen, "console-post-editor")
    # the English text changed: the Spanish one still says the same, and she says so (else it cannot go out)
    carmen.click("button:has-text('Confirm es unchanged')")
    expect(carmen.locator(".flash").first).to_contain_text("The es text is confirmed unchanged.")

    # she cannot publish alone; a second person approves; then it is public
    review_and_publish(carmen, lena, incident_id, "acknowledge")
    public.goto("/")
    expect(public.locator("main")).to_contain_text("Checkout fails for card payments")
    expect(public.locator("main")).to_contain_text("Our engineers are on it right now.")
    expect(public.locator(".banner")).to_contain_text("A major outage is under way")

    # publishing the acknowledgement acknowledged the incident; each later public step is taken by its post
    rudi.goto(f"/console/incidents/{incident_id}")
    expect(rudi.locator("#state")).to_have_text("Acknowledged publicly")
    rudi.fill("#field_cause", "A certificate on the card gateway expired")
    rudi.click("button:has-text('Save fields')")
    take_step(carmen, incident_id, "cause", "The cause is confirmed")
    review_and_publish(carmen, lena, incident_id, "cause")
    take_step(carmen, incident_id, "update", "Share progress")
    review_and_publish(carmen, lena, incident_id, "update")
    take_step(carmen, incident_id, "resolve", "Service restored")
    review_and_publish(carmen, lena, incident_id, "resolve")
    rudi.goto(f"/console/incidents/{incident_id}")
    expect(rudi.locator("#state")).to_have_text("Resolved")

    public.goto(f"/incidents/{incident_id}")
    expect(public.locator("article")).to_contain_text("Resolved")
    expect(public.locator(".update")).to_have_count(4)
    public.goto("/?lang=es")
    expect(public.locator("h1").first).to_contain_text("Todos los sistemas funcionan")
    shot(public, "public-status-page")

    rudi.goto(f"/console/incidents/{incident_id}/timeline")
    timeline = rudi.locator("ol.timeline")
    for said in ("rudi declared the incident", "carmen edited the acknowledgement", "lena approved the cause",
                 "carmen published the resolution (en, es)",
                 "moved the incident from Detected to Acknowledged publicly"):
        expect(timeline).to_contain_text(said)
    expect(timeline).to_contain_text("lena")
    shot(rudi, "console-timeline")
    rudi.goto("/console/")
    shot(rudi, "console-dashboard")


def test_a_drill_stays_off_the_public_page_and_script_is_text(person) -> None:
    rudi, carmen, lena, public = person("rudi"), person("carmen"), person("lena"), person(None)
    drill_id = declare(rudi, "Drill: warehouse flooded", drill=True)
    expect(rudi.locator("h1 .drill")).to_have_text("DRILL")
    review_and_publish(carmen, lena, drill_id, "acknowledge")
    public.goto("/")
    expect(public.locator("main")).not_to_contain_text("warehouse flooded")
    assert public.goto(f"/incidents/{drill_id}").status == 404

    incident_id = declare(rudi, "Login page misbehaves")
    open_post(carmen, incident_id, "acknowledge")
    text = carmen.locator("#body_en")
    text.fill(text.input_value() + "\n\n<script>document.title='owned'</script>")
    carmen.click("button:has-text('Save and check')")
    carmen.click("button:has-text('Confirm es unchanged')")  # only the English text was given the script
    expect(carmen.locator(".flash").first).to_contain_text("The es text is confirmed unchanged.")
    review_and_publish(carmen, lena, incident_id, "acknowledge")
    public.goto(f"/incidents/{incident_id}")
    expect(public.locator(".post")).to_contain_text("<script>document.title='owned'</script>")
    assert public.title() != "owned"
    assert public.locator(".post script").count() == 0


def test_the_public_page_reads_at_320_pixels_without_javascript(browser, server) -> None:
    context = browser.new_context(base_url=server, viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    # nothing wider than the screen: no sideways scrolling on a small phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.locator("main h1").count() == 1 and page.locator("header, main, footer").count() == 3
    shot(page, "public-status-page-320px")
    context.close()


def test_injects_of_a_live_drill_pop_up_in_the_console(person) -> None:
    rudi = person("rudi")
    rudi.goto("/console/drills")
    rudi.select_option("#scenario", "checkout_outage")
    rudi.fill("#speed", "600")  # 20 drill minutes in 2 real seconds
    rudi.click("button:has-text('Start')")
    rudi.wait_for_url(re.compile(r".*/console/incidents/\d+$"))
    injects = rudi.locator("#drill-injects")
    expect(injects).to_contain_text("38% of card payments fail")
    # no reload: the server's ticker records the complaint, the page's poll shows it
    expect(injects).to_contain_text("@shopper_ana (12000 followers)", timeout=30_000)
    shot(rudi, "console-live-drill")
