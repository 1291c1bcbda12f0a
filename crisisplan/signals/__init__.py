"""Signals in: alerts, complaint triage and staffing — pure, no database."""
