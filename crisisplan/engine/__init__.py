"""The runbook engine: pure state machine and timers; no database, network or wall clock."""

from crisisplan.engine.incident import Event, Incident, TimerState
from crisisplan.engine.machine import IncidentMachine, Outcome, TriggerOption

__all__ = ["Event", "Incident", "IncidentMachine", "Outcome", "TimerState", "TriggerOption"]
