"""`Idempotency-Key` on the declare and publish APIs: a client that retries (a timeout, a dropped connection)
gets the first answer again, and nothing happens twice. The same key with another request is refused (422,
field `Idempotency-Key`); while the first request with a key is still running, a copy gets 409."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, make_response, request

from crisisplan.web import services

HEADER = "Idempotency-Key"


def _fingerprint() -> str:
    """The body, with JSON read and written again in one order: the same request sent twice hashes alike."""
    raw = request.get_data(cache=True)
    with contextlib.suppress(ValueError, RecursionError):
        raw = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()


def idempotent(run: Callable[[], Any]) -> Any:
    """Run the view once per key of the calling account; a retry with the key replays the first answer."""
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    scope, route = g.account.name, f"{request.method} {request.path}"
    replay = services().idempotency_begin(scope, key.strip(), route, _fingerprint())
    if replay is not None:
        answer = Response(replay.body, replay.status, content_type="application/json")
        answer.headers["Idempotent-Replayed"] = "true"
        return answer
    try:
        response: Response = make_response(run())
    except BaseException:
        services().idempotency_finish(scope, key.strip(), 0, "")  # refused or failed: nothing applied, key free
        raise
    services().idempotency_finish(scope, key.strip(), response.status_code, response.get_data(as_text=True))
    return response
