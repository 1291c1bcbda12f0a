"""The plan's default runbook: what the declare form opens on, so leaving the defaults declares something valid."""

from __future__ import annotations

from crisisplan.errors import Problem, did_you_mean
from crisisplan.plan.schema import PlanSettings, Runbook
from crisisplan.plan.source import Located


def incident_runbooks(runbooks: dict[str, Runbook]) -> list[Runbook]:
    """The runbooks a person declares an incident on (maintenance windows are scheduled, not declared)."""
    return [rb for rb in runbooks.values() if rb.maintenance is None]


def default_runbook(settings: PlanSettings, runbooks: dict[str, Runbook]) -> Runbook | None:
    """`default_runbook` of plan.yaml when it names an incident runbook; else the first of them by file name."""
    choices = incident_runbooks(runbooks)
    named = next((rb for rb in choices if rb.id == settings.default_runbook), None)
    return named or (choices[0] if choices else None)


def default_runbook_problems(settings: PlanSettings, runbooks: dict[str, Runbook], src: Located) -> list[Problem]:
    """`default_runbook` names a runbook of the plan that incidents are declared on, or it is reported."""
    wanted = settings.default_runbook
    if wanted is None or wanted in {rb.id for rb in incident_runbooks(runbooks)}:
        return []
    why = "is a maintenance runbook" if wanted in runbooks else "is not a runbook of this plan"
    return [src.problem(("default_runbook",), f"default_runbook: '{wanted}' {why}",
                        did_you_mean(wanted, [rb.id for rb in incident_runbooks(runbooks)]))]
