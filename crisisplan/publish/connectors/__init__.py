"""Connectors to outside networks: mentions in (`crisisplan inbox pull`), posts and replies out (the outbox).

Each connector is built from plan.yaml `connectors:` by its module's `build(settings)`, named in BUILDERS,
imported only when the plan configures it (its SDK stays unloaded otherwise). Outbox channels are
`<connector>:post` (a public status message: payload `{"text", "link"}`) and `<connector>:reply` (an answer in
a mention's thread: payload `{"text", "thread"}`); the row's idempotency key is handed to the connector.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from crisisplan.plan.schema import PlanSettings
from crisisplan.publish.connectors.base import Connector, ConnectorError, Mention, PermanentConnectorError

__all__ = ["BUILDERS", "Connector", "ConnectorError", "Mention", "PermanentConnectorError", "configured",
           "deliver", "is_connector_channel"]

# connector name (a key of plan.yaml `connectors:`) -> "module:function" building it from the plan's settings
BUILDERS: dict[str, str] = {
    "bluesky": "crisisplan.publish.connectors.bluesky:build",
}
BUILDERS["imap"] = "crisisplan.publish.connectors.imap:build"
# configured like SMTP, from the environment, not in plan.yaml: always asked, the builder says None when unset
FROM_ENVIRONMENT = {"imap"}


def configured(settings: PlanSettings, only: str | None = None) -> dict[str, Connector]:
    """The connectors plan.yaml sets up (or just `only`), by name; none when it sets up none."""
    section = getattr(settings, "connectors", None)
    result: dict[str, Connector] = {}
    for name, target in BUILDERS.items():
        if (only and name != only) or (name not in FROM_ENVIRONMENT and getattr(section, name, None) is None):
            continue
        module, function = target.split(":")
        connector = getattr(importlib.import_module(module), function)(settings)
        if connector is not None:
            result[name] = connector
    return result


def is_connector_channel(channel: str) -> bool:
    """Whether an outbox channel is delivered by a connector (`bluesky:post`, `bluesky:reply`…)."""
    name, _, verb = channel.partition(":")
    return name in BUILDERS and verb in ("post", "reply")


def deliver(channel: str, payload: str, key: str, connectors: dict[str, Connector]) -> tuple[bool, str, bool]:
    """Send one outbox message by its connector: (delivered, what happened, permanent)."""
    name, _, verb = channel.partition(":")
    connector = connectors.get(name)
    if connector is None:
        return False, f"the {name} connector is not configured in plan.yaml (connectors: {name})", False
    message: dict[str, Any] = json.loads(payload)
    try:
        if verb == "post":
            ref = connector.post(str(message.get("text", "")), str(message.get("link", "")), key=key)
        else:
            ref = connector.reply(dict(message.get("thread") or {}), str(message.get("text", "")), key=key)
    except PermanentConnectorError as error:
        return False, f"{name} refused it: {error}", True
    except ConnectorError as error:
        return False, f"{name} did not take it: {error}", False
    return True, f"posted as {ref}", False
