"""A real OpenID provider for the SSO tests: node-oidc-provider (scripts/oidc), installed by the project's
script and started on a free port. Under CI=true a provider that cannot be installed or started fails
the run; elsewhere the test is skipped with the reason."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts" / "oidc"
CLIENT_ID, CLIENT_SECRET = "crisisplan", "a client secret for the tests only"
# login name at the provider -> groups; the tests map "crisis-comms" and "crisis-admins" to roles
GROUPS = {"carla": ["staff", "crisis-comms"], "adam": ["crisis-admins"], "olga": ["staff"]}
ROLES = "crisis-comms=communicator,crisis-admins=admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _give_up(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass(frozen=True)
class Provider:
    issuer: str

    def settings(self) -> dict[str, str]:
        """crisisplan's settings for this provider (the environment variables, without CRISISPLAN_)."""
        return {"OIDC_ISSUER": self.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_ROLES": ROLES, "OIDC_SCOPE": "openid profile email groups", "OIDC_LABEL": "Example ID"}

    def env(self) -> dict[str, str]:
        return {f"CRISISPLAN_{key}": value for key, value in self.settings().items()}


@contextmanager
def provider(redirect_uris: list[str], log: Path) -> Iterator[Provider]:
    """Install (once) and start the provider; stop it afterwards."""
    installed = subprocess.run(["bash", str(SCRIPTS / "install.sh")], capture_output=True, text=True)
    if installed.returncode != 0:
        _give_up("the test OpenID provider could not be installed: " + installed.stderr[-2000:])
    port = free_port()
    env = {**os.environ, "PORT": str(port), "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET,
           "REDIRECT_URIS": ",".join(redirect_uris), "GROUPS": json.dumps(GROUPS)}
    with open(log, "w") as out:
        process = subprocess.Popen(["node", str(SCRIPTS / "provider.mjs")], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=SCRIPTS)
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=1) as answer:
                    if json.load(answer)["issuer"] == issuer:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            _give_up("the test OpenID provider did not answer: " + log.read_text()[-2000:])
        if process.poll() is not None:
            _give_up("the test OpenID provider stopped: " + log.read_text()[-2000:])
        yield Provider(issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in_at_provider(authorize_url: str, login: str, back_to: str) -> str:
    """What a browser does at the provider: its sign-in page, then its consent page.

    Follows the provider's redirects until one leads back to `back_to` (crisisplan), and returns that
    URL (the callback with the code and state), without opening it.
    """
    import re

    import requests

    browser = requests.Session()
    url, answer = authorize_url, None
    for _ in range(20):
        answer = browser.get(url, allow_redirects=False, timeout=10)
        while answer.is_redirect:
            url = requests.compat.urljoin(url, answer.headers["Location"])
            if url.startswith(back_to):
                return url
            answer = browser.get(url, allow_redirects=False, timeout=10)
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>.*?name="prompt" value="(\w+)"', answer.text, re.S)
        assert form, f"no sign-in or consent form at {url}: {answer.status_code} {answer.text[:500]}"
        action, prompt = requests.compat.urljoin(url, form.group(1)), form.group(2)
        data = {"prompt": prompt, "login": login, "password": "any password"} if prompt == "login" else {
            "prompt": prompt}
        answer = browser.post(action, data=data, allow_redirects=False, timeout=10)
        assert answer.is_redirect, f"the provider refused the {prompt} form: {answer.text[:500]}"
        url = requests.compat.urljoin(action, answer.headers["Location"])
        if url.startswith(back_to):
            return url
    raise AssertionError(f"the provider never sent the browser back to {back_to}")
