"""Render every template of the plan with sample data, as `crisisplan validate` does."""

from __future__ import annotations

from datetime import timedelta

from crisisplan.clock import SimulatedClock
from crisisplan.comms.context import template_context
from crisisplan.comms.render import Renderer, TemplateError
from crisisplan.comms.reply_words import sample_words
from crisisplan.engine import Incident, IncidentMachine
from crisisplan.errors import Problem
from crisisplan.plan.checks import draft_sites
from crisisplan.plan.load import Plan
from crisisplan.plan.schema import Runbook

SAMPLE_WORDS = {"es": {"title": "El pago falla para algunos clientes", "field": "el dato, en palabras sencillas"}}


def sample_incident(runbook: Runbook, plan: Plan) -> Incident:
    """A made-up incident of this runbook, with every field filled in and every checklist item done, to try its
    templates on (crisisplan.comms.claims takes one fact away at a time)."""
    clock = SimulatedClock()
    components = [c.name for c in plan.settings.components[:2]]
    incident = IncidentMachine(runbook).declare(clock, severity=runbook.severities[0].name,
                                                title="Checkout fails for some customers", actor="sample",
                                                components=components).incident
    incident.id = 42  # a stored incident has one; links to its page use it
    if runbook.maintenance is not None:  # a planned window: tomorrow, two hours
        incident.window = (incident.declared_at + timedelta(days=1), incident.declared_at + timedelta(days=1, hours=2))
    for field in runbook.fields:
        incident.fields[field.name] = f"the {field.label.lower()}, in plain words"
    # the public words in every other language too, as a declared incident has them (a sample marks a language
    # it has no words for, so a preview never passes one language's words off as another's)
    for locale in plan.settings.locales:
        if locale != plan.settings.default_locale:
            words = SAMPLE_WORDS.get(locale, {})
            incident.translations[locale] = {
                "title": words.get("title", f"[{locale}] {incident.title}"),
                **{f.name: words.get("field", "[{locale}] {label}").format(locale=locale, label=f.label.lower())
                   for f in runbook.fields if f.public}}
    incident.checklist = {state.name: list(range(len(state.checklist))) for state in runbook.states if state.checklist}
    return incident


def kinds_to_render(plan: Plan, runbook: Runbook) -> set[str]:
    """What this runbook drafts, plus the replies no runbook drafts (written by hand)."""
    drafted_anywhere = {kind for rb in plan.runbooks.values() for _, kind in draft_sites(rb)}
    every_kind = plan.kinds()
    return {kind for _, kind in draft_sites(runbook)} | (every_kind - drafted_anywhere)


def render_samples(plan: Plan):  # noqa: ANN201 - yields (runbook, locale, kind, variant, text or error)
    """Fill in every template of the plan for a sample incident, per runbook, locale, kind and short form."""
    renderer = Renderer(plan.root / "templates")
    for runbook in plan.runbooks.values():
        for locale, kind, variant, _path, result in render_incident(plan, runbook, sample_incident(runbook, plan),
                                                                    renderer):
            yield runbook, locale, kind, variant, result


def render_incident(plan: Plan, runbook: Runbook, incident: Incident, renderer: Renderer):  # noqa: ANN201
    """Fill in every template this runbook's posts use for `incident`: yields (locale, kind, variant, template
    file, text or TemplateError)."""
    now = incident.declared_at
    for locale in plan.settings.locales:
        for kind in sorted(kinds_to_render(plan, runbook)):
            for variant in ("", "short"):
                path = plan.template_path(locale, runbook.id, kind, variant)
                if path is None:
                    continue  # a missing long form is reported by the loader; short forms are optional
                context = template_context(plan.settings, runbook, incident, locale=locale, now=now,
                                           next_update_at=now + timedelta(minutes=30), person="Alex",
                                           words=sample_words(kind, locale))
                try:
                    yield locale, kind, variant, path, renderer.render(path, context)
                except TemplateError as error:
                    yield locale, kind, variant, path, error


def template_problems(plan: Plan) -> list[Problem]:
    """Every template of the plan that fails to fill in with sample data, and every claim a template states
    without the fact that backs it (templates/claims.yaml), as problems for the plan's author."""
    from crisisplan.comms.claims import claim_problems  # claims renders with this module's samples

    problems = []
    for runbook, _locale, kind, variant, result in render_samples(plan):
        if isinstance(result, TemplateError):
            what = f"{kind} ({variant})" if variant else kind
            problems.append(Problem(result.file, result.line, 1,
                                    f"{result} (rendering '{what}' for runbook '{runbook.id}')"))
    return problems + claim_problems(plan)
