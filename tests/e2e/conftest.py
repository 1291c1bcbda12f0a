"""A real server (`crisisplan serve`) and Debian's Chromium driven by Playwright; no browser download."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


CLI = [sys.executable, "-m", "crisisplan.cli"]


def shipped_plan_in(root: Path) -> Path:
    """A copy of the shipped plan in root/plan, for one server of the browser tests."""
    plan = root / "plan"
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", plan / "plan.yaml")
    return plan


def server_env(root: Path, databases, **extra: str) -> dict[str, str]:
    """The environment of a server of its own: the shipped plan copied, a fresh database, a secret key."""
    return {**os.environ, "CRISISPLAN_PLAN": str(shipped_plan_in(root)),
            "CRISISPLAN_DATABASE_URL": databases.fresh(root), "CRISISPLAN_SECRET_KEY": "e2e", **extra}


@contextmanager
def serving(root: Path, env: dict[str, str], port: int | None = None, args: tuple[str, ...] = ()) -> Iterator[str]:
    """`crisisplan serve` with `env` on `port` (a free one if None), its log in root/server.log: the base URL
    while it runs; stopped on leaving. `args`: more options of `serve` (e.g. `--workers 2`)."""
    port = port or _free_port()
    with open(root / "server.log", "w") as log:
        process = subprocess.Popen([*CLI, "serve", "--port", str(port), *args], env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60  # a busy CI machine: the workers import for a few seconds
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        pytest.fail("crisisplan serve did not start: " + (root / "server.log").read_text())
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, databases):
    root = tmp_path_factory.mktemp("e2e")
    env = server_env(root, databases)
    for name, role in PEOPLE.items():
        subprocess.run([*CLI, "user", "add", name, "--role", role, "--password", PASSWORD], env=env, check=True,
                       capture_output=True)
    with serving(root, env) as base:
        yield base


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
