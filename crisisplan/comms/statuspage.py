"""What a status page says about components and incidents, in Statuspage's vocabulary — pure.

One table of component statuses (worst first), the impact an incident's severity
gives its components, and the page-wide indicator. The public page, the v2 JSON,
the manage API and the services all read these; nothing else spells them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class ComponentStatus(StrEnum):
    """A component's status, worst first (the order is the ranking)."""

    MAJOR_OUTAGE = "major_outage"
    PARTIAL_OUTAGE = "partial_outage"
    DEGRADED_PERFORMANCE = "degraded_performance"
    UNDER_MAINTENANCE = "under_maintenance"
    OPERATIONAL = "operational"


class Impact(StrEnum):
    """An incident's impact (a runbook severity's `impact`), mildest first; also the page's indicator."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


WORST_FIRST: list[str] = [s.value for s in ComponentStatus]
IMPACTS: list[str] = [i.value for i in Impact]

# what an active incident of each impact does to its components
STATUS_OF_IMPACT = {Impact.CRITICAL: ComponentStatus.MAJOR_OUTAGE, Impact.MAJOR: ComponentStatus.PARTIAL_OUTAGE,
                    Impact.MINOR: ComponentStatus.DEGRADED_PERFORMANCE, Impact.NONE: ComponentStatus.OPERATIONAL}
# and back: the impact (and page indicator) a component status stands for
IMPACT_OF_STATUS = {ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL, ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
                    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
                    ComponentStatus.UNDER_MAINTENANCE: Impact.MINOR, ComponentStatus.OPERATIONAL: Impact.NONE}


def worst(statuses: Iterable[str]) -> str:
    """The worst of some component statuses; operational when there are none."""
    return min(statuses, key=WORST_FIRST.index, default=ComponentStatus.OPERATIONAL.value)


def incident_component_status(impact: str, public_status: str) -> str:
    """What an active incident shows on its components: its impact's status, degraded while monitored; a
    maintenance window shows them under maintenance while the work is done, and nothing before or after."""
    if public_status in ("in_progress", "verifying"):
        return ComponentStatus.UNDER_MAINTENANCE.value
    if public_status in ("scheduled", "completed"):
        return ComponentStatus.OPERATIONAL.value
    if public_status == "monitoring":
        return ComponentStatus.DEGRADED_PERFORMANCE.value
    return STATUS_OF_IMPACT[Impact(impact)].value


def indicator(statuses: Iterable[str]) -> str:
    """The page-wide indicator (none, minor, major, critical) for these component statuses."""
    return IMPACT_OF_STATUS[ComponentStatus(worst(statuses))].value
