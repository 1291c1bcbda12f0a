"""What the keyed audit chain and its checkpoints cost a change: the time of one `set_fields` (one incident, one
audit event) on SQLite (WAL, synchronous=NORMAL), with the chain keyed and a signed checkpoint appended and
fsynced after each commit, against the same without an instance folder (keyed in memory, no checkpoint file);
and how long `audit verify` takes over what was written, with and without the checkpoints.

    .venv/bin/python benchmarks/audit_chain.py [--changes 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.plan.load import load_plan
from crisisplan.services import Services
from crisisplan.store.checkpoints import CheckpointLog
from crisisplan.store.db import Database
from crisisplan.store.keys import AuditKeys


def _changes(services: Services, count: int) -> list[float]:
    view = services.declare("outage", "sev2", "Benchmark", "bench", ["website"])
    services.set_fields(view.id, {"impact": "warm-up"}, "bench")  # warm: keys loaded, statements cached
    times = []
    for n in range(count):
        start = time.perf_counter()
        services.set_fields(view.id, {"impact": f"change {n}"}, "bench")
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=300)
    args = parser.parse_args()
    plan = load_plan(SHIPPED_PLAN)
    print(f"crisisplan audit chain benchmark: {args.changes} changes of one incident, SQLite WAL, fsync on "
          "(synchronous=NORMAL for the database, fsync of the checkpoint file after each line)")
    print(f"{'setting':<52}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    settings = (("keyed, no checkpoint file", False, "1"), ("keyed + signed checkpoint, fsynced", True, "1"),
                ("keyed + signed checkpoint, CRISISPLAN_AUDIT_FSYNC=0", True, "0"))
    for label, with_instance, fsync in settings:
        os.environ["CRISISPLAN_AUDIT_FSYNC"] = fsync
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            db = Database(url, Path(folder) if with_instance else None)
            db.migrate()
            services = Services(plan, db, SimulatedClock())
            times = sorted(_changes(services, args.changes))
            print(f"{label:<52}{statistics.median(times):>9.2f}{times[int(len(times) * 0.95)]:>9.2f}"
                  f"{times[-1]:>9.2f}")
            if with_instance and fsync == "1":
                for how, checkpoints in (("verify, chains only", None),
                                         ("verify, chains + checkpoints", Path(folder) / "audit-checkpoints.jsonl")):
                    start = time.perf_counter()
                    report = services.audit_report(checkpoints)
                    took = (time.perf_counter() - start) * 1000
                    assert report.ok
                    print(f"{how + f' ({report.events} events)':<52}{took:>9.1f}{'':>9}{'':>9}   (one run, warm)")
            db.dispose()
    for fsync in ("1", "0"):  # the checkpoint alone: sign, append under the file lock, (fsync)
        os.environ["CRISISPLAN_AUDIT_FSYNC"] = fsync
        with tempfile.TemporaryDirectory() as folder:
            log = CheckpointLog(Path(folder) / "c.jsonl", AuditKeys.load(Path(folder)))
            log.write({"incident:1": (1, "0" * 64)})
            times = []
            for n in range(args.changes):
                start = time.perf_counter()
                log.write({"incident:1": (n + 2, "0" * 64)})
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            label = f"checkpoint write alone, CRISISPLAN_AUDIT_FSYNC={fsync}"
            print(f"{label:<52}{statistics.median(times):>9.2f}{times[int(len(times) * 0.95)]:>9.2f}"
                  f"{times[-1]:>9.2f}")


if __name__ == "__main__":
    main()
