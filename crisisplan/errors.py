"""The project's own exceptions: each one is a message a user can act on.

The CLI and the web layer show `str(error)` and never a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class CrisisplanError(Exception):
    """Base of every error a user can cause."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem found in a plan file, located to the character."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class PlanError(CrisisplanError):
    """The plan (runbooks, templates, plan.yaml) has problems; all of them are listed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class NotFound(CrisisplanError):
    pass


class InvalidInput(CrisisplanError):
    """A field of a command is wrong; `field` names it."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(message)


class TriggerNotAllowed(CrisisplanError):
    """The trigger does not exist in the runbook or cannot fire in the current state."""

    def __init__(self, message: str, allowed: list[str], blocked: dict[str, list[str]]):
        self.allowed = allowed
        self.blocked = blocked
        super().__init__(message)


class Conflict(CrisisplanError):
    """Somebody else changed the incident first; nothing of this change was applied."""

    exit_code = 3


class Unavailable(CrisisplanError):
    """The database cannot take the change now (disk full, read-only, unreachable): nothing was applied, and the
    same request may succeed later (HTTP 503 with Retry-After), unlike a refusal."""

    exit_code = 4


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """The closest known name to a mistyped one, and the names there are, for an error message."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    listed = ", ".join(choices) if len(choices) <= 12 else ", ".join(choices[:12]) + ", …"
    if close:
        return f"did you mean '{close[0]}'? known: {listed}"
    return f"known: {listed}" if choices else "none are defined"
