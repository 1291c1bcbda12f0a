"""Signing in through a real OpenID provider in Chromium: crisisplan's button, the provider's own sign-in
and consent pages (node-oidc-provider), back to the console with the role the person's group maps to.
This server has local passwords turned off."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import server_env, serving, shot
from tests.oidc import free_port, provider


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory: pytest.TempPathFactory, databases):
    root = tmp_path_factory.mktemp("e2e-sso")
    port = free_port()
    with provider([f"http://127.0.0.1:{port}/login/sso/callback"], root / "provider.log") as idp:
        env = server_env(root, databases, **idp.env(), CRISISPLAN_LOCAL_PASSWORDS="off")
        with serving(root, env, port) as base:
            yield base


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
