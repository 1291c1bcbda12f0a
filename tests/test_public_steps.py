"""A step is the public act it claims only when a post takes it: validate says so, the engine enforces it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.errors import TriggerNotAllowed
from tests.walk import publish_reviewed

MINI = (Path(__file__).parent / "broken_runbooks" / "ahead_not_shorter.yaml").read_text().split("\n", 1)[1]


def test_validate_warns_about_a_step_that_claims_a_public_act_without_a_post(tmp_path: Path) -> None:
    shutil.copy(SHIPPED_PLAN / "plan.yaml", tmp_path / "plan.yaml")
    shutil.copytree(SHIPPED_PLAN / "templates", tmp_path / "templates")
    shutil.copytree(SHIPPED_PLAN / "runbooks", tmp_path / "runbooks")
    runbook = MINI.split("timers:")[0].replace(
        "  - trigger: resolve\n", "  - trigger: resolve\n    label: We announced the fix publicly\n")
    (tmp_path / "runbooks" / "mini.yaml").write_text(runbook)
    line = runbook.splitlines().index("  - trigger: resolve") + 1
    result = subprocess.run([sys.executable, "-m", "crisisplan.cli", "validate", "--plan", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # a warning, not an error
    warning = next(out for out in result.stdout.splitlines() if "claims a public act" in out)
    assert warning.startswith(f"runbooks/mini.yaml:{line}:") and ": warning: step 'resolve'" in warning


def test_the_acknowledgement_moves_the_incident_and_a_bare_trigger_cannot(services) -> None:
    view = services.declare("outage", "sev1", "Checkout down", "ana")
    with pytest.raises(TriggerNotAllowed, match="taken by publishing the 'acknowledge' post"):
        services.trigger(view.id, "acknowledge", "ana")
    [ack] = services.posts(view.id)
    publish_reviewed(services, ack.id, "ana")
    after = services.get(view.id)
    assert after.state == "acknowledged" and after.deadline("acknowledge_by") is None
    assert after.deadline("nobody_acted") is None  # nobody gets a false "nobody has taken it" escalation
    kinds = [e.kind for e in services.timeline(view.id)]
    assert kinds.index("post_published") < kinds.index("state_changed")  # one transaction, in that order


def test_an_update_cannot_go_out_before_the_acknowledgement(services) -> None:
    view = services.declare("outage", "sev2", "Slow search", "ana")
    update = services.draft_post(view.id, "update", "ana")
    services.submit_post(update.id, "ana")
    services.approve_post(update.id, "lena")
    with pytest.raises(TriggerNotAllowed, match="can go out from"):
        services.publish_post(update.id, "ana")
    assert services.get(view.id).state == "detected" and services.post(update.id).status == "approved"
