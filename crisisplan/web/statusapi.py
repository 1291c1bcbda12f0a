"""The status page as JSON in the shape of the Statuspage public API v2, so existing widgets, monitors and
aggregators read crisisplan unchanged: /api/v2/summary.json, status.json, components.json, incidents.json,
incidents/unresolved.json, scheduled-maintenances.json. Public, cached like the page; drills never appear."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response

from crisisplan.comms import statuspage
from crisisplan.comms.catalogue import catalogue_of
from crisisplan.services import PublicIncident
from crisisplan.web import maintenance, services
from crisisplan.web.public import cache, component_statuses, public_base, send

bp = Blueprint("statusapi", __name__, url_prefix="/api/v2")


def _id(*parts: object) -> str:
    """A stable id in Statuspage's style: 12 lowercase letters and digits."""
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()[:12]


class _View:
    """Everything one response needs, computed once per change."""

    def __init__(self) -> None:
        settings = services().plan.settings
        self.org = settings.organisation
        self.tz = ZoneInfo(self.org.time_zone)
        self.page_id = _id("page", self.org.name)
        self.incidents = services().public_recent(50)  # every open one and the 50 newest: Statuspage's limit
        self.statuses = component_statuses(self.incidents)
        self.components = settings.components
        self.base = public_base()
        self.epoch = services().plan.root.joinpath("plan.yaml").stat().st_mtime
        moments = [u.at for i in self.incidents for u in i.updates]
        self.updated = max(moments, default=datetime.fromtimestamp(self.epoch, UTC))

    def time(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.tz).isoformat(timespec="milliseconds") if moment else None

    def page(self) -> dict[str, Any]:
        return {"id": self.page_id, "name": self.org.name, "url": self.base, "time_zone": self.org.time_zone,
                "updated_at": self.time(self.updated)}

    def status(self) -> dict[str, str]:
        indicator = statuspage.indicator(self.statuses.values())
        # in the plan's default language, from its catalogue (`api:`): widgets show it as it is
        words = catalogue_of(services().plan).words(services().plan.settings.default_locale, "api")
        return {"indicator": indicator, "description": words[indicator]}

    def component_list(self) -> list[dict[str, Any]]:
        created = self.time(datetime.fromtimestamp(self.epoch, UTC))
        groups: dict[str, list[str]] = {}
        for component in self.components:
            if component.group:
                groups.setdefault(component.group, []).append(_id("component", component.name))
        result = []
        for position, component in enumerate(self.components, start=1):
            touched = [u.at for i in self.incidents if component.name in i.components for u in i.updates]
            result.append({
                "id": _id("component", component.name), "name": component.label,
                "status": self.statuses.get(component.name, "operational"), "position": position,
                "description": component.description or None,
                "group_id": _id("group", component.group) if component.group else None,
                "created_at": created, "updated_at": self.time(max(touched)) if touched else created,
                "page_id": self.page_id, "only_show_if_degraded": False, "showcase": True, "group": False,
                "start_date": None})
        for position, (name, members) in enumerate(groups.items(), start=len(result) + 1):
            worst = statuspage.worst(self.statuses.get(c.name, "operational") for c in self.components
                                     if c.group == name)
            result.append({"id": _id("group", name), "name": name, "status": worst, "position": position,
                           "description": None, "group_id": None, "created_at": created, "updated_at": created,
                           "page_id": self.page_id, "only_show_if_degraded": False, "showcase": False,
                           "group": True, "start_date": None, "components": members})
        return result

    def incident(self, incident: PublicIncident) -> dict[str, Any]:
        labels = {c.name: c.label for c in self.components}
        locale = services().plan.settings.default_locale
        components = [c for c in self.component_list() if not c["group"]
                      and any(_id("component", n) == c["id"] for n in incident.components)]
        monitoring = [u.at for u in incident.updates if u.status == "monitoring"]
        affected = [{"code": _id("component", n), "name": labels.get(n, n), "old_status": "operational",
                     "new_status": statuspage.incident_component_status(incident.impact, incident.status)
                     if incident.active else "operational"}
                    for n in incident.components]
        return {
            "id": str(incident.id), "name": incident.title, "status": incident.status, "impact": incident.impact,
            "created_at": self.time(incident.declared_at), "updated_at": self.time(incident.updated_at),
            "started_at": self.time(incident.declared_at), "monitoring_at": self.time(min(monitoring, default=None)),
            "resolved_at": self.time(incident.resolved_at), "shortlink": f"{self.base}/incidents/{incident.id}",
            "page_id": self.page_id, "components": components,
            "incident_updates": [{
                "id": _id("update", u.id), "incident_id": str(incident.id), "status": u.status,
                "body": u.bodies.get(locale) or next(iter(u.bodies.values()), ""),
                "created_at": self.time(u.at), "updated_at": self.time(u.at), "display_at": self.time(u.at),
                "affected_components": affected or None} for u in incident.updates],
        }

    def incident_list(self, unresolved: bool = False) -> list[dict[str, Any]]:
        chosen = [i for i in self.incidents if i.active] if unresolved else self.incidents[:50]
        return [self.incident(i) for i in chosen]


DOCUMENTS = {
    "summary": lambda v: {"page": v.page(), "components": v.component_list(),
                          "incidents": v.incident_list(unresolved=True),
                          "scheduled_maintenances": maintenance.v2(v, "active") + maintenance.v2(v, "upcoming"),
                          "status": v.status()},
    "status": lambda v: {"page": v.page(), "status": v.status()},
    "components": lambda v: {"page": v.page(), "components": v.component_list()},
    "incidents": lambda v: {"page": v.page(), "incidents": v.incident_list()},
    "incidents/unresolved": lambda v: {"page": v.page(), "incidents": v.incident_list(unresolved=True)},
    "scheduled-maintenances": lambda v: {"page": v.page(), "scheduled_maintenances": maintenance.v2(v)},
    "scheduled-maintenances/upcoming": lambda v: {"page": v.page(),
                                                  "scheduled_maintenances": maintenance.v2(v, "upcoming")},
    "scheduled-maintenances/active": lambda v: {"page": v.page(),
                                                "scheduled_maintenances": maintenance.v2(v, "active")},
}


def _serve(name: str) -> Response:
    page = cache().page(("v2", name, public_base()),
                        lambda: json.dumps(DOCUMENTS[name](_View()), ensure_ascii=False))
    assert page is not None  # noqa: S101 - the documents always render
    response = send(page, False, "application/json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"  # widgets on other sites read it
    return response


for _name in DOCUMENTS:
    bp.add_url_rule(f"/{_name}.json", f"v2_{_name.replace('/', '_').replace('-', '_')}",
                    lambda name=_name: _serve(name))
