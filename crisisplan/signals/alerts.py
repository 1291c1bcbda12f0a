"""Prometheus Alertmanager's webhook (payload version 4) read into alerts, and the plan's routes matched.

Pure: the use case (declare, attach, record) is `Services.receive_alerts`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crisisplan.errors import InvalidInput
from crisisplan.plan.schema import AlertRoute

ZERO_TIME = "0001-01-01T00:00:00Z"  # what Alertmanager sends for "no end yet"


@dataclass(frozen=True)
class Alert:
    status: str  # firing or resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    fingerprint: str
    generator_url: str

    @property
    def title(self) -> str:
        return (self.annotations.get("summary") or self.labels.get("alertname") or "Alert").strip()[:300]

    @property
    def source_id(self) -> str:
        """Alertmanager repeats a notification every repeat_interval: one alert's firing (or resolving) once."""
        return f"{self.fingerprint}/{self.starts_at.isoformat()}/{self.status}"


def _time(value: Any, field: str) -> datetime | None:
    if value in (None, "", ZERO_TIME):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be an RFC 3339 time", field=field)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} is not an RFC 3339 time: '{value[:40]}'", field=field) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone", field=field)
    return moment


def _strings(value: Any, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidInput(f"{field} must be an object of strings", field=field)
    return value


def parse(payload: Any) -> tuple[str, int, list[Alert]]:
    """(group key, alerts Alertmanager left out, the alerts); InvalidInput names the field that is wrong."""
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be Alertmanager's webhook JSON object", field="body")
    if str(payload.get("version", "")) != "4":
        raise InvalidInput(f"version '{payload.get('version')}' is not supported; Alertmanager sends version 4",
                           field="version")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise InvalidInput("alerts must be a list", field="alerts")
    truncated = payload.get("truncatedAlerts") or 0
    if not isinstance(truncated, int):
        raise InvalidInput("truncatedAlerts must be a number", field="truncatedAlerts")
    result = []
    for i, raw in enumerate(alerts):
        where = f"alerts[{i}]"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{where} must be an object", field=where)
        status = raw.get("status")
        if status not in ("firing", "resolved"):
            raise InvalidInput(f"{where}.status must be firing or resolved", field=f"{where}.status")
        labels = _strings(raw.get("labels"), f"{where}.labels")
        starts = _time(raw.get("startsAt"), f"{where}.startsAt")
        if starts is None:
            raise InvalidInput(f"{where}.startsAt is required", field=f"{where}.startsAt")
        fingerprint = raw.get("fingerprint") or hashlib.sha256(
            json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
        result.append(Alert(status, labels, _strings(raw.get("annotations"), f"{where}.annotations"), starts,
                            _time(raw.get("endsAt"), f"{where}.endsAt"), str(fingerprint)[:64],
                            str(raw.get("generatorURL") or "")))
    return str(payload.get("groupKey") or ""), truncated, result


def route_for(alert: Alert, routes: list[AlertRoute]) -> AlertRoute | None:
    return next((r for r in routes if all(alert.labels.get(k) == v for k, v in r.match.items())), None)
