"""The click budget, measured in a real browser: from the dashboard to a published sev1 acknowledgement with two
people. The author (carmen) declares with a title, opens the drafted acknowledgement and submits it: at most 4
actions. The approver (lena) is told: the dashboard lists what waits for her and an e-mail (through the outbox, a
real SMTP server) links straight to the post; opening it and approving-and-publishing: at most 3 actions.

Every click, fill, choice and key press goes through `Counted`, so the counts are what a person does; following
the e-mail's link counts as one action. The counts are printed (`pytest -s`) for the note."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from playwright.sync_api import expect

from tests.e2e.conftest import CLI, PASSWORD, _free_port, server_env, serving, shot
from tests.mailbox import SmtpServer

AUTHOR_BUDGET, APPROVER_BUDGET = 4, 3


class Counted:
    """A page whose every action a person takes is counted (navigation by the test itself is not)."""

    def __init__(self, page) -> None:
        self.page = page
        self.actions: list[str] = []

    def click(self, selector: str) -> None:
        self.actions.append(f"click {selector}")
        self.page.click(selector)

    def fill(self, selector: str, text: str) -> None:
        self.actions.append(f"fill {selector}")
        self.page.fill(selector, text)

    def choose(self, selector: str, value: str) -> None:
        self.actions.append(f"choose {value}")
        self.page.select_option(selector, value)

    def press(self, key: str) -> None:
        self.actions.append(f"press {key}")
        self.page.keyboard.press(key)

    def follow(self, url: str) -> None:
        """A link in an e-mail, clicked."""
        self.actions.append(f"follow {url}")
        self.page.goto(url)


@pytest.fixture(scope="module")
def budget_server(tmp_path_factory, databases):
    """A server of its own whose plan's address is the server's, and whose e-mail goes to a real SMTP server:
    the link in the approvers' e-mail opens the post here."""
    root = tmp_path_factory.mktemp("budget")
    mail = SmtpServer()
    port = _free_port()
    env = server_env(root, databases, **mail.env())
    plan_file = root / "plan" / "plan.yaml"
    plan = yaml.safe_load(plan_file.read_text())
    plan["organisation"]["status_url"] = f"http://127.0.0.1:{port}"
    plan_file.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False))
    for name, role in {"carmen": "communicator", "lena": "approver"}.items():
        subprocess.run([*CLI, "user", "add", name, "--role", role, "--password", PASSWORD], env=env, check=True,
                       capture_output=True)
    with serving(root, env, port) as base:
        yield base, env, mail
    mail.stop()


def _login(browser, base: str, name: str):
    page = browser.new_context(base_url=base).new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")
    return page


def _author_declares_and_submits(carmen: Counted, title: str) -> int:
    """From the dashboard: declare a sev1 outage with a title, land on (or open) the acknowledgement, submit."""
    carmen.page.goto("/console/")
    carmen.fill("#quick-title", title)
    carmen.choose("#quick-severity", "outage/sev1")
    carmen.click("#quick-declare button[type=submit]")
    expect(carmen.page.locator("h1")).to_contain_text("acknowledge")
    carmen.click("button:has-text('Submit for review')")
    expect(carmen.page.locator("#post-status")).to_have_text("in review")
    return int(re.search(r"/posts/(\d+)", carmen.page.url).group(1))


def _approves_and_publishes(lena: Counted) -> None:
    lena.click("button:has-text('Approve and publish')")
    expect(lena.page.locator(".flash")).to_contain_text("Approved and published.")
    expect(lena.page.locator("#post-status")).to_have_text("published")


def test_a_sev1_acknowledgement_goes_out_within_the_click_budget(browser, budget_server) -> None:
    base, env, mail = budget_server
    counts: dict[str, int] = {}

    # 1. the approver finds it on her dashboard, at the top
    carmen, lena = Counted(_login(browser, base, "carmen")), Counted(_login(browser, base, "lena"))
    post_id = _author_declares_and_submits(carmen, "Card payments fail")
    counts["author"] = len(carmen.actions)
    lena.page.goto("/console/")
    waiting = lena.page.locator("#waiting-for-you")
    expect(waiting).to_contain_text("Card payments fail")
    # at the top: before anything else the dashboard shows
    assert lena.page.locator("#waiting-for-you ~ h1").count() == 1
    shot(lena.page, "click-budget-approver-dashboard")
    lena.click(f"#waiting-for-you a[href$='/console/posts/{post_id}']")
    _approves_and_publishes(lena)
    counts["approver (dashboard)"] = len(lena.actions)
    # the author does not see her own post as waiting for her
    carmen.page.goto("/console/")
    expect(carmen.page.locator("#waiting-for-you")).to_have_count(0)

    # 2. the approver follows the link in the e-mail the outbox sent her
    carmen.actions.clear()
    second = _author_declares_and_submits(carmen, "Logins fail")
    subprocess.run([*CLI, "worker", "--once"], env=env, check=True, capture_output=True)
    letters = [m for m in mail.mailbox.to("lena@example.com") if "Logins fail" in m["Subject"]]
    assert len(letters) == 1, [m["Subject"] for m in mail.mailbox.messages]
    link = re.search(r"https?://\S+", letters[0].get_body(("plain",)).get_content()).group(0)
    assert link == f"{base}/console/posts/{second}"
    lena.actions.clear()
    lena.follow(link)
    _approves_and_publishes(lena)
    counts["approver (e-mail)"] = len(lena.actions)

    print("\nclick budget (actions: clicks, fills, choices, key presses):",
          ", ".join(f"{who} {n}" for who, n in counts.items()), "| author", carmen.actions, "| approver", lena.actions)
    assert counts["author"] <= AUTHOR_BUDGET, carmen.actions
    assert counts["approver (dashboard)"] <= APPROVER_BUDGET
    assert counts["approver (e-mail)"] <= APPROVER_BUDGET, lena.actions
