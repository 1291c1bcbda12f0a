"""Signals in: alerts, complaint triage and staffing — pure, no database."""

from enum import StrEnum


class SignalAction(StrEnum):
    """What became of a signal: only recorded, attached to an open incident, or the start of one."""

    RECEIVED = "received"  # claimed by the request handling it, not yet acted on
    RECORDED = "recorded"
    ATTACHED = "attached"
    DECLARED = "declared"
