"""Helpers that walk a runbook: satisfy a transition's guards, list every path."""

from __future__ import annotations

from crisisplan.engine import Incident, IncidentMachine
from crisisplan.plan.schema import Runbook
from crisisplan.services import IncidentView, Services


def simple_paths(runbook: Runbook) -> list[list[tuple[str, str]]]:
    """Every loop-free path from the initial state to a final state, as (trigger, dest) steps."""
    states = {s.name: s for s in runbook.states}
    edges: dict[str, list[tuple[str, str]]] = {s: [] for s in states}
    for tr in runbook.transitions:
        sources = [s for s in states if not states[s].final] if tr.source == "*" else tr.sources
        for source in sources:
            edges[source].append((tr.trigger, tr.dest))
    paths: list[list[tuple[str, str]]] = []

    def walk(state: str, seen: set[str], path: list[tuple[str, str]]) -> None:
        if states[state].final:
            paths.append(path)
            return
        for trigger, dest in edges[state]:
            if dest not in seen:
                walk(dest, seen | {dest}, path + [(trigger, dest)])

    walk(runbook.initial, {runbook.initial}, [])
    return paths


def satisfy(services: Services, incident_id: int, trigger: str, actor: str = "tester") -> None:
    """Do what the guards of `trigger` ask: set fields, assign roles, tick checklists, publish."""
    incident: Incident = services.incident(incident_id)
    machine: IncidentMachine = services.machine(incident.runbook_id)
    transition = next(t for t in machine.runbook.transitions
                      if t.trigger == trigger and (t.source == "*" or incident.state in t.sources))
    for guard in transition.guards:
        if guard.field:
            services.set_fields(incident_id, {guard.field: f"{guard.field} for the test"}, actor)
        elif guard.role:
            services.assign_role(incident_id, guard.role, "Robin Role", actor)
        elif guard.checklist:
            for item in range(1, len(machine.states[incident.state].checklist) + 1):
                services.check_item(incident_id, item, actor)
        elif guard.published and guard.published not in services.incident(incident_id).published:
            publish_kind(services, incident_id, guard.published, actor)


def publish_kind(services: Services, incident_id: int, kind: str, actor: str = "tester") -> None:
    """Publish the pending draft of `kind`, letting the clock run to the timer that drafts it."""
    for _ in range(20):
        drafts = [p for p in services.posts(incident_id) if p.kind == kind and p.status == "draft"]
        if drafts:
            publish_reviewed(services, drafts[0].id, actor)
            return
        due = services.get(incident_id).deadlines
        assert due, f"nothing will ever draft a '{kind}' post"
        services.clock.set(max(services.clock.now(), due[0].due_at))
        services.tick()
    raise AssertionError(f"no '{kind}' draft appeared")


def take(services: Services, incident_id: int, trigger: str, actor: str = "tester",
         fields: dict[str, str] | None = None) -> IncidentView:
    """Take a runbook step as a person does: a public step by publishing its post, any other by its trigger.

    `fields` are set first, as `services.trigger(..., fields)` does: for a public step in their own change,
    so that the post drafted for the step can say them."""
    incident = services.incident(incident_id)
    step = services.machine(incident.runbook_id).runbook.step(incident.state, trigger)
    if step is None or not step.post:
        return services.trigger(incident_id, trigger, actor, fields)
    if fields:
        services.set_fields(incident_id, fields, actor)
    post = services.draft_for_step(incident_id, trigger, actor)
    publish_reviewed(services, post.id, actor)
    return services.get(incident_id)


def review(services: Services, post_id: int, author: str = "tester") -> None:
    """The review the severity asks for: submit, then as many other people approve as it needs (and the
    holder of a role the runbook names for the kind)."""
    post = services.post(post_id)
    incident = services.incident(post.incident_id)
    required = services.required_approver(incident, post.kind)
    if services.policy(incident) == "none" and not required:
        return
    if post.status == "draft":
        services.submit_post(post_id, author)
    for approver in ("reviewer", "second reviewer", required):
        if services.post(post_id).status != "in_review" or not approver or approver == author:
            continue
        services.approve_post(post_id, approver)


def publish_reviewed(services: Services, post_id: int, author: str = "tester") -> None:
    """Through the review the severity asks for, then publish."""
    review(services, post_id, author)
    services.publish_post(post_id, author)
