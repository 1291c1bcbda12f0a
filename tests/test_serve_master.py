"""`serve` under granian: killing the master outright (kill -9) takes its workers down with it, so nothing keeps
serving the port with the old code and secrets (issue 18, failure 8)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from crisisplan import SHIPPED_PLAN


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    """Running: it exists and is not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_killing_the_master_takes_its_workers_down(db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CRISISPLAN_PLAN": str(SHIPPED_PLAN), "CRISISPLAN_DATABASE_URL": db_url,
           "CRISISPLAN_INSTANCE": str(tmp_path), "CRISISPLAN_SECRET_KEY": "serve-test"}
    log = (tmp_path / "serve.log").open("w")
    master = subprocess.Popen([sys.executable, "-m", "crisisplan.cli", "serve", "--port", str(port),
                               "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while not _answers(port):
            assert master.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not answer within 90 s"
            time.sleep(0.3)
        workers = _children(master.pid)
        while len(workers) < 2 and time.monotonic() < deadline:  # the second may still be starting
            time.sleep(0.3)
            workers = _children(master.pid)
        assert len(workers) == 2, workers

        master.send_signal(signal.SIGKILL)
        master.wait(timeout=10)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 5 and (any(_alive(pid) for pid in workers) or _answers(port)):
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "workers outlived their master"
        assert not _answers(port)
        with socket.socket() as again:  # the port is free for the next server
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
    finally:
        for pid in [master.pid, *workers]:  # nothing of this test outlives it, whatever happened
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        master.wait(timeout=10)
        log.close()
