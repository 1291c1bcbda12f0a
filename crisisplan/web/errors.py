"""What the project's errors mean over HTTP: one table for both APIs, each showing a refusal in its own shape.

The REST API (`api.py`) answers `{"error": {"code", "message", "field"}}`, the Statuspage-compatible
API (`manageapi.py`) `{"error": "field: message"}`; the status and the code come from `TABLE`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crisisplan.comms.approval import ReviewError
from crisisplan.errors import Conflict, CrisisplanError, InvalidInput, NotFound, TriggerNotAllowed, Unavailable


class Unauthenticated(CrisisplanError):
    """No token, or one that nobody issued or that was revoked."""


class Forbidden(CrisisplanError):
    """A known token whose role may not do this."""


# error, HTTP status, code, the field it concerns when the error names none; the first row that matches wins
TABLE: tuple[tuple[type[CrisisplanError], int, str, str | None], ...] = (
    (Unauthenticated, 401, "unauthenticated", None),
    (Forbidden, 403, "forbidden", None),
    (NotFound, 404, "not_found", None),
    (Conflict, 409, "conflict", None),  # somebody changed it first; nothing was applied
    (Unavailable, 503, "unavailable", None),  # the database cannot write now; try again (Retry-After)
    (InvalidInput, 422, "invalid", None),
    (TriggerNotAllowed, 422, "trigger_not_allowed", "trigger"),
    (ReviewError, 422, "review", None),
    (CrisisplanError, 422, "refused", None),  # any other refusal by the plan
)


@dataclass(frozen=True)
class Refusal:
    """An error as an API answers it."""

    status: int
    code: str
    message: str
    field: str | None = None


def refusal(error: CrisisplanError) -> Refusal:
    """The status, code and field of an error, read from `TABLE`."""
    status, code, field = next((s, c, f) for kind, s, c, f in TABLE if isinstance(error, kind))
    named = getattr(error, "field", None)
    return Refusal(status, code, str(error), field if named is None else named)
