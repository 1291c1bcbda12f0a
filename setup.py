"""The one build step pyproject.toml cannot say: the example plan goes into the wheel.

The example plan (plan.yaml, runbooks/ with runbooks/drills/, templates/) lives at the repository root,
where the comms team edits it and the tests read it, and `crisisplan init` copies it. A wheel has no
repository root, so the build copies those files into the wheel as package data,
`crisisplan/example_plan/`, which `crisisplan.shipped_plan()` reads with importlib.resources. Git holds
one copy; an editable install or a checkout reads the root directly. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
EXAMPLE_PLAN = ("plan.yaml", "runbooks", "templates")  # at the root here and in the sdist (MANIFEST.in)
UNWANTED = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".*")


class BuildWithExamplePlan(build_py):
    """build_py, then the root's plan files into <build>/crisisplan/example_plan/ (replacing any older copy)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the plan at the root
        target = Path(self.build_lib) / "crisisplan" / "example_plan"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in EXAMPLE_PLAN:
            source = ROOT / name
            if not source.exists():
                raise FileNotFoundError(f"{source}: the example plan is missing; build from a checkout or an sdist")
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=UNWANTED)
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithExamplePlan})
