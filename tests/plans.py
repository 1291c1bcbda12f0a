"""A copy of the shipped plan for one test, with some of plan.yaml's settings changed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from crisisplan import SHIPPED_PLAN


def plan_copy(folder: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """runbooks/, templates/ and plan.yaml copied into `folder`, plan.yaml's settings passed through `change`."""
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, folder / name)
    settings = yaml.safe_load((SHIPPED_PLAN / "plan.yaml").read_text(encoding="utf-8"))
    change(settings)
    (folder / "plan.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder
