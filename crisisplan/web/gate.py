"""The web side of the input gate: what every request is checked for before any view runs.

- Ids in paths: `<int:...>` only matches 1 to 2^31 - 1, so an id no database can hold is a plain 404.
- NUL bytes and lone surrogates in a query, a form or a JSON body are refused (400, naming the field):
  PostgreSQL cannot store a NUL and no encoder can write a lone surrogate.
- JSON nested deeper than any API documents is refused before it is parsed.
- The APIs (`/api/`, `/v1/`, `/hooks/`) answer their own JSON errors for unknown routes, wrong methods,
  bodies over the limit (413) and refusals here; the console and the public pages keep their HTML.
- The database being unable to write (disk full, read-only, gone) is a 503 with `Retry-After`: it is
  worth trying again, unlike a refusal.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from crisisplan.errors import Unavailable
from crisisplan.textgate import ID_MAX, JSON_DEPTH_MAX, json_depth

RETRY_AFTER_S = 30
API_PREFIXES = ("/api/", "/v1/", "/hooks/")
CODES = {400: "malformed", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 503: "unavailable"}


class IdConverter(IntegerConverter):
    """`<int:...>` for ids: ASCII digits from 1 to 2^31 - 1 (the PostgreSQL INTEGER), else the route does not match."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int = 1, max: int = ID_MAX,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BadInput(HTTPException):
    code = 400

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field


def _is_api() -> bool:
    return request.path.startswith(API_PREFIXES)


def _json_error(status: int, code: str, message: str, field: str | None = None) -> tuple[Response, int]:
    if request.path.startswith("/v1/"):  # the Statuspage-compatible API's own shape
        return jsonify({"error": f"{field}: {message}" if field else message}), status
    return jsonify({"error": {"code": code, "message": message, "field": field}}), status


def _bad_text(value: str) -> str:
    if "\x00" in value:
        return "holds a NUL character"
    if any("\ud800" <= c <= "\udfff" for c in value):
        return "holds a lone surrogate (not a character)"
    return ""


def _walk(value: Any, path: str) -> tuple[str, str] | None:
    """The first text in a JSON document (keys included) that cannot be stored, with where it is."""
    if isinstance(value, str):
        why = _bad_text(value)
        return (path or "body", why) if why else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _bad_text(key):
            return where, _bad_text(key)
        found = _walk(item, where)
        if found:
            return found
    return None


def _check_request() -> None:
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            why = _bad_text(name) or _bad_text(value)
            if why:
                raise BadInput(f"'{name[:40]}' {why}", name[:40])
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _bad_text(value):
            raise BadInput(f"'{name}' {_bad_text(value)}", name)
    if request.is_json and request.content_length:
        raw = request.get_data(cache=True)
        if json_depth(raw) > JSON_DEPTH_MAX:
            raise BadInput(f"the JSON body nests deeper than {JSON_DEPTH_MAX} levels", "body")
        data = request.get_json(silent=True)
        found = _walk(data, "") if data is not None else None
        if found:
            raise BadInput(f"'{found[0]}' {found[1]}", found[0])


def init_app(app: Flask) -> None:
    """Install the gate: before the blueprints, so their `<int:...>` routes get the bounded converter."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(_check_request)

    @app.after_request
    def _retry_after(response: Response) -> Response:
        # whichever handler answered the database's failure (an API's own, the console's), say when to retry
        if response.status_code == 503:
            response.headers.setdefault("Retry-After", str(RETRY_AFTER_S))
        return response

    @app.errorhandler(BadInput)
    def _bad_input(error: BadInput) -> Any:
        if _is_api():
            return _json_error(400, "malformed", str(error.description), error.field)
        return Response(f"Refused: {error.description}\n", 400, content_type="text/plain; charset=utf-8")

    @app.errorhandler(Unavailable)
    def _unavailable(error: Unavailable) -> Any:
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if _is_api():
            answer, status = _json_error(503, "unavailable", str(error))
            answer.headers.update(headers)
            return answer, status
        return Response(f"{error}\n", 503, headers=headers, content_type="text/plain; charset=utf-8")

    for status in (404, 405, 413):
        @app.errorhandler(status)
        def _api_http(error: HTTPException) -> Any:
            if not _is_api():
                return error
            message = {404: "no such API route or object; see /api/v1/openapi.json",
                       405: f"{request.method} is not allowed here; see /api/v1/openapi.json",
                       413: f"the request body is over the limit of {app.config['MAX_CONTENT_LENGTH']:,} bytes"}
            return _json_error(error.code or 400, CODES[error.code or 400], message[error.code or 400])
