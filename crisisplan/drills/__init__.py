"""Drills: a runbook rehearsed on a simulated clock from a scenario file, scored, reported."""
