"""Signals in by webhook: `POST /hooks/alertmanager` takes Prometheus Alertmanager's notifications.

Off (404) unless CRISISPLAN_ALERTMANAGER_TOKEN is set; Alertmanager then sends that token as
`Authorization: Bearer <token>` (`http_config.authorization.credentials` in its config).
"""

from __future__ import annotations

import os
import time

from flask import Blueprint, Response, abort, jsonify, request

from crisisplan.errors import Conflict, CrisisplanError, InvalidInput, Unavailable
from crisisplan.web import services
from crisisplan.web.tokens import carries

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
ATTEMPTS = 3  # a POST that lost a race to another (a lock, a unique key, a serialisation failure) runs again
RETRY_AFTER_S = 5


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
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return jsonify(services().receive_alerts(payload)), 200
        except InvalidInput as error:
            return jsonify({"error": str(error), "field": error.field}), 400
        except Conflict as error:
            # one POST is one transaction: the lost race left nothing, so running it again is safe
            if attempt < ATTEMPTS:
                time.sleep(0.05 * attempt)
                continue
            # Alertmanager sends again only after a 5xx (a 4xx is final to it): 503, never a 500 nor a 409
            answer = jsonify({"error": f"{error}; Alertmanager will send it again"})
            answer.headers["Retry-After"] = str(RETRY_AFTER_S)
            return answer, 503
        except Unavailable:
            raise  # the database cannot take changes now: 503 with Retry-After (web/gate.py)
        except CrisisplanError as error:  # anything else this request caused is said, never a 500
            return jsonify({"error": str(error)}), 422
    raise AssertionError("unreachable")
