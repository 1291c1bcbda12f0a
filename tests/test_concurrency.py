"""Two processes fire conflicting changes at the same incidents in one SQLite file.

Every conflict has exactly one winner; the loser gets a clear error; the chain verifies.
"""

from __future__ import annotations

import multiprocessing as mp

from crisisplan import SHIPPED_PLAN
from crisisplan.comms.approval import ReviewError
from crisisplan.errors import Conflict, TriggerNotAllowed
from tests.walk import review

INCIDENTS = 40
RACES = 60


def _worker(name: str, url: str, instance, barrier, results) -> None:
    from crisisplan.plan.load import load_plan
    from crisisplan.services import Services
    from crisisplan.store.db import Database

    services = Services(load_plan(SHIPPED_PLAN), Database(url, instance))  # the test's audit keys
    barrier.wait()
    acknowledged, refused, by_hand = [], [], []
    # 1. Both acknowledge every incident: a bare trigger is refused (the step is taken by publishing the
    # acknowledgement), so both publish its approved post at once, and only one can move it out of `detected`.
    for incident_id in range(1, INCIDENTS + 1):
        try:
            services.trigger(incident_id, "acknowledge", name)
            by_hand.append("fired")
        except TriggerNotAllowed as error:
            by_hand.append(str(error))
        [ack] = [p for p in services.posts(incident_id) if p.kind == "acknowledge"]
        barrier.wait()  # both publish at the same moment
        try:
            services.publish_post(ack.id, name)
            acknowledged.append(incident_id)
        except (TriggerNotAllowed, Conflict, ReviewError) as error:
            refused.append((incident_id, str(error)))
    # 2. Both edit the same incident from the version they just read: a lost update must be refused.
    won, lost = [], 0
    for k in range(RACES):
        seen = services.get(INCIDENTS + 1).version
        barrier.wait()  # both have read the same version before either writes
        try:
            services.set_fields(INCIDENTS + 1, {"impact": f"{name} {k}"}, name, expected_version=seen)
            won.append(seen)
        except Conflict:
            lost += 1
    results.put((name, acknowledged, refused, won, lost, by_hand))


def test_conflicting_triggers_have_exactly_one_winner(services) -> None:
    for i in range(INCIDENTS + 1):
        view = services.declare("outage", "sev1", f"Incident {i}", "setup")
        [ack] = services.posts(view.id)
        review(services, ack.id, "setup")  # the acknowledgement, approved and ready: either worker may publish it
    url = services.db.url
    context = mp.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_worker, args=(n, url, services.db.instance, barrier, results))
               for n in ("alpha", "beta")]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=240) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    ack_ids = {i: p.id for i in range(1, INCIDENTS + 1) for p in services.posts(i) if p.kind == "acknowledge"}
    acknowledged = [i for _, acks, *_ in outcomes for i in acks]
    # by hand, the step is refused every time: it is taken by publishing the acknowledgement
    assert all("'acknowledge' is taken by publishing the 'acknowledge' post" in why
               for *_, by_hand in outcomes for why in by_hand)
    assert sum(len(by_hand) for *_, by_hand in outcomes) == 2 * INCIDENTS
    assert sorted(acknowledged) == list(range(1, INCIDENTS + 1))  # each incident: one winner, never two
    assert sum(len(refused) for _, _, refused, *_ in outcomes) == INCIDENTS
    for _, _, refused, *_ in outcomes:
        # the loser finds the acknowledgement out already (or the incident changed under it)
        assert all(f"post {ack_ids[i]} is published already" in why or "changed" in why for i, why in refused)
    # no version was won twice: every accepted edit started from the newest state
    wins = [v for _, _, _, won, *_ in outcomes for v in won]
    assert len(wins) == len(set(wins))
    assert len(wins) == RACES  # every round: one winner …
    assert sum(lost for _, _, _, _, lost, _ in outcomes) == RACES  # … and one clear refusal
    changes = [e for e in services.timeline(INCIDENTS + 1) if e.kind == "field_set"]
    assert len(changes) == len(wins)
    for incident_id in range(1, INCIDENTS + 1):
        moves = [e for e in services.timeline(incident_id) if e.kind == "state_changed"]
        assert len(moves) == 1
        assert [e.kind for e in services.timeline(incident_id)].count("post_published") == 1
    assert services.verify_audit()[2] == []
