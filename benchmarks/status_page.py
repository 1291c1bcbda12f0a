"""The public status page under a stampede, measured with wrk against nginx serving the same HTML.

Builds a realistic page (20 components, 3 active incidents with 10 updates each,
90 days of history), starts `crisisplan serve` under each HTTP server, and runs
wrk for full responses (200) and revalidations (304). nginx serves a saved copy
of the same bytes on the same machine as the yardstick. Needs wrk and nginx
(`bash scripts/system-packages.sh --bench`).

    .venv/bin/python benchmarks/status_page.py [--seconds 10] [--connections 256] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import yaml

from crisisplan import SHIPPED_PLAN
from crisisplan.clock import SimulatedClock
from crisisplan.services import Services
from crisisplan.store.db import Database

UPDATE = "We are sorry for the wait. We are still working on it, step {n} of the fix. Next update by 10:30. " \
         "Help: https://help.example.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def build_plan(root: Path) -> Path:
    plan = root / "plan"
    for name in ("runbooks", "templates"):
        shutil.copytree(SHIPPED_PLAN / name, plan / name)
    settings = yaml.safe_load((SHIPPED_PLAN / "plan.yaml").read_text(encoding="utf-8"))
    groups = ["Storefront", "Apps", "Platform", "Partners"]
    settings["components"] = [{"name": f"component_{i}", "label": f"Component {i}", "group": groups[i % 4]}
                              for i in range(20)]
    (plan / "plan.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return plan


def seed(plan: Path, url: str) -> None:
    db = Database(url)
    db.migrate()
    clock = SimulatedClock()
    clock.set(clock.now().replace(year=2026, month=8, day=1))
    services = Services.open(plan, url, clock)
    for day in range(0, 90, 3):  # history: 30 resolved incidents over 90 days
        clock.advance(timedelta(days=3))
        view = services.declare("outage", "sev3", f"Past incident {day}", "bench", [f"component_{day % 20}"])
        services.publish_post(services.posts(view.id)[0].id, "bench")
        services.trigger(view.id, "acknowledge", "bench")
        services.trigger(view.id, "identify_cause", "bench", {"cause": "A worn-out disk"})
        services.trigger(view.id, "resolve", "bench")
        resolve = [p for p in services.posts(view.id) if p.kind == "resolve"][0]
        services.publish_post(resolve.id, "bench")
    for n in range(3):  # now: 3 active incidents, 10 updates each
        view = services.declare("outage", "sev3", f"Active incident {n}", "bench", [f"component_{n}", "component_7"])
        services.publish_post(services.posts(view.id)[0].id, "bench")
        for i in range(9):
            clock.advance(timedelta(minutes=20))
            post = services.draft_post(view.id, "update", "bench", text=UPDATE.format(n=i + 1))
            services.publish_post(post.id, "bench")
    db.dispose()
    services.db.dispose()


def wrk(url: str, seconds: int, connections: int, etag: str | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if etag:
        command[1:1] = ["-H", f"If-None-Match: {etag}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout)\W+(\d+)", out))
    value, unit = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out).groups()
    megabytes = float(value) * {"B": 1e-6, "KB": 1e-3, "MB": 1.0, "GB": 1e3}[unit]
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50%"), "p99": ms("99%"),
            "errors": errors, "mbps": megabytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--servers", default="granian,gunicorn")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing: bash scripts/system-packages.sh --bench")
    root = Path(tempfile.mkdtemp(prefix="crisisplan-bench-"))
    plan = build_plan(root)
    url = f"sqlite:///{root / 'bench.sqlite3'}"
    seed(plan, url)
    env = {**os.environ, "CRISISPLAN_PLAN": str(plan), "CRISISPLAN_DATABASE_URL": url,
           "CRISISPLAN_SECRET_KEY": "bench"}
    rows = []
    html: bytes | None = None
    for server in args.servers.split(","):
        port = free_port()
        app = subprocess.Popen([sys.executable, "-m", "crisisplan.cli", "serve", "--port", str(port), "--workers",
                                str(args.workers), "--server", server], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            wait_for(port)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/?lang=en") as response:
                html, etag = response.read(), response.headers["ETag"]
            rows.append((f"crisisplan + {server}", "200", wrk(f"http://127.0.0.1:{port}/?lang=en", args.seconds,
                                                              args.connections)))
            rows.append((f"crisisplan + {server}", "304", wrk(f"http://127.0.0.1:{port}/?lang=en", args.seconds,
                                                              args.connections, etag)))
        finally:
            app.terminate()
            app.wait(timeout=20)
    site = root / "site"
    site.mkdir()
    (site / "index.html").write_bytes(html or b"")
    for path in (root, site, site / "index.html"):  # nginx's workers run as another user
        path.chmod(0o755)
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(f"""worker_processes {args.workers};
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off; sendfile on; tcp_nopush on; open_file_cache max=100;
  server {{ listen 127.0.0.1:{port}; root {site}; location / {{ index index.html; }} }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run([nginx, "-c", str(conf), "-p", str(root)], check=True)
    try:
        wait_for(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            nginx_etag = response.headers["ETag"]
        rows.append(("nginx (same HTML, static file)", "200", wrk(f"http://127.0.0.1:{port}/", args.seconds,
                                                                  args.connections)))
        rows.append(("nginx (same HTML, static file)", "304", wrk(f"http://127.0.0.1:{port}/", args.seconds,
                                                                  args.connections, nginx_etag)))
    finally:
        subprocess.run([nginx, "-c", str(conf), "-p", str(root), "-s", "stop"], check=False)
    base = {case: stats["rps"] for name, case, stats in rows if name.startswith("nginx")}
    print(f"status page benchmark: {len(html or b'')} bytes of HTML, {args.connections} connections, "
          f"{args.seconds}s a run, {args.workers} worker processes, {os.cpu_count()} cores")
    print(f"{'server':<32}{'resp':>5}{'req/s':>10}{'MB/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'of nginx':>10}")
    for name, case, stats in rows:
        print(f"{name:<32}{case:>5}{stats['rps']:>10.0f}{stats['mbps']:>8.1f}{stats['p50']:>9.2f}{stats['p99']:>9.2f}"
              f"{stats['errors']:>8.0f}{stats['rps'] / base[case]:>10.0%}")
    print("targets: full responses >= 25% of nginx, p99 < 50 ms at 256 connections, zero errors")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
