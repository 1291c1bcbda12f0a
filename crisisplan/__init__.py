"""crisisplan: a crisis communication planner and runbook engine."""

from pathlib import Path

__version__ = "0.1.0"

# The plan that ships with the project (runbooks/ and templates/ beside the package).
SHIPPED_PLAN = Path(__file__).resolve().parent.parent
