"""`Idempotency-Key` on the declare and publish APIs: a client that retries (a timeout, a dropped connection)
gets the first answer again, and nothing happens twice. The same key with another request is refused (422,
field `Idempotency-Key`); while the first request with a key is still running, a copy gets 409 — until its lease
runs out (a crashed process), when a retry takes the key over."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, g, make_response, request

from crisisplan.services.idempotency import Replay
from crisisplan.web import services

HEADER = "Idempotency-Key"


def _fingerprint() -> str:
    """The body, with JSON read and written again in one order: the same request sent twice hashes alike."""
    raw = request.get_data(cache=True)
    with contextlib.suppress(ValueError, RecursionError):
        raw = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()


class _Refused(Exception):
    """A view answered without success: what it did is undone, and its answer goes out as it is."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def idempotent(run: Callable[[], Any]) -> Any:
    """Run the view once per key of the calling account; a retry with the key replays the first answer. The
    view and its kept answer are one transaction (services/idempotency.py): a crash keeps neither."""
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    scope, route = g.account.name, f"{request.method} {request.path}"
    held = services().idempotency_begin(scope, key.strip(), route, _fingerprint())
    if isinstance(held, Replay):
        answer = Response(held.body, held.status, content_type="application/json")
        answer.headers["Idempotent-Replayed"] = "true"
        return answer
    try:
        with services().idempotency_applying(held) as keep:
            response: Response = make_response(run())
            if not 200 <= response.status_code < 300:
                raise _Refused(response)
            keep(response.status_code, response.get_data(as_text=True))
    except _Refused as refused:
        services().idempotency_release(held)
        return refused.response
    except BaseException:
        services().idempotency_release(held)  # refused or failed: nothing applied, the key is free again
        raise
    return response
