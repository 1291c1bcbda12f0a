"""Signing in through a real OpenID provider in Chromium: crisisplan's button, the provider's own sign-in
and consent pages (node-oidc-provider), back to the console with the role the person's group maps to.
This server has local passwords turned off."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from crisisplan import SHIPPED_PLAN
from tests.e2e.conftest import shot
from tests.oidc import free_port, provider


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory, databases):
    root = tmp_path_factory.mktemp("e2e-sso")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan = root / "plan"
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    shutil.copy(SHIPPED_PLAN / "plan.yaml", plan / "plan.yaml")
    with provider([f"{base}/login/sso/callback"], root / "provider.log") as idp:
        env = {**os.environ, **idp.env(), "CRISISPLAN_PLAN": str(plan), "CRISISPLAN_SECRET_KEY": "e2e-sso",
               "CRISISPLAN_DATABASE_URL": databases.fresh(root), "CRISISPLAN_LOCAL_PASSWORDS": "off"}
        log = open(root / "server.log", "w")  # noqa: SIM115 - closed at teardown
        process = subprocess.Popen([sys.executable, "-m", "crisisplan.cli", "serve", "--port", str(port)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("crisisplan serve did not start: " + (root / "server.log").read_text())
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()


def test_sign_in_through_the_providers_pages_lands_in_the_console_with_the_mapped_role(browser, sso_server):
    context = browser.new_context(base_url=sso_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login")
        assert page.locator("input[type=password]").count() == 0  # local passwords are off here
        page.click("#sso")  # "Sign in with Example ID"
        page.wait_for_selector("input[name=login]")  # the provider's own sign-in page
        assert page.url.startswith("http://127.0.0.1:") and "/interaction/" in page.url
        page.fill("input[name=login]", "carla")
        page.fill("input[name=password]", "whatever the provider asks")
        page.click("button[type=submit]")
        page.wait_for_selector("text=Continue")  # its consent page
        page.click("button[type=submit]")
        page.wait_for_url(f"{sso_server}/console/")
        assert "carla (communicator)" in page.inner_text("body")
        shot(page, "sso-signed-in")
        # a communicator's page opens; an admin's does not
        assert page.goto("/console/delivery").status == 200
        assert page.goto("/console/people").status == 403
    finally:
        context.close()
