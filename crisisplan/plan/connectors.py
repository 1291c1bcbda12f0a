"""plan.yaml `connectors:`: the outside networks crisisplan listens to and speaks on (secrets stay in the
environment: the file names the variable, never the password)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BlueskyConnector(_Strict):
    """The organisation's Bluesky (AT Protocol) account: mentions and replies in, status posts and brief public
    replies out. `service` is the account's server (https://bsky.social for most accounts)."""

    service: str = Field(pattern=r"^https?://[^\s/]+(:\d+)?/?$")
    handle: str = Field(pattern=r"^@?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]"
                                r"([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
    # the environment variable holding an app password (Settings > Privacy and security > App passwords)
    password_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    channel: str = Field("social", pattern=r"^[a-z][a-z0-9_]*$")  # the `support:` channel mentions arrive on
    # notifications: the AppView's list (what bsky.social offers); firehose: the PDS's own event stream, for a
    # self-hosted server without an AppView
    source: Literal["notifications", "firehose"] = "notifications"
    # where a person reads a post: {handle} and {rkey} are filled in
    post_link: str = "https://bsky.app/profile/{handle}/post/{rkey}"


class Connectors(_Strict):
    """One entry a network; a network left out is not connected."""

    bluesky: BlueskyConnector | None = None


def connector_problems(settings: Any, src: Any) -> list[Any]:
    """A connector's mentions arrive on a `support:` channel the plan has (its first-answer time is the promise)."""
    from crisisplan.errors import did_you_mean

    bluesky = settings.connectors.bluesky
    channels = [c.name for c in settings.support]
    if bluesky is None or not channels or bluesky.channel in channels:
        return []
    return [src.problem(("connectors", "bluesky", "channel") if "channel" in src.data["connectors"]["bluesky"]
                        else ("connectors", "bluesky"),
                        f"connectors.bluesky.channel: no support channel '{bluesky.channel}' (support: lists "
                        f"{', '.join(channels)})", did_you_mean(bluesky.channel, channels))]
