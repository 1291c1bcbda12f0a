"""Drills as plain data: scenario files, the record of a drill, its scoring and report (no database here).

Playing a scenario with the scripted responder drives the Services facade: see services/drill_runs.py.
"""
