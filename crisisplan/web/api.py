"""REST API under /api/v1: JSON in and out, bearer-token auth, OpenAPI 3 at /api/v1/openapi.json.

Errors are always `{"error": {"code", "message", "field"}}`: 400 malformed
request, 401 no or bad token, 403 wrong role, 404 unknown, 409 somebody changed
it first, 422 refused by the plan (a blocked trigger, a failed review rule). The project's errors
get their status and code from the table in `crisisplan.web.errors`; tokens are checked by `crisisplan.web.tokens`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from crisisplan import textgate
from crisisplan.errors import CrisisplanError
from crisisplan.services.accounts import ROLES
from crisisplan.web import services
from crisisplan.web.errors import refusal
from crisisplan.web.idempotency import idempotent
from crisisplan.web.tokens import authenticate

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPERATIONS: dict[str, dict[str, Any]] = {}  # OpenAPI paths, filled by @endpoint


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.field = status, code, field


def _error(status: int, code: str, message: str, field: str | None = None) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, "field": field}}), status


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> tuple[Response, int]:
    return _error(error.status, error.code, str(error), error.field)


@bp.errorhandler(CrisisplanError)
def _refused(error: CrisisplanError) -> tuple[Response, int]:
    answer = refusal(error)
    return _error(answer.status, answer.code, answer.message, answer.field)


@bp.errorhandler(404)
def _not_found(_error: Any) -> tuple[Response, int]:
    return _error(404, "not_found", "no such API route; see /api/v1/openapi.json")


@bp.errorhandler(405)
def _method(_error: Any) -> tuple[Response, int]:
    return _error(405, "method_not_allowed", f"{request.method} is not allowed here; see /api/v1/openapi.json")


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if request.data and data is None:
        raise ApiError(400, "malformed", "the request body is not valid JSON")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, "malformed", "the request body must be a JSON object")
    return data


def _field(data: dict[str, Any], name: str, kind: type, required: bool = False, default: Any = None) -> Any:
    if name not in data or data[name] is None:
        if required:
            raise ApiError(400, "missing", f"'{name}' is required", name)
        return default
    value = data[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ApiError(400, "wrong_type", f"'{name}' must be {kind.__name__}", name)
    return value


def _time(data: dict[str, Any], name: str) -> datetime | None:
    raw = _field(data, name, str)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "wrong_type", f"'{name}' must be an ISO 8601 time", name) from None
    if moment.tzinfo is None:
        raise ApiError(400, "wrong_type", f"'{name}' needs a UTC offset, e.g. 2026-05-01T10:00:00+00:00", name)
    return textgate.check_moment(moment, name)


def endpoint(path: str, method: str, role: str | None, summary: str, request_body: dict[str, Any] | None = None,
             status: int = 200, keyed: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route and its OpenAPI operation together, so the document cannot drift from the routes.
    `keyed`: the route takes an `Idempotency-Key` header (a retry replays the first answer)."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            if role is not None:
                authenticate(role)

            def answer() -> Any:
                result = view(*args, **kwargs)
                return (jsonify(result), status) if not isinstance(result, Response) else result

            return idempotent(answer) if keyed else answer()

        bp.add_url_rule(path, f"{view.__name__}", run, methods=[method.upper()])
        openapi_path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        operation: dict[str, Any] = {
            "summary": summary, "operationId": view.__name__,
            "responses": {str(status): {"description": "OK", "content": {"application/json": {}}},
                          **{str(code): {"$ref": f"#/components/responses/{name}"}
                             for code, name in ((400, "Malformed"), (401, "Unauthenticated"), (403, "Forbidden"),
                                                (404, "NotFound"), (409, "Conflict"), (422, "Refused"))}},
        }
        if role is not None:
            operation["security"] = [{"bearer": []}]
            operation["description"] = f"Needs a token with the {role} role or a higher one ({', '.join(ROLES)})."
        params = re.findall(r"<(?:\w+:)?(\w+)>", path)
        if params:
            operation["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}}
                                       for p in params]
        if keyed:
            operation.setdefault("parameters", []).append({
                "name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
                "description": "Send the same key when retrying: the first answer comes back and nothing is done "
                               "twice; the same key with another request is refused (422)."})
        if request_body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": request_body}}}
        OPERATIONS.setdefault(openapi_path, {})[method.lower()] = operation
        return run

    return wrap


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
MAP = {"type": "object", "additionalProperties": {"type": "string"}}


def _post(row: Any) -> dict[str, Any]:
    iso = lambda v: v.isoformat() if v else None  # noqa: E731
    return {"id": row.id, "incident": row.incident_id, "kind": row.kind, "status": row.status, "author": row.author,
            "approvals": row.approvals, "bodies": row.bodies, "short_bodies": row.short_bodies or {},
            "next_update_at": iso(row.next_update_at), "publish_at": iso(row.publish_at),
            "published_at": iso(row.published_at), "channels": row.channels or {}, "version": row.version,
            "review_comment": row.review_comment, "stale_locales": list(row.stale_locales or [])}


# incidents -------------------------------------------------------------------
@endpoint("/incidents", "get", "viewer", "Active incidents (all with ?all=1)")
def list_incidents() -> Any:
    return [v.as_dict() for v in services().status(include_closed=request.args.get("all") == "1")]


@endpoint("/incidents", "post", "responder", "Declare an incident", _object(
    ["runbook", "severity", "title"], runbook=STR, severity=STR, title=STR,
    components={"type": "array", "items": STR}, fields=MAP, drill=BOOL,
    # the public words in the plan's other languages: {"es": "..."}, {"es": {"impact": "..."}}
    titles=MAP, translations={"type": "object", "additionalProperties": MAP}), status=201, keyed=True)
def declare() -> Any:
    data = body()
    components = _field(data, "components", list, default=[])
    if not all(isinstance(c, str) for c in components):
        raise ApiError(400, "wrong_type", "'components' must be a list of names", "components")
    return services().declare(_field(data, "runbook", str, True), _field(data, "severity", str, True),
                              _field(data, "title", str, True), g.account.name, components,
                              _field(data, "fields", dict, default={}),
                              is_drill=bool(_field(data, "drill", bool, default=False)),
                              translations=_translations(data)).as_dict()


def _translations(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """`titles` ({"es": "..."}) and `translations` ({"es": {"impact": "..."}}) as one map locale -> words."""
    result: dict[str, dict[str, str]] = {}
    for locale, words in _field(data, "translations", dict, default={}).items():
        if not isinstance(words, dict) or not all(isinstance(v, str) for v in words.values()):
            raise ApiError(400, "wrong_type", "'translations' maps a locale to {field: text}", "translations")
        result[locale] = dict(words)
    for locale, title in _field(data, "titles", dict, default={}).items():
        if not isinstance(title, str):
            raise ApiError(400, "wrong_type", "'titles' maps a locale to a title", "titles")
        result.setdefault(locale, {})["title"] = title
    return result


@endpoint("/incidents/<int:incident_id>", "get", "viewer", "One incident")
def get_incident(incident_id: int) -> Any:
    return {**services().get(incident_id).as_dict(), "promises": services().promises(incident_id)}


@endpoint("/incidents/<int:incident_id>/trigger", "post", "responder", "Fire a trigger of the runbook", _object(
    ["trigger"], trigger=STR, fields=MAP, expected_version=INT))
def trigger(incident_id: int) -> Any:
    data = body()
    return services().trigger(incident_id, _field(data, "trigger", str, True), g.account.name,
                              _field(data, "fields", dict, default={}),
                              _field(data, "expected_version", int)).as_dict()


@endpoint("/incidents/<int:incident_id>/fields", "post", "responder", "Set fields", _object(
    ["fields"], fields=MAP, expected_version=INT))
def set_fields(incident_id: int) -> Any:
    data = body()
    return services().set_fields(incident_id, _field(data, "fields", dict, True), g.account.name,
                                 _field(data, "expected_version", int)).as_dict()


@endpoint("/incidents/<int:incident_id>/timeline", "get", "viewer", "Every audit event of an incident")
def timeline(incident_id: int) -> Any:
    import json

    return [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "kind": e.kind,
             "payload": json.loads(e.payload), "hash": e.hash} for e in services().timeline(incident_id)]


# signals in --------------------------------------------------------------------
def _signal(row: Any) -> dict[str, Any]:
    return {"id": row.id, "source": row.source, "source_id": row.source_id, "at": row.at.isoformat(),
            "received_at": row.received_at.isoformat(), "status": row.status, "title": row.title,
            "action": row.action, "incident": row.incident_id, **row.data}


@endpoint("/signals", "get", "viewer", "Signals received: alerts and complaints, newest first")
def list_signals() -> Any:
    return [_signal(s) for s in services().signals()]


@endpoint("/signals", "post", "responder", "Record a complaint or mention (triaged; a repeat id is kept once)",
          _object(["channel", "text"], channel=STR, author=STR, reach=INT, text=STR, link=STR, at=TIME, id=STR,
                  locale=STR), status=201)
def receive_signal() -> Any:
    data = body()
    row, new = services().receive_complaint(
        _field(data, "channel", str, True), _field(data, "author", str, default=""),
        _field(data, "reach", int, default=0), _field(data, "text", str, True), _field(data, "link", str, default=""),
        _time(data, "at"), _field(data, "id", str, default=""), _field(data, "locale", str), g.account.name)
    answer = jsonify(_signal(row))
    answer.status_code = 201 if new else 200  # a repeat of a known id: recorded already
    return answer


# posts -----------------------------------------------------------------------
@endpoint("/incidents/<int:incident_id>/posts", "get", "viewer", "Posts of an incident")
def list_posts(incident_id: int) -> Any:
    return [_post(p) for p in services().posts(incident_id)]


@endpoint("/incidents/<int:incident_id>/posts", "post", "communicator", "Draft a post", _object(
    ["kind"], kind=STR, text=STR, locale=STR, next_update_at=TIME), status=201)
def draft_post(incident_id: int) -> Any:
    data = body()
    return _post(services().draft_post(incident_id, _field(data, "kind", str, True), g.account.name,
                                       _field(data, "text", str), _field(data, "locale", str),
                                       _time(data, "next_update_at")))


@endpoint("/posts/<int:post_id>", "get", "viewer", "One post")
def get_post(post_id: int) -> Any:
    return _post(services().post(post_id))


@endpoint("/posts/<int:post_id>/edit", "post", "communicator", "Replace a post's text or promise", _object(
    [], text=STR, locale=STR, short=BOOL, next_update_at=TIME, expected_version=INT))
def edit_post(post_id: int) -> Any:
    data = body()
    return _post(services().edit_post(post_id, _field(data, "text", str), g.account.name, _field(data, "locale", str),
                                      bool(_field(data, "short", bool, default=False)), _time(data, "next_update_at"),
                                      _field(data, "expected_version", int)))


@endpoint("/posts/<int:post_id>/confirm-locale", "post", "communicator",
          "Confirm that a language left stale by an edit of another still says the same", _object(
              ["locale"], locale=STR, expected_version=INT))
def confirm_locale(post_id: int) -> Any:
    data = body()
    return _post(services().confirm_locale(post_id, _field(data, "locale", str, True), g.account.name,
                                           _field(data, "expected_version", int)))


@endpoint("/posts/<int:post_id>/submit", "post", "communicator", "Submit a draft for review")
def submit_post(post_id: int) -> Any:
    return _post(services().submit_post(post_id, g.account.name))


@endpoint("/posts/<int:post_id>/approve", "post", "approver", "Approve a post in review")
def approve_post(post_id: int) -> Any:
    return _post(services().approve_post(post_id, g.account.name))


@endpoint("/posts/<int:post_id>/reject", "post", "approver", "Send a post back with a comment",
          _object(["comment"], comment=STR))
def reject_post(post_id: int) -> Any:
    return _post(services().reject_post(post_id, g.account.name, _field(body(), "comment", str, True)))


@endpoint("/posts/<int:post_id>/publish", "post", "communicator", "Publish now, or at a time",
          _object([], at=TIME), keyed=True)
def publish_post(post_id: int) -> Any:
    return _post(services().publish_post(post_id, g.account.name, _time(body(), "at")))


# components ------------------------------------------------------------------
@endpoint("/components", "get", "viewer", "Components and their status now")
def components() -> Any:
    from crisisplan.web.public import component_statuses

    statuses = component_statuses(services().public_incidents(which="open"))
    return [{"name": c.name, "label": c.label, "group": c.group, "status": statuses.get(c.name, "operational")}
            for c in services().plan.settings.components]


@endpoint("/openapi.json", "get", None, "This document")
def openapi() -> Any:
    return {
        "openapi": "3.0.3",
        "info": {"title": "crisisplan API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": OPERATIONS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _object(["error"], error=_object(["code", "message"], code=STR, message=STR,
                                                                   field={"type": "string", "nullable": True}))},
            "responses": {name: {"description": text, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}
                for name, text in (("Malformed", "Malformed request"), ("Unauthenticated", "No or bad token"),
                                   ("Forbidden", "The token's role may not do this"), ("NotFound", "Unknown"),
                                   ("Conflict", "Somebody changed it first; nothing applied"),
                                   ("Refused", "Refused by the plan or the review rules"))},
        },
    }
