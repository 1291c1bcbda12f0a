"""Statuspage-compatible manage API (v1), so existing scripts and clients drive crisisplan unchanged:

    GET/POST        /v1/pages/{page_id}/incidents
    GET             /v1/pages/{page_id}/incidents/unresolved
    GET/PATCH/PUT   /v1/pages/{page_id}/incidents/{id}
    GET             /v1/pages/{page_id}/components
    GET/PATCH       /v1/pages/{page_id}/components/{id}

Bodies are `{"incident": {...}}` / `{"component": {...}}`, auth is `Authorization: OAuth <token>` (a
crisisplan API token; `Bearer` works too), `.json` on a path is optional. An incident created here is
declared on a runbook like any other; a new `status` becomes the runbook's triggers that lead to a state
with that public status, and a `body` becomes the text of the post those triggers drafted (or of a new
update), published when the approval policy lets it go out at once and sent for review otherwise.
Extras crisisplan needs travel in `metadata.crisisplan`: runbook, severity, fields.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from crisisplan import textgate
from crisisplan.comms import statuspage
from crisisplan.errors import CrisisplanError, InvalidInput, NotFound
from crisisplan.services import IncidentView, StatuspageChange, StatuspageResult
from crisisplan.services.statuspage import STATUSES
from crisisplan.web import maintenance, services
from crisisplan.web.errors import refusal
from crisisplan.web.idempotency import idempotent
from crisisplan.web.statusapi import _id, _View
from crisisplan.web.tokens import authenticate

bp = Blueprint("manageapi", __name__, url_prefix="/v1/pages/<page_id>")


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@bp.errorhandler(Refused)
def _refused(error: Refused) -> tuple[Response, int]:
    return jsonify({"error": str(error)}), error.status


@bp.errorhandler(CrisisplanError)
def _plan_refused(error: CrisisplanError) -> tuple[Response, int]:
    answer = refusal(error)  # the status from the table both APIs share; the message in Statuspage's shape
    return jsonify({"error": f"{answer.field}: {answer.message}" if answer.field else answer.message}), answer.status


def route(path: str, methods: list[str], role: str):
    """The path with and without `.json`, behind the OAuth token check."""
    def wrap(view):  # noqa: ANN001, ANN202
        def guarded(page_id: str, **kwargs: Any) -> Any:
            authenticate(role, ("OAuth", "Bearer"))
            if page_id != _View().page_id:
                raise Refused(404, f"no page '{page_id}'; this crisisplan serves page {_View().page_id}")
            return view(**kwargs)

        guarded.__name__ = view.__name__
        guarded.required_role = role  # type: ignore[attr-defined]
        bp.add_url_rule(path, view.__name__, guarded, methods=methods)
        bp.add_url_rule(path + ".json", view.__name__ + "_json", guarded, methods=methods)
        return view

    return wrap


def _wrapped(key: str) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        raise Refused(400, f'the body must be JSON: {{"{key}": {{...}}}}')
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise Refused(400, f'the body must be an object with "{key}" holding an object')
    return data[key]


def _components_of(data: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Component names from `component_ids` and `components` ({id: status}), and the statuses by name."""
    by_id = {_id("component", c.name): c.name for c in services().plan.settings.components}
    by_id.update({c.name: c.name for c in services().plan.settings.components})
    wanted = data.get("component_ids") or []
    statuses = data.get("components") or {}
    if not isinstance(wanted, list) or not isinstance(statuses, dict) \
            or not all(isinstance(v, str) for v in [*wanted, *statuses.values()]):
        raise Refused(400, "component_ids must be a list of ids and components an object {id: status}")
    names = []
    for key in [*wanted, *statuses]:
        if key not in by_id:
            raise Refused(422, f"component_ids: no component '{key}' (GET .../components lists them)")
        names.append(by_id[key])
    bad = [v for v in statuses.values() if v not in statuspage.WORST_FIRST]
    if bad:
        raise Refused(422, f"components: '{bad[0]}' is not a status; one of {', '.join(statuspage.WORST_FIRST)}")
    return sorted(set(names)), {by_id[key]: str(status) for key, status in statuses.items()}


def _representation(view: IncidentView) -> dict[str, Any]:
    page = _View()
    windows = maintenance.windows() if runbook_of(view).maintenance is not None else []
    public = next((i for i in [*page.incidents, *windows] if i.id == view.id), None)
    runbook = services().plan.runbook(view.runbook_id)
    severity = runbook.severity(view.severity)
    if public is not None and public.scheduled_for is not None:  # a maintenance window, in Statuspage's shape
        result = next(m for m in maintenance.v2(page) if m["id"] == str(view.id))
    elif public is not None:
        result = page.incident(public)
    else:  # nothing published yet: what the team has, in the same shape
        at = page.time(view.declared_at)
        result = {"id": str(view.id), "name": view.title, "status": view.public_status or "investigating",
                  "impact": severity.impact, "created_at": at, "updated_at": at, "started_at": at,
                  "monitoring_at": None, "resolved_at": None, "shortlink": f"{page.base}/incidents/{view.id}",
                  "page_id": page.page_id, "incident_updates": [],
                  "components": [c for c in page.component_list() if not c["group"]
                                 and c["id"] in {_id("component", n) for n in view.components}]}
    result["status"] = view.public_status or result["status"]
    posts = services().posts(view.id)
    result["metadata"] = {"crisisplan": {
        "runbook": view.runbook_id, "severity": view.severity, "state": view.state,
        "console": f"{page.base}/console/incidents/{view.id}",
        "posts_waiting": [{"id": p.id, "kind": p.kind, "status": p.status} for p in posts
                          if p.status != "published"]}}
    return result


def runbook_of(view: IncidentView) -> Any:
    """The runbook an incident runs on."""
    return services().plan.runbook(view.runbook_id)


def _incident(incident_id: str) -> IncidentView:
    try:
        view = services().get(textgate.parse_int(incident_id, "id", 1))
    except (InvalidInput, NotFound):
        raise Refused(404, f"no incident '{incident_id}'") from None
    if view.is_drill:
        raise Refused(404, f"no incident '{incident_id}'")  # drills are not for outside tools
    return view


def _meta(data: dict[str, Any]) -> dict[str, Any]:
    """`metadata.crisisplan`, an object (empty when not sent)."""
    meta = data.get("metadata") or {}
    meta = meta.get("crisisplan") or {} if isinstance(meta, dict) else None
    if not isinstance(meta, dict):
        raise Refused(400, "metadata.crisisplan: must be an object")
    return meta


def _text(data: dict[str, Any], key: str, where: str = "") -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise Refused(400, f"{where or key}: must be a string")
    return value


def _change_of(data: dict[str, Any]) -> StatuspageChange:
    """The request as the use case takes it; its shape is checked here, its sense by the runbook."""
    meta = _meta(data)
    fields, body, status = meta.get("fields") or {}, _text(data, "body") or "", _text(data, "status")
    if not isinstance(fields, dict) or not all(isinstance(v, str | int | float) and not isinstance(v, bool)
                                               for v in fields.values()):
        raise Refused(400, "metadata.crisisplan.fields: must be an object of texts")
    if status is not None and status not in STATUSES:
        raise Refused(422, f"status must be one of {', '.join(STATUSES)}")
    _, statuses = _components_of(data)
    return StatuspageChange(status=status, body=textgate.clean(body, "body"),
                            fields=textgate.clean_map({str(k): str(v) for k, v in fields.items()},
                                                      "metadata.crisisplan.fields"),
                            component_statuses=statuses)


def _answer(result: StatuspageResult, created: bool = False) -> tuple[Response, int]:
    body = _representation(result.view)
    if result.waiting:  # said plainly: the status above is the one in force until approvers let the post out
        body["metadata"]["crisisplan"]["waiting_for_approval"] = result.waiting
    return jsonify(body), 201 if created else 200


@route("/incidents", ["GET"], "viewer")
def list_incidents() -> Any:
    views = [v for v in services().status(include_closed=True) if not v.is_drill]
    views.sort(key=lambda v: v.declared_at, reverse=True)
    limit = textgate.parse_int(request.args.get("limit") or 100, "limit", 1, 100)
    page = textgate.parse_int(request.args.get("page") or 1, "page", 1)
    return jsonify([_representation(v) for v in views[(page - 1) * limit:page * limit]])


@route("/incidents/unresolved", ["GET"], "viewer")
def unresolved_incidents() -> Any:
    views = [v for v in services().status() if not v.is_drill and v.public_status != "resolved"]
    return jsonify([_representation(v) for v in sorted(views, key=lambda v: v.declared_at, reverse=True)])


@route("/incidents", ["POST"], "communicator")
def create_incident() -> Any:
    return idempotent(_create_incident)


def _create_incident() -> Any:
    # the whole request is read and checked before anything is declared: a refusal leaves nothing behind
    data = _wrapped("incident")
    name = textgate.clean(_text(data, "name") or "", "name", textgate.TITLE_MAX, one_line=True)
    if not name.strip():
        raise Refused(422, "name: an incident needs a name")
    meta = _meta(data)
    plan = services().plan
    runbook_id = _text(meta, "runbook", "metadata.crisisplan.runbook") or (
        "outage" if "outage" in plan.runbooks else next(iter(plan.runbooks)))
    if runbook_id not in plan.runbooks:
        raise Refused(422, f"metadata.crisisplan.runbook: no runbook '{runbook_id[:64]}'; "
                           f"known: {', '.join(sorted(plan.runbooks))}")
    runbook = plan.runbook(runbook_id)
    components, statuses = _components_of(data)
    if data.get("scheduled_for") is not None or data.get("scheduled_until") is not None:  # a scheduled maintenance
        window = maintenance.schedule_from_statuspage(data, g.account.name, components)
        return jsonify(_representation(window)), 201
    worst = statuspage.worst(statuses.values()) if statuses else None
    impact = _text(data, "impact_override") or (
        statuspage.IMPACT_OF_STATUS[statuspage.ComponentStatus(worst)].value if worst else None)
    severity = _text(meta, "severity", "metadata.crisisplan.severity") or next(
        (s.name for s in runbook.severities if s.impact == impact), runbook.severities[-1].name)
    if severity not in {s.name for s in runbook.severities}:
        raise Refused(422, f"metadata.crisisplan.severity: no severity '{severity[:32]}' in runbook '{runbook_id}'")
    change = _change_of(data)
    result = services().statuspage_declare(runbook_id, severity, name.strip(), components, change,
                                           g.account.name, _token_name())
    return _answer(result, created=True)


@route("/incidents/<incident_id>", ["GET"], "viewer")
def get_incident(incident_id: str) -> Any:
    return jsonify(_representation(_incident(incident_id)))


@route("/incidents/<incident_id>", ["PATCH", "PUT"], "communicator")
def update_incident(incident_id: str) -> Any:
    view = _incident(incident_id)
    data = _wrapped("incident")
    if data.get("name") not in (None, view.title):
        raise Refused(422, "name: an incident keeps the name it was declared with (it is in its audit trail)")
    return _answer(services().statuspage_change(view.id, _change_of(data), g.account.name, _token_name()))


def _token_name() -> str:
    return g.account.name.removeprefix("token:") if g.account.via_token else ""


def _component(component_id: str) -> dict[str, Any]:
    found = next((c for c in _View().component_list() if c["id"] == component_id), None)
    if found is None:
        raise Refused(404, f"no component '{component_id}'")
    return found


@route("/components", ["GET"], "viewer")
def list_components() -> Any:
    return jsonify(_View().component_list())


@route("/components/<component_id>", ["GET"], "viewer")
def get_component(component_id: str) -> Any:
    return jsonify(_component(component_id))


@route("/components/<component_id>", ["PATCH", "PUT"], "communicator")
def update_component(component_id: str) -> Any:
    component = _component(component_id)
    data = _wrapped("component")
    if component["group"]:
        raise Refused(422, "a group's status is the worst of its components; change those")
    unknown = sorted(set(data) - {"status"})
    if unknown:
        raise Refused(422, f"{unknown[0]}: components are defined in plan.yaml; only their status changes here")
    name = next(c.name for c in services().plan.settings.components if _id("component", c.name) == component_id)
    if "status" in data:
        try:
            services().set_component_status(name, str(data["status"]), g.account.name)
        except InvalidInput as error:
            raise Refused(422, f"status: {error}") from None
    return jsonify(_component(component_id))
