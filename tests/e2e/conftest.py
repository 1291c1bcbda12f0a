"""A real server (`crisisplan serve`) and Debian's Chromium driven by Playwright; no browser download."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crisisplan import SHIPPED_PLAN

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct horse battery"
PEOPLE = {"admin": "admin", "rudi": "responder", "carmen": "communicator", "lena": "approver"}
# As root in a closed network: no sandbox, and no background calls home that the network refuses.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, databases):
    root = tmp_path_factory.mktemp("e2e")
    url = databases.fresh(root)
    plan = root / "plan"
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", plan / "plan.yaml")
    env = {**os.environ, "CRISISPLAN_PLAN": str(plan), "CRISISPLAN_DATABASE_URL": url,
           "CRISISPLAN_SECRET_KEY": "e2e"}
    cli = [sys.executable, "-m", "crisisplan.cli"]
    for name, role in PEOPLE.items():
        subprocess.run([*cli, "user", "add", name, "--role", role, "--password", PASSWORD], env=env, check=True,
                       capture_output=True)
    port = _free_port()
    log = open(root / "server.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # a busy CI machine: the workers import for a few seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("crisisplan serve did not start: " + (root / "server.log").read_text())
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing; scripts/setup.sh --tests installs Debian's chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def person(browser, server):
    """A logged-in browser context per person: person("carmen") -> page."""
    contexts = []

    def open_as(name: str | None):
        context = browser.new_context(base_url=server)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if name:
            page.goto("/login")
            page.fill("#name", name)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/console/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
