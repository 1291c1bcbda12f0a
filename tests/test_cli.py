"""The CLI as a user runs it: the issue's flow, --json, --help everywhere, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main


def run(runner, *args: str, code: int = 0):
    result = runner.invoke(main, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def publish(runner, post_id: int, author: str, approver: str, code: int = 0):
    """Through the review (sev1: one approval by somebody else), then publish."""
    run(runner, "post", "submit", str(post_id), "--as", author)
    run(runner, "post", "approve", str(post_id), "--as", approver)
    return run(runner, "post", "publish", str(post_id), "--as", author, code=code)


def test_the_flow_of_a_sev1_outage(runner) -> None:
    run(runner, "validate")
    assert "outage" in run(runner, "runbooks").output
    declared = json.loads(run(runner, "declare", "outage", "--severity", "sev1", "--title",
                              "Checkout fails for EU customers", "--component", "checkout",
                              "--as", "ana", "--json").output)
    assert declared["state"] == "detected" and declared["roles"] == {"incident_commander": "ana"}
    assert declared["acknowledge_by"] is not None
    status = run(runner, "status").output
    assert "Checkout fails for EU customers" in status and "ACK BY" in status
    # a public step is not fired by hand: it is taken by publishing its post, reviewed by a second person
    refused = run(runner, "trigger", "1", "acknowledge", "--as", "bob", code=1).output
    assert "'acknowledge' is taken by publishing the 'acknowledge' post, not by hand" in refused
    publish(runner, 1, "ana", "bob")  # the acknowledgement drafted when ana declared it
    assert json.loads(run(runner, "show", "1", "--json").output)["state"] == "acknowledged"
    run(runner, "set", "1", "cause=Expired TLS certificate on the payment gateway", "--as", "bob")
    cause = json.loads(run(runner, "post", "draft", "1", "cause", "--as", "bob", "--json").output)
    publish(runner, cause["id"], "bob", "ana")
    out = json.loads(run(runner, "show", "1", "--json").output)
    assert out["state"] == "cause_identified" and out["next_update_due"] is not None
    timeline = json.loads(run(runner, "timeline", "1", "--json").output)
    assert [e["kind"] for e in timeline if e["kind"] == "state_changed"] == ["state_changed"] * 2
    assert {e["actor"] for e in timeline} == {"ana", "bob"}
    assert "nothing due" in run(runner, "tick").output
    assert "chain intact" in run(runner, "audit", "verify").output
    posts = json.loads(run(runner, "posts", "1", "--json").output)
    assert [p["kind"] for p in posts] == ["acknowledge", "cause"]
    assert "Expired TLS certificate" in posts[1]["bodies"]["en"]
    assert "Expired TLS certificate" in posts[1]["bodies"]["es"]


def test_fields_roles_checklist_and_severity(runner) -> None:
    run(runner, "declare", "outage", "--severity", "sev2", "--title", "Slow search")
    assert "impact: Searches take 20 s" in run(runner, "set", "1", "impact=Searches take 20 s").output
    assert "communications_lead=Carmen" in run(runner, "assign", "1", "communications_lead", "Carmen").output
    assert "[x] Confirm the impact" in run(runner, "check", "1", "1").output
    assert "[ ] Confirm the impact" in run(runner, "check", "1", "1", "--undo").output
    assert "severity sev1" in run(runner, "severity", "1", "sev1").output
    assert "incident_commander" in run(runner, "show", "1").output
    assert "update promises: 0 kept, 0 broken (-)" in run(runner, "show", "1").output
    assert json.loads(run(runner, "show", "1", "--json").output)["promises"] == {"kept": 0, "broken": 0, "rate": None}


def test_a_wrong_trigger_lists_what_is_allowed_and_what_blocks(runner) -> None:
    run(runner, "declare", "outage", "--severity", "sev1", "--title", "Down")
    result = run(runner, "trigger", "1", "resolve", code=1)
    assert "cannot fire from state 'detected'" in result.output
    assert "allowed now: acknowledge, dismiss" in result.output
    assert "identify_cause (field 'cause' must be set)" in result.output
    result = run(runner, "trigger", "1", "identify_cause", code=1)
    assert "'identify_cause' is taken by publishing the 'cause' post, not by hand" in result.output
    # publishing the cause post takes the step, so its guards are what refuse it
    cause = json.loads(run(runner, "post", "draft", "1", "cause", "--as", "bob", "--json").output)
    result = publish(runner, cause["id"], "bob", "ana", code=1)
    assert "'identify_cause' is blocked: field 'cause' must be set" in result.output
    assert json.loads(run(runner, "post", "show", str(cause["id"]), "--json").output)["status"] == "approved"
    assert "not a trigger" in run(runner, "trigger", "1", "explode", code=1).output


@pytest.mark.parametrize(("args", "message"), [
    (["declare", "outage", "--severity", "sev9", "--title", "x"], "unknown severity 'sev9'"),
    (["declare", "nope", "--severity", "sev1", "--title", "x"], "no runbook 'nope'"),
    (["declare", "outage", "--severity", "sev1", "--title", "  "], "needs a title"),
    (["declare", "outage", "--severity", "sev1", "--title", "x", "--component", "chekout"],
     "did you mean 'checkout'"),
    (["show", "99"], "no incident 99"),
    (["set", "1", "caus=x"], "did you mean 'cause'"),
    (["set", "1", "cause"], "takes FIELD=VALUE"),
    (["assign", "1", "boss", "Ana"], "unknown role 'boss'"),
    (["check", "1", "9"], "9 is not one of them"),
    (["tick", "--at", "yesterday"], "not an ISO time"),
    (["trigger", "1", "acknowledge", "--expect-version", "1"], "changed since you loaded it"),
])
def test_user_mistakes_get_one_clear_line(runner, args: list[str], message: str) -> None:
    run(runner, "declare", "outage", "--severity", "sev1", "--title", "Down")
    result = runner.invoke(main, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append(prefix + (name,))
        if isinstance(command, click.Group):
            found += all_commands(command, prefix + (name,))
    return found


@pytest.mark.parametrize("command", all_commands(main), ids=" ".join)
def test_every_command_has_help(runner, command: tuple[str, ...]) -> None:
    result = run(runner, *command, "--help")
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_json_is_offered_by_every_command_that_prints_data() -> None:
    for path in all_commands(main):
        command = main
        for name in path:
            command = command.commands[name]
        if isinstance(command, click.Group) or path in (("init",), ("serve",)):  # they print no data
            continue
        assert any(p.name == "as_json" for p in command.params), path


def test_init_writes_a_plan_that_validates(tmp_path: Path, runner) -> None:
    target = tmp_path / "ourplan"
    run(runner, "init", str(target))
    assert (target / "runbooks" / "outage.yaml").is_file() and (target / "templates" / "es").is_dir()
    assert "ok" in run(runner, "validate", "--plan", str(target)).output
    assert "already holds a plan" in run(runner, "init", str(target), code=1).output


def test_default_database_is_sqlite_in_the_plan_instance_folder(tmp_path: Path) -> None:
    """As a new user runs it: a real process, the plan from the current directory, no env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISPLAN_")}
    cli = [sys.executable, "-m", "crisisplan.cli"]
    subprocess.run(cli + ["init", str(tmp_path / "p")], check=True, capture_output=True, env=env)
    result = subprocess.run(cli + ["declare", "complaints", "--severity", "high", "--title", "Angry thread"],
                            capture_output=True, text=True, cwd=tmp_path / "p", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "p" / "instance" / "crisisplan.sqlite3").is_file()
    status = subprocess.run(cli + ["status", "--plan", str(tmp_path / "p")], capture_output=True, text=True,
                            cwd=tmp_path, env=env)
    assert "Angry thread" in status.stdout


def test_missing_plan_is_a_clear_error(tmp_path: Path, monkeypatch, runner) -> None:
    monkeypatch.setenv("CRISISPLAN_PLAN", str(tmp_path))
    result = run(runner, "status", code=1)
    assert "plan.yaml is missing" in result.output and "crisisplan init" in result.output


def test_shipped_plan_is_where_init_copies_from() -> None:
    assert (SHIPPED_PLAN / "plan.yaml").is_file()
