"""A real AT Protocol network for the Bluesky tests: the reference PLC, PDS and AppView of @atproto/dev-env,
installed and started by scripts/atproto.sh, and accounts made on it the way people make them (XRPC calls)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Network:
    pds: str
    appview: str
    folder: str


@dataclass
class Account:
    handle: str
    did: str
    password: str
    client: Any  # an atproto Client logged in as the account


def start_network() -> tuple[Network | None, str]:
    """The network started (or None and why not); one already started by `eval "$(bash scripts/atproto.sh start)"`
    (CRISISPLAN_ATPROTO_PDS set) is used as it is, and left running."""
    if os.environ.get("CRISISPLAN_ATPROTO_PDS"):
        return Network(os.environ["CRISISPLAN_ATPROTO_PDS"], os.environ.get("CRISISPLAN_ATPROTO_APPVIEW", ""), ""), ""
    if not (shutil.which("node") and shutil.which("npm")):
        return None, "node and npm are missing (bash scripts/system-packages.sh --tests)"
    started = subprocess.run(["bash", str(ROOT / "scripts" / "atproto.sh"), "start"], capture_output=True,
                             text=True, timeout=1200, check=False)
    if started.returncode:
        return None, f"scripts/atproto.sh start failed: {started.stderr[-2000:]}"
    values = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
                  if line.startswith("export "))
    return Network(values["CRISISPLAN_ATPROTO_PDS"], values["CRISISPLAN_ATPROTO_APPVIEW"],
                   values["CRISISPLAN_ATPROTO_DIR"]), ""


def stop_network(network: Network) -> None:
    if not network.folder:
        return  # not ours to stop
    subprocess.run(["bash", str(ROOT / "scripts" / "atproto.sh"), "stop", network.folder], check=False, timeout=120)


def unavailable(why: str) -> None:
    """Under CI=true a missing piece fails the run; on a developer's machine the test is skipped, saying why."""
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


def create_account(network: Network, handle: str, password: str = "hunter2-but-longer") -> Account:
    """A new account on the PDS, logged in."""
    from atproto import Client

    client = Client(base_url=network.pds)
    client.com.atproto.server.create_account({"handle": handle, "email": f"{handle}@example.com",
                                              "password": password})
    client.login(handle, password, fetch_bsky_profile=False)
    client.me = wait_for(lambda: _profile(client, handle), why=f"the AppView knows {handle}")  # the SDK's helpers
    return Account(handle, client.me.did, password, client)


def _profile(client: Any, handle: str) -> Any:
    from atproto_client.exceptions import BadRequestError

    try:
        return client.app.bsky.actor.get_profile({"actor": handle})
    except BadRequestError:
        return None


def app_password(account: Account, name: str = "crisisplan") -> str:
    """An app password for the account, as its owner makes one in the settings."""
    return account.client.com.atproto.server.create_app_password({"name": name}).password


def mention_post(author: Account, mentioned: Account, words: str) -> tuple[str, str]:
    """`author` posts "@<mentioned handle> words" with a mention facet, as the Bluesky app does; (uri, cid)."""
    from atproto import client_utils

    text = client_utils.TextBuilder().mention(f"@{mentioned.handle}", mentioned.did).text(f" {words}")
    made = author.client.send_post(text)
    return made.uri, made.cid


def wait_for(what: Callable[[], Any], seconds: float = 30, why: str = "", interval: float = 0.2) -> Any:
    """What `what` returns once it is truthy (polling: the AppView indexes in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {why}")
        time.sleep(interval)


def own_posts(account: Account) -> list[Any]:
    """The post records in the account's repository on the PDS (the record itself, not an index of it)."""
    answer = account.client.com.atproto.repo.list_records({"repo": account.did, "collection": "app.bsky.feed.post",
                                                            "limit": 100})
    return answer.records
