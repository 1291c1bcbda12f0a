"""How many responders an hour needs: the Erlang C model, the contact-centre standard.

Contacts arrive at random (Poisson) at `per_hour`, each takes `handle_minutes`;
with `agents` people the chance a contact waits at all is Erlang C, and the share
answered within `target_minutes` follows from it. The staffing for an hour is the
fewest agents that reach the wanted service level (and keep occupancy below one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact has to wait (Erlang B by its stable recursion, then C)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(agents: int, traffic: float, handle_minutes: float, target_minutes: float) -> float:
    """Share of contacts answered within `target_minutes`."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1 - erlang_c(agents, traffic) * math.exp(-(agents - traffic) * target_minutes / handle_minutes)


@dataclass(frozen=True)
class Hour:
    hour: int
    contacts: float
    traffic: float  # Erlangs: the work that arrives, in people busy full time
    agents: int
    service_level: float
    waiting: float  # chance a contact waits at all
    mean_wait_minutes: float
    occupancy: float


def staff_hour(hour: int, per_hour: float, handle_minutes: float, target_minutes: float, wanted: float) -> Hour:
    traffic = per_hour * handle_minutes / 60
    agents = max(1, math.floor(traffic) + 1) if traffic > 0 else 0
    while agents and service_level(agents, traffic, handle_minutes, target_minutes) < wanted:
        agents += 1
    if not agents:
        return Hour(hour, per_hour, 0.0, 0, 1.0, 0.0, 0.0, 0.0)
    waiting = erlang_c(agents, traffic)
    return Hour(hour, per_hour, traffic, agents, service_level(agents, traffic, handle_minutes, target_minutes),
                waiting, waiting * handle_minutes / (agents - traffic), traffic / agents)


def plan_day(per_day: float, handle_minutes: float, target_minutes: float, wanted: float, hours: range,
             profile: dict[int, float] | None = None) -> list[Hour]:
    """Spread the day's contacts over the open hours (evenly, or by `profile` weights) and staff each hour."""
    weights = {h: (profile or {}).get(h, 0.0 if profile else 1.0) for h in hours}
    total = sum(weights.values()) or 1.0
    return [staff_hour(h, per_day * weights[h] / total, handle_minutes, target_minutes, wanted) for h in hours]
