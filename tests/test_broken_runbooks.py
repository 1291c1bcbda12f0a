"""A corpus of broken runbooks: each gives one clear message with file:line, never a traceback.

Each file's first line says what it must produce: `# expect: LINE: TEXT`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crisisplan import SHIPPED_PLAN

CORPUS = sorted((Path(__file__).parent / "broken_runbooks").glob("*.yaml"))


def test_corpus_covers_at_least_twenty_mistakes() -> None:
    assert len(CORPUS) >= 20


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan")
    shutil.copy(SHIPPED_PLAN / "plan.yaml", root / "plan.yaml")
    shutil.copytree(SHIPPED_PLAN / "templates", root / "templates")
    (root / "runbooks").mkdir()
    return root


def _validate(plan_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crisisplan.cli", "validate", "--plan", str(plan_dir)],
                          capture_output=True, text=True, cwd=plan_dir, timeout=60)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_broken_runbook_is_reported_clearly(plan_dir: Path, path: Path) -> None:
    header = re.match(r"# expect: (\d+): (.+)", path.read_text(encoding="utf-8"))
    assert header, f"{path.name} lacks its '# expect:' line"
    line, text = int(header.group(1)), header.group(2)
    for old in (plan_dir / "runbooks").iterdir():
        old.unlink()
    shutil.copy(path, plan_dir / "runbooks" / path.name)
    result = _validate(plan_dir)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    problems = [p for p in output.splitlines() if f"runbooks/{path.name}:" in p]
    assert problems, output
    first = problems[0]
    assert first.startswith(f"runbooks/{path.name}:{line}:"), first
    assert text in first, first


def test_good_plan_validates(plan_dir: Path) -> None:
    for old in (plan_dir / "runbooks").iterdir():
        old.unlink()
    for runbook in (SHIPPED_PLAN / "runbooks").glob("*.yaml"):
        shutil.copy(runbook, plan_dir / "runbooks" / runbook.name)
    result = _validate(plan_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 runbook(s)" in result.stdout and "ok" in result.stdout


def test_every_problem_is_reported_at_once(plan_dir: Path) -> None:
    for old in (plan_dir / "runbooks").iterdir():
        old.unlink()
    for name in ("unknown_dest", "timer_unknown_role", "yaml_syntax"):
        shutil.copy(Path(__file__).parent / "broken_runbooks" / f"{name}.yaml", plan_dir / "runbooks")
    output = _validate(plan_dir).stdout
    for name in ("unknown_dest", "timer_unknown_role", "yaml_syntax"):
        assert f"runbooks/{name}.yaml:" in output


def test_broken_template_is_reported_with_its_line(plan_dir: Path) -> None:
    for old in (plan_dir / "runbooks").iterdir():
        old.unlink()
    shutil.copy(SHIPPED_PLAN / "runbooks" / "outage.yaml", plan_dir / "runbooks")
    broken = plan_dir / "templates" / "es" / "update.md.j2"
    original = broken.read_text(encoding="utf-8")
    broken.write_text(original + "\n{% if incident.fix %}\nsin cerrar\n", encoding="utf-8")
    try:
        result = _validate(plan_dir)
    finally:
        broken.write_text(original, encoding="utf-8")
    assert result.returncode == 1
    assert "templates/es/update.md.j2:" in result.stdout and "template syntax" in result.stdout
