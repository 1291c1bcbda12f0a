"""Signals in by webhook: `POST /hooks/alertmanager` takes Prometheus Alertmanager's notifications.

Off (404) unless CRISISPLAN_ALERTMANAGER_TOKEN is set; Alertmanager then sends that token as
`Authorization: Bearer <token>` (`http_config.authorization.credentials` in its config).
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, abort, jsonify, request

from crisisplan.errors import InvalidInput
from crisisplan.web import services
from crisisplan.web.tokens import carries

bp = Blueprint("hooks", __name__, url_prefix="/hooks")


@bp.post("/alertmanager")
def alertmanager() -> tuple[Response, int]:
    expected = os.environ.get("CRISISPLAN_ALERTMANAGER_TOKEN", "")
    if not expected:
        abort(404)
    if not carries(expected):
        return jsonify({"error": "wrong or missing token: send Authorization: Bearer "
                                 "<the value of CRISISPLAN_ALERTMANAGER_TOKEN>"}), 401
    payload = request.get_json(silent=True)
    if payload is None:
        return jsonify({"error": "the body is not JSON; Alertmanager's webhook sends a JSON object"}), 400
    try:
        return jsonify(services().receive_alerts(payload)), 200
    except InvalidInput as error:
        return jsonify({"error": str(error), "field": error.field}), 400
