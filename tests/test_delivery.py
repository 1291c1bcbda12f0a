"""Per-channel publication, short forms, per-runbook blocking rules, redrafts and lint of a stored post."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main
from crisisplan.comms.approval import ReviewError
from tests.walk import publish_reviewed, take

HELP = "Help: https://help.example.com"


def long_update(sentences: int) -> str:
    body = " ".join("We are still restoring the checkout for every customer, one region at a time."
                    for _ in range(sentences))
    return f"**Update: Checkout**\n\n{body}\n\nWe are sorry. Next update by 10:30. {HELP}\n"


def test_a_post_too_long_for_a_short_social_post_still_goes_everywhere_else(services) -> None:
    view = services.declare("outage", "sev3", "Checkout slow", "ana")  # sev3: no approval needed
    take(services, view.id, "acknowledge", "ana")  # an update goes out once the incident is acknowledged
    post = services.draft_post(view.id, "update", "ana", text=long_update(6))
    published = services.publish_post(post.id, "ana")
    assert published.status == "published"
    assert published.channels["social_short"].startswith("en: over the limit (Short social post: ")
    assert {c for c, why in published.channels.items() if not why} == {
        "status_page", "social_long", "email", "chat", "sms"}
    event = [e for e in services.timeline(view.id) if e.kind == "post_published"][-1]
    payload = json.loads(event.payload)
    assert "social_short" in payload["withheld"] and "social_short" not in payload["channels"]


def test_a_post_that_does_not_fit_the_status_page_is_not_published(services) -> None:
    view = services.declare("outage", "sev3", "Checkout slow", "ana")
    post = services.draft_post(view.id, "update", "ana", text=long_update(140))  # > 10,000 characters
    version = services.get(view.id).version
    with pytest.raises(ReviewError, match=r"blocking tone findings: en: \[too_long\]"):
        services.publish_post(post.id, "ana")
    assert services.post(post.id).status == "draft" and services.get(view.id).version == version


def test_a_blocking_finding_in_the_short_form_withholds_only_the_short_channels(services) -> None:
    view = services.declare("outage", "sev3", "Checkout slow", "ana")
    [ack] = services.posts(view.id)
    assert ack.short_bodies["en"] and ack.short_bodies["es"]
    promised = ack.promise_text["en"]  # the short form keeps the time every other text promises
    services.edit_post(ack.id, f"Sorry, checkout is slow, but that is not our fault. Next update by {promised}. "
                       + HELP, "ana", short=True)
    services.confirm_locale(ack.id, "es", "ana")  # the Spanish short form still says the same
    published = services.publish_post(ack.id, "ana")
    assert published.channels["social_short"] == "en: blocking finding(s) blame"
    assert published.channels["sms"] == "en: blocking finding(s) blame"
    assert not published.channels["status_page"] and not published.channels["email"]


def test_the_runbook_decides_which_rules_block(services) -> None:
    jargon = f"We are sorry. The DNS change is being undone. Next update by 10:30. {HELP}"
    outage = services.declare("outage", "sev3", "Checkout slow", "ana")
    take(services, outage.id, "acknowledge", "ana")
    post = services.draft_post(outage.id, "update", "ana", text=jargon)
    assert services.publish_post(post.id, "ana").status == "published"  # the plan only warns on jargon
    security = services.declare("security", "sev2", "Data exposed", "ana")
    post = services.draft_post(security.id, "update", "ana", text=jargon)
    with pytest.raises(ReviewError, match=r"\[jargon\] DNS"):
        publish_reviewed(services, post.id, "ana")


def test_redraft_writes_again_from_the_templates(services, clock) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    [ack] = services.posts(view.id)
    services.submit_post(ack.id, "ana")
    services.approve_post(ack.id, "bob")
    services.set_fields(view.id, {"impact": "Card payments fail at the last step"}, "ana")
    redrafted = services.redraft_post(ack.id, "carmen")
    assert "Card payments fail at the last step" in redrafted.bodies["en"]
    assert redrafted.status == "draft" and redrafted.approvals == [] and redrafted.author == "carmen"
    edit = [e for e in services.timeline(view.id) if e.kind == "post_edited"][-1]
    assert '"redrafted":true' in edit.payload and '"approvals_withdrawn":["bob"]' in edit.payload
    assert "+What you may notice: Card payments fail at the last step" in json.loads(edit.payload)["diff"]


def test_lint_the_latest_post_of_a_kind_on_its_short_form(runner, tmp_path: Path) -> None:
    runner.invoke(main, ["declare", "outage", "--severity", "sev1", "--title", "Checkout down", "--as", "ana"])
    short = tmp_path / "short.md"
    short.write_text("Checkout is down. Sorry! Next update by 10:30. Not our fault. https://help.example.com\n",
                     encoding="utf-8")
    assert runner.invoke(main, ["post", "edit", "1", "--short", "--file", str(short), "--as", "ana"]).exit_code == 0
    status_page = runner.invoke(main, ["lint", "--incident", "1", "--kind", "acknowledge"])
    assert status_page.exit_code == 0, status_page.output
    sms = runner.invoke(main, ["lint", "--incident", "1", "--kind", "acknowledge", "--channel", "sms", "--json"])
    assert sms.exit_code == 1
    assert [f["rule"] for f in json.loads(sms.output)["findings"]] == ["blame"]
    missing = runner.invoke(main, ["lint", "--incident", "1", "--kind", "resolve"])
    assert missing.exit_code == 1 and "incident 1 has no 'resolve' post" in missing.output
    no_kind = runner.invoke(main, ["lint", "--incident", "1"])
    assert no_kind.exit_code == 1 and "--incident needs --kind" in no_kind.output


def test_post_show_and_next_update_from_the_command_line(runner) -> None:
    runner.invoke(main, ["declare", "outage", "--severity", "sev3", "--title", "Checkout down", "--as", "ana"])
    shown = runner.invoke(main, ["post", "draft", "1", "update", "--next-update", "2h", "--as", "ana"])
    assert shown.exit_code == 0 and "promises the next update by" in shown.output
    assert "fits: status_page, social_short, social_long, email, chat, sms" in shown.output
    assert "short form (short social post, SMS)" in shown.output
    data = json.loads(runner.invoke(main, ["post", "show", "2", "--json"]).output)
    assert data["delivery"]["social_short"] == {"ok": True, "withheld": ""}
    assert data["renderings"]["en"]["sms"]["short_form"] is True
    assert data["renderings"]["en"]["email"]["short_form"] is False
    bad = runner.invoke(main, ["post", "edit", "2", "--next-update", "soon", "--as", "ana"])
    assert bad.exit_code == 1 and "--next-update: 'soon' is neither a duration" in bad.output
    nothing = runner.invoke(main, ["post", "edit", "2", "--as", "ana"])
    assert nothing.exit_code == 1 and "give the new text, the next-update time, or both" in nothing.output


def test_a_template_with_an_unknown_variant_is_reported(runner, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(SHIPPED_PLAN / "runbooks", plan / "runbooks")
    shutil.copytree(SHIPPED_PLAN / "templates", plan / "templates")
    shutil.copy(SHIPPED_PLAN / "plan.yaml", plan / "plan.yaml")
    (plan / "templates" / "en" / "update.tweet.md.j2").write_text("hi", encoding="utf-8")
    result = runner.invoke(main, ["validate", "--plan", str(plan)])
    assert result.exit_code == 1
    assert "update.tweet.md.j2:1:1: error: unknown template variant in 'update.tweet.md.j2'" in result.output
