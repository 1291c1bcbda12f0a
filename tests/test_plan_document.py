"""The printable plan: every runbook, role, person and template is in it, as HTML, Markdown and a PDF that
opens; plan.yaml's new parts (people, support hours, escalation matrix) are validated like the runbooks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pypdf

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main


def test_the_html_has_the_whole_plan(runner, plan, tmp_path: Path) -> None:
    result = runner.invoke(main, ["plan", "render", str(tmp_path / "plan.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert page.count('<figure class="diagram"><svg') == len(plan.runbooks)
    for runbook in plan.runbooks.values():
        assert f"Runbook: {runbook.title}" in page
        for role in runbook.roles:
            assert role.label in page
        for state in runbook.states:
            for item in state.checklist:
                assert item.replace("'", "&#x27;") in page or item in page
    for person in plan.settings.people:
        assert person.label in page and person.phone in page
    for row in plan.settings.escalation:
        assert row.note.replace("'", "&#x27;") in page or row.note in page
    for (locale, runbook, name), path in plan.templates.items():
        assert f"{runbook + '/' if runbook else ''}{name}" in page
        first_line = path.read_text(encoding="utf-8").strip().splitlines()[0]
        assert first_line[:30].replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;") in page or \
            first_line[:30] in page, (locale, name)


def test_markdown_brings_its_diagrams_and_the_pdf_opens_with_every_runbook(runner, plan, tmp_path: Path) -> None:
    md = json.loads(runner.invoke(main, ["plan", "render", str(tmp_path / "plan.md"), "--json"]).output)
    assert len(md["files"]) == 1 + len(plan.runbooks)
    text = (tmp_path / "plan.md").read_text(encoding="utf-8")
    assert all(f"(plan-{rb}.svg)" in text for rb in plan.runbooks)
    assert runner.invoke(main, ["plan", "render", str(tmp_path / "out.pdf")]).exit_code == 0
    reader = pypdf.PdfReader(tmp_path / "out.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 3 * len(plan.runbooks)  # each runbook starts a page and runs over several
    assert all(f"Runbook: {rb.title}" in text for rb in plan.runbooks.values())
    assert "Escalation matrix" in text and plan.settings.people[0].label in text
    bad = runner.invoke(main, ["plan", "render", str(tmp_path / "plan.docx")])
    assert bad.exit_code != 0 and "--format html|md|pdf" in bad.output


def test_people_support_and_escalation_are_checked_with_file_and_line(runner, tmp_path: Path) -> None:
    target = tmp_path / "plan"
    shutil.copytree(SHIPPED_PLAN / "runbooks", target / "runbooks")
    shutil.copytree(SHIPPED_PLAN / "templates", target / "templates")
    text = (SHIPPED_PLAN / "plan.yaml").read_text(encoding="utf-8")
    shape = text.replace('hours: "Mon-Fri 09:00-18:00"', 'hours: "weekdays"')
    shape = shape.replace("{when: legal, to: legal_counsel", "{when: lawsuit, to: legal_counsel")
    (target / "plan.yaml").write_text(shape, encoding="utf-8")
    result = runner.invoke(main, ["validate", "--plan", str(target)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "support[2].hours" in result.output and "got 'lawsuit'" in result.output

    roles = text.replace("roles: [legal_counsel]", "roles: [legal_counsil]")
    (target / "plan.yaml").write_text(roles, encoding="utf-8")
    result = runner.invoke(main, ["validate", "--plan", str(target)])
    line_of = next(i for i, line in enumerate(roles.splitlines(), 1) if "legal_counsil" in line)
    assert result.exit_code == 1 and f"plan.yaml:{line_of}:" in result.output
    assert "no runbook has the role 'legal_counsil'" in result.output and "legal_counsel" in result.output
