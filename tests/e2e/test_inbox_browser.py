"""The inbox in a browser: a complaint recorded on the Signals page shows in the inbox with its first-answer clock;
the reply composer checks the tone as the communicator types, refuses a refusal without its alternative, and opens
the drafted reply (addressed by name) in the post editor."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import shot


def test_reply_from_the_inbox_with_live_tone_checks(person) -> None:
    carmen = person("carmen")
    carmen.goto("/console/signals")
    carmen.fill("#cchannel", "social")
    carmen.fill("#cauthor", "@inbox-e2e")
    carmen.fill("#ctext", "My order 552211 arrived broken, can you refund it?")
    carmen.click("button:has-text('Record and triage')")
    carmen.goto("/console/inbox")
    row = carmen.locator("tr", has_text="@inbox-e2e")
    expect(row).to_contain_text("left")  # social answers within 1 h: the clock runs
    row.locator("summary", has_text="Reply to @inbox-e2e").click()
    text = row.locator("textarea[name=text]")
    text.fill("Sorry, we cannot refund that.")
    expect(row.locator("ul.live")).to_contain_text("[bare_refusal]")
    text.fill("")
    row.locator("select[name=kind]").select_option("refusal_with_alternative")
    row.locator("input[name=reason]").fill("the parcel is still with the courier")
    row.locator("button:has-text('Draft the reply')").click()
    expect(carmen.locator("main")).to_contain_text("needs the alternative")
    carmen.goto("/console/inbox")
    row = carmen.locator("tr", has_text="@inbox-e2e")
    row.locator("summary", has_text="Reply to @inbox-e2e").click()
    row.locator("select[name=kind]").select_option("refusal_with_alternative")
    row.locator("input[name=reason]").fill("the parcel is still with the courier")
    row.locator("input[name=alternative]").fill("we send a new one today at our cost")
    row.locator("button:has-text('Draft the reply')").click()
    carmen.wait_for_url(re.compile(r".*/console/posts/\d+$"))
    expect(carmen.locator("#body_en")).to_have_value(re.compile(r"^@inbox-e2e, thank you for asking"))
    shot(carmen, "console-inbox-reply")
