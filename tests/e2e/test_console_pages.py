"""Every console page in a real browser: a screenshot at 1280 and 375 px each (test-artifacts/page-width.png),
and no runbook id (a name with `_` from the shipped runbooks) in visible text outside <code> and <kbd>.

One server and one incident for the module: the pages are only looked at, so they are visited once a width.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from playwright.sync_api import expect

from crisisplan import SHIPPED_PLAN
from crisisplan.plan.load import check_plan
from tests.e2e.conftest import ARTIFACTS, CLI, PASSWORD, server_env, serving

WIDTHS = (1280, 375)
PREFIX = os.environ.get("CRISISPLAN_SHOT_PREFIX", "")  # "before-" to keep a run of an older commit apart


def runbook_ids() -> set[str]:
    """The machine names of the shipped runbooks that a reader could take for words: those with a `_`."""
    plan, _ = check_plan(SHIPPED_PLAN)
    assert plan is not None
    names: set[str] = set()
    for rb in plan.runbooks.values():
        names |= {rb.id, *(s.name for s in rb.states), *(t.trigger for t in rb.transitions),
                  *(f.name for f in rb.fields), *(r.name for r in rb.roles), *rb.post_kinds(),
                  *(t.name for t in rb.timers), *(s.name for s in rb.severities)}
    return {n for n in names if "_" in n}


# the text of every visible text node that no code/kbd/script/style element holds, one string a node
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('code, kbd, script, style, noscript, template')) continue;
    // a text drawn on screen has boxes; an option shows when its list opens
    const range = document.createRange();
    range.selectNodeContents(node);
    const closed = parent.closest('details:not([open])');
    const folded = closed && !parent.closest('summary');  // the body of a closed toggle: not on screen
    const shown = parent.tagName === 'OPTION' ? parent.closest('select').checkVisibility()
                : !folded && parent.checkVisibility({visibilityProperty: true}) && range.getClientRects().length > 0;
    if (shown && node.textContent.trim()) out.push(node.textContent.trim());
  }
  for (const box of document.querySelectorAll('input[type=submit], input[type=button]')) out.push(box.value);
  return out;
}"""


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory, databases):
    """A server of this module's own: its open outage stays off the other browser tests' status page."""
    root = tmp_path_factory.mktemp("pages")
    env = server_env(root, databases)
    subprocess.run([*CLI, "user", "add", "admin", "--role", "admin", "--password", PASSWORD], env=env, check=True,
                   capture_output=True)
    with serving(root, env) as base:
        yield base


@pytest.fixture(scope="module")
def admin(browser, own_server):
    """An admin's browser page, and the console pages to visit (name, path) around one sev1 outage."""
    context = browser.new_context(base_url=own_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    pages = [("login", "/login")]
    page.goto("/login")
    page.fill("#name", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")
    page.goto("/console/declare")
    page.fill("#title", "Checkout fails for card payments")
    page.select_option("#runbook", "outage")
    page.select_option("#severity", "sev1")
    page.click("button:has-text('Declare')")
    page.wait_for_url(re.compile(r".*/console/incidents/\d+$"))
    incident = page.url.rsplit("/", 1)[1]
    post = page.locator("a[href*='/console/posts/']").first.get_attribute("href")
    template = page.goto("/console/plan") and page.locator("a[href*='/console/plan/templates/']").first.get_attribute(
        "href")
    pages += [("dashboard", "/console/"), ("declare", "/console/declare"), ("plan", "/console/plan"),
              ("template", template), ("incident", f"/console/incidents/{incident}"), ("post", post),
              ("timeline", f"/console/incidents/{incident}/timeline"),
              ("review", f"/console/incidents/{incident}/review"),
              ("drills", "/console/drills"), ("signals", "/console/signals"), ("inbox", "/console/inbox"),
              ("actions", "/console/actions"),
              ("metrics", "/console/metrics"), ("delivery", "/console/delivery"),
              ("subscribers", "/console/subscribers"), ("people", "/console/people"), ("audit", "/console/audit")]
    yield page, pages
    context.close()


def test_every_console_page_is_screenshot_at_two_widths(admin, browser, own_server) -> None:
    page, pages = admin
    ARTIFACTS.mkdir(exist_ok=True)
    stranger = browser.new_context(base_url=own_server).new_page()  # the login page as someone not logged in sees it
    for width in WIDTHS:
        for name, path in pages:
            viewer = stranger if name == "login" else page
            viewer.set_viewport_size({"width": width, "height": 800})
            response = viewer.goto(path)
            assert response is not None and response.status == 200, (name, path)
            viewer.screenshot(path=str(ARTIFACTS / f"{PREFIX}{name}-{width}.png"), full_page=True)
            assert (ARTIFACTS / f"{PREFIX}{name}-{width}.png").stat().st_size > 1000
    stranger.context.close()


def test_no_runbook_id_is_visible_outside_code(admin) -> None:
    page, pages = admin
    ids = runbook_ids()
    assert {"post_update", "identify_cause", "follow_up", "incident_commander"} <= ids  # the pattern has teeth
    pattern = re.compile(r"\b(" + "|".join(sorted(ids, key=len, reverse=True)) + r")\b")
    page.set_viewport_size({"width": 1280, "height": 800})
    found = {}
    for name, path in pages:
        page.goto(path)
        hits = sorted({m.group(0) + " in “" + text[:80] + "”" for text in page.evaluate(VISIBLE_TEXT)
                       for m in pattern.finditer(text)})
        if hits:
            found[name] = hits
    assert not found, "\n".join(f"{k}: {v}" for k, vs in found.items() for v in vs)


def test_the_id_check_sees_ids_outside_code_and_not_inside(admin) -> None:
    """The check itself: an id in a paragraph is seen, the same id in <code> or a closed <details> is not."""
    page, _ = admin
    page.goto("/console/")
    page.evaluate("""() => { const p = document.createElement('p'); p.id = 'probe';
      p.innerHTML = 'plain post_update <code>identify_cause</code><details><summary>more</summary>follow_up</details>';
      document.querySelector('main').append(p); }""")
    expect(page.locator("#probe")).to_be_visible()
    texts = page.evaluate(VISIBLE_TEXT)
    assert any("post_update" in t for t in texts)
    assert not any("identify_cause" in t or "follow_up" in t for t in texts)


def _severities(page) -> list[str]:
    return page.locator("#severity option").evaluate_all("options => options.map(o => o.value)")


def test_declare_follows_the_runbook_with_and_without_javascript(browser, own_server) -> None:
    """Declare on the plan's default runbook; pick another and only its severities show, by a second step
    without JavaScript and at once with it; the defaults declare. (Last in the module: its incidents stay off
    the screenshots.)"""
    for script in (False, True):
        context = browser.new_context(base_url=own_server, java_script_enabled=script)
        page = context.new_page()
        page.goto("/login")
        page.fill("#name", "admin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.goto("/console/declare")
        assert page.locator("#runbook").input_value() == "outage"  # the plan's default runbook
        assert _severities(page) == ["sev1", "sev2", "sev3"]
        page.select_option("#runbook", "complaints")
        if script:  # the list changes at once, the page stays
            expect(page.locator("#runbook-step")).to_be_hidden()
            expect(page.locator("#severity option")).to_have_count(2)
        else:  # the second step: the runbook's severities on a new page
            expect(page.locator("#runbook-step")).to_be_visible()
            page.click("#runbook-step")
            expect(page).to_have_url(re.compile(r"runbook=complaints"))
        assert _severities(page) == ["high", "normal"]
        expect(page.locator("#severity")).to_contain_text("acknowledge within 30 min, update every 2 h")
        page.fill("#title", f"Complaints pile up ({'with' if script else 'without'} JavaScript)")
        page.click("#declare-button")  # leaving the severity as it is: declared, never refused
        page.wait_for_url(re.compile(r".*/console/incidents/\d+$"))
        expect(page.locator("main")).to_contain_text("severity high")
        context.close()
