"""`crisisplan lint` and the template rendering inside `crisisplan validate`, as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main


def test_lint_a_file_reports_spans_and_blocks(runner, tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text("**Update**\n\nWe are sorry. That's not the case, it was user error. "
                    "Next update by 10:30. https://help.example.com\n", encoding="utf-8")
    result = runner.invoke(main, ["lint", str(post), "--kind", "update", "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.output)["findings"]
    text = post.read_text(encoding="utf-8")
    spans = {f["rule"]: text[f["start"]:f["end"]] for f in findings}
    assert spans == {"contradiction": "That's not the case", "blame": "user error"}
    assert all(set(f) == {"rule", "severity", "message", "start", "end", "suggestion"} for f in findings)
    human = runner.invoke(main, ["lint", str(post), "--kind", "update"]).output
    assert f"{post}:3: block: [blame]" in human and "^^^^^^^^^^" in human


def test_lint_in_spanish_and_per_channel(runner, tmp_path: Path) -> None:
    post = tmp_path / "es.md"
    post.write_text("Lo sentimos, el problema sigue. Próxima actualización a las 10:30. https://a.example\n",
                    encoding="utf-8")
    result = runner.invoke(main, ["lint", str(post), "--locale", "es", "--kind", "update", "--json"])
    assert result.exit_code == 0
    assert [f["rule"] for f in json.loads(result.output)["findings"]] == ["problem_word"]
    long_post = tmp_path / "long.md"
    text = "Lo sentimos. " * 30 + "Próxima actualización a las 10:30. https://a.example"
    long_post.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["lint", str(long_post), "--locale", "es", "--channel", "social_short"])
    assert result.exit_code == 1 and "[too_long]" in result.output and "Short social post: " in result.output


def test_lint_a_drafted_post(runner) -> None:
    runner.invoke(main, ["declare", "outage", "--severity", "sev1", "--title", "Down"])
    result = runner.invoke(main, ["lint", "--post", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["findings"] == []


def test_lint_mistakes_are_clear(runner, tmp_path: Path) -> None:
    for args, message in ((["lint", str(tmp_path / "nope.md")], "cannot read it"),
                          (["lint", "--post", "7"], "no post 7"),
                          (["lint", "-", "--channel", "tweet"], "unknown channel 'tweet'"),
                          (["lint", "-", "--locale", "fr"], "'fr' is not a locale of the plan"),
                          (["lint"], "give a FILE")):
        result = runner.invoke(main, args, input="hello")
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_validate_renders_templates_and_names_file_and_line(runner, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    runner.invoke(main, ["init", str(plan)])
    template = plan / "templates" / "es" / "update.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nFirma: {{ org.ceo_name }}\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", "--plan", str(plan)])
    assert result.exit_code == 1
    line = template.read_text(encoding="utf-8").splitlines().index("Firma: {{ org.ceo_name }}") + 1
    assert f"templates/es/update.md.j2:{line}: template error:" in result.output
    assert "ceo_name" in result.output and "Traceback" not in result.output


def test_unknown_blocking_rule_in_plan_yaml(runner, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    shutil.copytree(SHIPPED_PLAN / "runbooks", plan / "runbooks")
    shutil.copytree(SHIPPED_PLAN / "templates", plan / "templates")
    text = (SHIPPED_PLAN / "plan.yaml").read_text(encoding="utf-8")
    text = text.replace("block: [contradiction,", "block: [contradicton,")
    (plan / "plan.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["validate", "--plan", str(plan)])
    assert result.exit_code == 1 and "unknown tone rule 'contradicton'" in result.output
    assert "did you mean 'contradiction'" in result.output


def test_post_review_from_the_command_line(runner, tmp_path: Path) -> None:
    runner.invoke(main, ["declare", "outage", "--severity", "sev1", "--title", "Down", "--as", "ana"])
    assert runner.invoke(main, ["post", "publish", "1", "--as", "ana"]).exit_code == 1
    assert runner.invoke(main, ["post", "submit", "1", "--as", "ana"]).exit_code == 0
    shown = json.loads(runner.invoke(main, ["post", "approve", "1", "--as", "bob", "--json"]).output)
    assert shown["status"] == "approved" and shown["approvals"][0]["by"] == "bob"
    assert "OVER LIMIT" not in shown["channels"]["en"]["status_page"]
    text = tmp_path / "new.md"
    text.write_text("**Update**\n\nWe are sorry. Next update by 10:30. https://help.example.com\n", encoding="utf-8")
    edited = json.loads(runner.invoke(main, ["post", "edit", "1", "--file", str(text), "--as", "ana", "--json"]).output)
    assert edited["status"] == "draft" and edited["approvals"] == []
    runner.invoke(main, ["post", "submit", "1", "--as", "ana"])
    rejected = runner.invoke(main, ["post", "reject", "1", "--as", "bob", "--comment", "Say which countries"])
    assert "rejected: Say which countries" in rejected.output
    drafted = json.loads(runner.invoke(main, ["post", "draft", "1", "update", "--as", "ana", "--json"]).output)
    assert drafted["kind"] == "update" and drafted["status"] == "draft"
    timeline = json.loads(runner.invoke(main, ["timeline", "1", "--json"]).output)
    kinds = [e["kind"] for e in timeline]
    for kind in ("post_submitted", "post_approved", "post_edited", "post_rejected"):
        assert kind in kinds
