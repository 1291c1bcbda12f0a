"""Random triggers, field changes, publications and clock jumps against the engine and store.

Invariants: the state is always one the runbook has; every state change is a
transition the runbook allows; a refused command changes nothing; the audit
chain always verifies.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.errors import CrisisplanError
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.db import Database
from tests.databases import Databases
from tests.walk import review

PLAN = load_plan(SHIPPED_PLAN)
# incidents are declared; a maintenance window is scheduled (tests/test_maintenance.py) and refused here
RUNBOOKS = sorted(rb_id for rb_id, rb in PLAN.runbooks.items() if rb.maintenance is None)
ALL_TRIGGERS = sorted({t.trigger for rb in PLAN.runbooks.values() for t in rb.transitions}) + ["explode"]
ALL_FIELDS = sorted({f.name for rb in PLAN.runbooks.values() for f in rb.fields}) + ["nonsense"]
ALL_ROLES = sorted({r.name for rb in PLAN.runbooks.values() for r in rb.roles})


def allowed_moves(runbook_id: str) -> set[tuple[str, str, str]]:
    rb = PLAN.runbooks[runbook_id]
    states = {s.name: s for s in rb.states}
    return {(source, t.trigger, t.dest) for t in rb.transitions
            for source in ([s for s in states if not states[s].final] if t.source == "*" else t.sources)}


class IncidentLife(RuleBasedStateMachine):
    databases: Databases

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.url = self.databases.fresh(self.dir)
        self.db = Database(self.url)
        self.clock = SimulatedClock()
        self.services = Services(PLAN, self.db, self.clock)
        self.ids: list[int] = []

    def teardown(self) -> None:
        self.db.dispose()
        self.databases.drop(self.url)
        shutil.rmtree(self.dir, ignore_errors=True)

    @initialize(runbook=st.sampled_from(RUNBOOKS), data=st.data())
    def first_incident(self, runbook: str, data: st.DataObject) -> None:
        self.declare(runbook, data)

    @precondition(lambda self: len(self.ids) < 3)
    @rule(runbook=st.sampled_from(RUNBOOKS), data=st.data())
    def declare(self, runbook: str, data: st.DataObject) -> None:
        severity = data.draw(st.sampled_from([s.name for s in PLAN.runbooks[runbook].severities]))
        self.ids.append(self.services.declare(runbook, severity, "Random incident", "prop").id)

    def _try(self, incident_id: int, action) -> None:  # noqa: ANN001
        before = self.services.get(incident_id)
        events = len(self.services.timeline(incident_id))
        try:
            action()
        except CrisisplanError:
            after = self.services.get(incident_id)
            assert (after.state, after.version, after.fields) == (before.state, before.version, before.fields)
            assert len(self.services.timeline(incident_id)) == events

    @rule(data=st.data(), trigger=st.sampled_from(ALL_TRIGGERS))
    def fire(self, data: st.DataObject, trigger: str) -> None:
        incident_id = data.draw(st.sampled_from(self.ids))
        before = self.services.get(incident_id)
        # a public step is never taken by its bare trigger: that is refused and changes nothing
        allowed = {o.trigger: o.dest for o in before.options if o.allowed and not o.post}
        if trigger in allowed:
            assert self.services.trigger(incident_id, trigger, "prop").state == allowed[trigger]
        else:
            self._try(incident_id, lambda: self.services.trigger(incident_id, trigger, "prop"))
            assert self.services.get(incident_id).state == before.state

    @rule(data=st.data(), name=st.sampled_from(ALL_FIELDS), value=st.text(max_size=40))
    def set_field(self, data: st.DataObject, name: str, value: str) -> None:
        incident_id = data.draw(st.sampled_from(self.ids))
        self._try(incident_id, lambda: self.services.set_fields(incident_id, {name: value}, "prop"))

    @rule(data=st.data(), role=st.sampled_from(ALL_ROLES), person=st.sampled_from(["Ana", "Bo", ""]))
    def assign(self, data: st.DataObject, role: str, person: str) -> None:
        incident_id = data.draw(st.sampled_from(self.ids))
        self._try(incident_id, lambda: self.services.assign_role(incident_id, role, person, "prop"))

    @rule(data=st.data(), item=st.integers(0, 4))
    def check(self, data: st.DataObject, item: int) -> None:
        incident_id = data.draw(st.sampled_from(self.ids))
        self._try(incident_id, lambda: self.services.check_item(incident_id, item, "prop"))

    @rule(data=st.data())
    def publish(self, data: st.DataObject) -> None:
        incident_id = data.draw(st.sampled_from(self.ids))
        drafts = [p for p in self.services.posts(incident_id) if p.status == "draft"]
        if drafts:
            post = data.draw(st.sampled_from(drafts))
            # each step is its own change: a refused publication leaves the review as it was
            self._try(incident_id, lambda: review(self.services, post.id, "prop"))
            self._try(incident_id, lambda: self.services.publish_post(post.id, "prop"))
            if self.services.post(post.id).status == "published":
                assert post.kind in self.services.incident(incident_id).published

    @rule(data=st.data())
    def take_a_public_step(self, data: st.DataObject) -> None:
        incident_id = data.draw(st.sampled_from(self.ids))
        steps = [o for o in self.services.get(incident_id).options if o.post]
        if not steps:
            return
        step = data.draw(st.sampled_from(steps))
        before = self.services.get(incident_id)
        posts: list = []
        self._try(incident_id, lambda: posts.append(self.services.draft_for_step(incident_id, step.trigger, "prop")))
        if not posts:
            return
        self._try(incident_id, lambda: review(self.services, posts[0].id, "prop"))
        self._try(incident_id, lambda: self.services.publish_post(posts[0].id, "prop"))
        if self.services.post(posts[0].id).status == "published":  # the post and its step, together
            assert self.services.get(incident_id).state == step.dest
        else:
            assert self.services.get(incident_id).state == before.state

    @rule(minutes=st.integers(0, 6 * 60))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.services.tick()
        for view in self.services.status():
            assert all(d.due_at > self.clock.now() for d in view.deadlines) or view.closed

    @invariant()
    def states_and_moves_are_the_runbooks(self) -> None:
        for incident_id in self.ids:
            incident = self.services.incident(incident_id)
            assert incident.state in {s.name for s in PLAN.runbooks[incident.runbook_id].states}
            moves = allowed_moves(incident.runbook_id)
            for event in self.services.timeline(incident_id):
                if event.kind == "state_changed":
                    p = json.loads(event.payload)
                    assert (p["from"], p["trigger"], p["to"]) in moves

    @invariant()
    def audit_chain_verifies(self) -> None:
        assert self.services.verify_audit()[2] == []


@pytest.fixture
def property_machine(databases: Databases):
    IncidentLife.databases = databases
    return IncidentLife


def test_random_commands_keep_the_engine_sound(property_machine) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(property_machine, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
