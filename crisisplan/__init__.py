"""crisisplan: a crisis communication planner and runbook engine."""

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

__version__ = "0.1.0"

_CHECKOUT = Path(__file__).resolve().parent.parent


def shipped_plan() -> Traversable:
    """The example plan `crisisplan init` copies (plan.yaml, runbooks/ with drills/, templates/).

    In an installed wheel it is package data, `crisisplan/example_plan/`, which the build copies there from the
    repository root (setup.py); in a checkout (an editable install, or the sources on the path) it is the
    repository root itself, where the comms team edits it.
    """
    packaged = resources.files(__name__).joinpath("example_plan")
    return packaged if packaged.joinpath("plan.yaml").is_file() else _CHECKOUT


# The same as a directory, for the tests and benchmarks that read it in place.
SHIPPED_PLAN = Path(str(shipped_plan()))
