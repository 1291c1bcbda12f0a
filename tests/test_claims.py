"""Claims need their facts: a shipped text says we did or know something only when the record holds it, and
`crisisplan validate` catches a template that says it anyway.

The claims and their phrases are read here from templates/claims.yaml as written by hand (plain YAML), and the
facts are taken away here, not by crisisplan.comms.claims.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crisisplan import SHIPPED_PLAN
from crisisplan.cli import main
from crisisplan.comms.render import Renderer
from crisisplan.comms.samples import render_incident, sample_incident
from crisisplan.engine import Incident
from crisisplan.plan.load import load_plan
from crisisplan.plan.schema import Runbook

PLAN = load_plan(SHIPPED_PLAN)
CLAIMS_FILE = SHIPPED_PLAN / "templates" / "claims.yaml"
DECLARED = yaml.safe_load(CLAIMS_FILE.read_text(encoding="utf-8"))
CLAIMS = [(runbook, name, claim) for runbook, claims in DECLARED.items() for name, claim in claims.items()]
RENDERER = Renderer(SHIPPED_PLAN / "templates")


def _has_fact(runbook: Runbook, claim: dict) -> bool:
    if "field" in claim:
        return any(f.name == claim["field"] for f in runbook.fields)
    return any(claim["checklist"] in state.checklist for state in runbook.states)


def _without_fact(runbook: Runbook, incident: Incident, claim: dict) -> Incident:
    bare = incident.copy()
    if "field" in claim:
        bare.fields[claim["field"]] = ""
    for state in runbook.states:
        if claim.get("checklist") in state.checklist:
            index = state.checklist.index(claim["checklist"])
            bare.checklist[state.name] = [i for i in bare.checklist.get(state.name, []) if i != index]
    return bare


def _makes_claim(path: Path, claim: dict) -> bool:
    """The template names the claim's fact, so with the fact present it says the claim."""
    source = path.read_text(encoding="utf-8")
    if "field" in claim:
        name = re.escape(claim["field"])
        return bool(re.search(rf"incident\.{name}\b|\"{name}\" in recorded", source))
    return f'"{claim["checklist"]}" in checked' in source


def _said(text: str, phrases: list[str]) -> list[str]:
    plain = " ".join(text.split()).casefold()
    return [p for p in phrases if " ".join(p.split()).casefold() in plain]


def test_the_claims_file_covers_the_security_notice() -> None:
    security = DECLARED["security"]
    assert security["contained"]["checklist"] == "Contain the exposure"
    assert security["authority_informed"]["field"] == "regulator_reference"
    for _runbook, _name, claim in CLAIMS:
        assert set(claim) - {"field", "checklist"} == set(PLAN.settings.locales)


@pytest.mark.parametrize(("runbook_id", "name", "claim"), CLAIMS, ids=[f"{r}-{n}" for r, n, _ in CLAIMS])
def test_every_shipped_template_says_the_claim_only_with_its_fact(runbook_id: str, name: str, claim: dict) -> None:
    made: set[str] = set()  # the locales some template says the claim in
    for runbook in PLAN.runbooks.values():
        if runbook_id not in ("*", runbook.id):
            continue
        full = sample_incident(runbook, PLAN)
        present = _has_fact(runbook, claim)
        bare = _without_fact(runbook, full, claim) if present else full
        for locale, kind, variant, _path, text in render_incident(PLAN, runbook, bare, RENDERER):
            assert not _said(text, claim[locale]), (runbook.id, locale, kind, variant, text)
        if not present:
            continue
        for locale, kind, variant, path, text in render_incident(PLAN, runbook, full, RENDERER):
            if _makes_claim(path, claim):
                assert _said(text, claim[locale]), (runbook.id, locale, kind, variant, text)
                made.add(locale)
    assert made == set(PLAN.settings.locales), f"no template says '{name}' in every language"


@pytest.fixture
def plan_copy(tmp_path: Path) -> Path:
    root = tmp_path / "plan"
    root.mkdir()
    shutil.copy(SHIPPED_PLAN / "plan.yaml", root / "plan.yaml")
    shutil.copytree(SHIPPED_PLAN / "runbooks", root / "runbooks")
    shutil.copytree(SHIPPED_PLAN / "templates", root / "templates")
    return root


def _validate(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "--plan", str(root)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_shipped_plan_validates_with_its_claims(plan_copy: Path) -> None:
    code, output = _validate(plan_copy)
    assert code == 0, output
    assert "claim" not in output, output


def test_a_claim_outside_its_if_fails_validate_naming_the_file_and_the_claim(plan_copy: Path) -> None:
    template = plan_copy / "templates" / "en" / "security" / "acknowledge.md.j2"
    source = template.read_text(encoding="utf-8")
    unguarded = re.sub(r'\{% if "regulator_reference" in recorded %\}(.*?)\{% endif %\}', r"\1", source)
    assert unguarded != source
    template.write_text(unguarded, encoding="utf-8")
    phrase = next(p for p in DECLARED["security"]["authority_informed"]["en"] if p in unguarded)
    line = next(n for n, text in enumerate(unguarded.splitlines(), 1) if phrase in text)
    code, output = _validate(plan_copy)
    assert code == 1, output
    errors = [p for p in output.splitlines() if ": error:" in p]
    assert len(errors) == 1, output
    assert errors[0].startswith(f"templates/en/security/acknowledge.md.j2:{line}:"), errors[0]
    assert "'authority_informed'" in errors[0] and "regulator_reference" in errors[0]


def test_a_mistyped_phrase_is_a_warning_and_a_mistyped_fact_an_error(plan_copy: Path) -> None:
    claims = plan_copy / "templates" / "claims.yaml"
    text = claims.read_text(encoding="utf-8")
    claims.write_text(text.replace('"hemos contenido"', '"hemos contendio"').replace('"lo contuvimos"', '"x y z"')
                      .replace('"contenido la"', '"x y z"'), encoding="utf-8")
    code, output = _validate(plan_copy)
    assert code == 0, output
    assert "templates/claims.yaml:" in output and "warning: claim 'contained' is never stated in 'es'" in output
    claims.write_text(text.replace("field: regulator_reference", "field: regulator_ref"), encoding="utf-8")
    code, output = _validate(plan_copy)
    line = text.splitlines().index("    field: regulator_reference") + 1
    assert code == 1, output
    assert f"templates/claims.yaml:{line}:" in output and "did you mean 'regulator_reference'" in output
