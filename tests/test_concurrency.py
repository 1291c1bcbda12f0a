"""Two processes fire conflicting changes at the same incidents in one SQLite file.

Every conflict has exactly one winner; the loser gets a clear error; the chain verifies.
"""

from __future__ import annotations

import multiprocessing as mp

from crisisplan import SHIPPED_PLAN
from crisisplan.errors import Conflict, TriggerNotAllowed

INCIDENTS = 40
RACES = 60


def _worker(name: str, url: str, barrier, results) -> None:
    from crisisplan.plan.load import load_plan
    from crisisplan.services import Services
    from crisisplan.store.db import Database

    services = Services(load_plan(SHIPPED_PLAN), Database(url))
    barrier.wait()
    acknowledged, refused = [], []
    # 1. Both fire `acknowledge` on every incident: only one can move it out of `detected`.
    for incident_id in range(1, INCIDENTS + 1):
        barrier.wait()  # both fire at the same moment
        try:
            services.trigger(incident_id, "acknowledge", name)
            acknowledged.append(incident_id)
        except (TriggerNotAllowed, Conflict) as error:
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
    results.put((name, acknowledged, refused, won, lost))


def test_conflicting_triggers_have_exactly_one_winner(services) -> None:
    for i in range(INCIDENTS + 1):
        services.declare("outage", "sev1", f"Incident {i}", "setup")
    url = services.db.url
    context = mp.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_worker, args=(n, url, barrier, results)) for n in ("alpha", "beta")]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=240) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    acknowledged = [i for _, acks, _, _, _ in outcomes for i in acks]
    assert sorted(acknowledged) == list(range(1, INCIDENTS + 1))  # each incident: one winner, never two
    assert sum(len(refused) for _, _, refused, _, _ in outcomes) == INCIDENTS
    for _, _, refused, _, _ in outcomes:
        assert all("cannot fire from state 'acknowledged'" in why or "changed" in why for _, why in refused)
    # no version was won twice: every accepted edit started from the newest state
    wins = [v for _, _, _, won, _ in outcomes for v in won]
    assert len(wins) == len(set(wins))
    assert len(wins) == RACES  # every round: one winner …
    assert sum(lost for *_, lost in outcomes) == RACES  # … and one clear refusal
    changes = [e for e in services.timeline(INCIDENTS + 1) if e.kind == "field_set"]
    assert len(changes) == len(wins)
    for incident_id in range(1, INCIDENTS + 1):
        moves = [e for e in services.timeline(incident_id) if e.kind == "state_changed"]
        assert len(moves) == 1
    assert services.verify_audit()[2] == []
