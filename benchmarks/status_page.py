"""The public status page under a stampede, measured with wrk against nginx serving the same HTML.

Builds a realistic page (20 components, 3 active incidents with 10 updates each,
90 days of history), starts `crisisplan serve` under each HTTP server, and runs
wrk on `/` with a browser's headers: brotli (what a browser gets), plain (a client
that asks for no compression) and revalidations (304). nginx serves a saved copy
of the same bytes (the HTML, and its brotli form with Content-Encoding: br) on the
same machine as the yardstick. Needs wrk and nginx (`bash scripts/system-packages.sh --bench`).

    .venv/bin/python benchmarks/status_page.py [--seconds 10] [--connections 256] [--workers 2]
                                               [--servers granian,gunicorn]
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
        services.publish_post(services.posts(view.id)[0].id, "bench")  # the acknowledgement: a public step
        services.set_fields(view.id, {"cause": "A worn-out disk"}, "bench")
        for step in ("identify_cause", "resolve"):  # public steps: each taken by publishing its post
            services.publish_post(services.draft_for_step(view.id, step, "bench").id, "bench")
    for n in range(3):  # now: 3 active incidents, 10 updates each
        view = services.declare("outage", "sev3", f"Active incident {n}", "bench", [f"component_{n}", "component_7"])
        services.publish_post(services.posts(view.id)[0].id, "bench")
        for i in range(9):
            clock.advance(timedelta(minutes=20))
            post = services.draft_post(view.id, "update", "bench", text=UPDATE.format(n=i + 1))
            services.publish_post(post.id, "bench")
    db.dispose()
    services.db.dispose()


# what a browser sends for the page (Firefox 128); "plain" is the same without asking for compression
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "en-US,en;q=0.9", "Accept-Encoding": "gzip, deflate, br",
           "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
CASES = {"200 br": {}, "200 plain": {"Accept-Encoding": "identity"}, "304 br": {}}


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|connect|read|write|timeout)\W+(\d+)", out))
    value, unit = re.search(r"Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", out).groups()
    megabytes = float(value) * {"B": 1e-6, "KB": 1e-3, "MB": 1.0, "GB": 1e3}[unit]
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50%"), "p99": ms("99%"),
            "errors": errors, "mbps": megabytes}


def fetch(url: str, headers: dict[str, str]) -> tuple[bytes, str, str]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        return response.read(), response.headers["ETag"], response.headers.get("Content-Encoding", "")


def run_cases(url: str, seconds: int, connections: int) -> list[tuple[str, dict[str, float]]]:
    rows = []
    wrk(url, 2, connections, BROWSER)  # warm-up, not counted: every worker started and has the page in memory
    for case, extra in CASES.items():
        headers = {**BROWSER, **extra}
        if case.startswith("304"):
            headers["If-None-Match"] = fetch(url, headers)[1]
        rows.append((case, wrk(url, seconds, connections, headers)))
    return rows


def nginx_site(root: Path, plain: bytes, br: bytes, workers: int) -> tuple[Path, int]:
    """nginx serving crisisplan's own bytes: the HTML as a file, and its brotli form with Content-Encoding: br."""
    site = root / "site"
    site.mkdir()
    (site / "index.html").write_bytes(plain)
    (site / "index.html.br").write_bytes(br)
    for path in (root, site, site / "index.html", site / "index.html.br"):  # nginx's workers run as another user
        path.chmod(0o755)
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(f"""worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off; sendfile on; tcp_nopush on; open_file_cache max=100;
  types {{ }} default_type "text/html; charset=utf-8";
  server {{
    listen 127.0.0.1:{port};
    location = /plain {{ alias {site}/index.html; }}
    location = /br {{ alias {site}/index.html.br; add_header Content-Encoding br; add_header Vary Accept-Encoding; }}
  }}
}}
""")
    return conf, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--servers", default="granian")
    parser.add_argument("--threads", type=int, default=2, help="Python threads a granian worker (serve --threads)")
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
    plain = br = b""
    for server in args.servers.split(","):
        port = free_port()
        app = subprocess.Popen([sys.executable, "-m", "crisisplan.cli", "serve", "--port", str(port), "--workers",
                                str(args.workers), "--server", server, "--threads", str(args.threads)],
                               env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            wait_for(port)
            page = f"http://127.0.0.1:{port}/"
            plain = fetch(page, {**BROWSER, "Accept-Encoding": "identity"})[0]
            br, _, coding = fetch(page, BROWSER)
            assert coding == "br", f"asked for brotli, got {coding!r}"
            rows += [(f"crisisplan + {server}", case, stats) for case, stats in run_cases(page, args.seconds,
                                                                                          args.connections)]
        finally:
            app.terminate()
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                app.kill()
    conf, port = nginx_site(root, plain, br, args.workers)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    subprocess.run([nginx, "-c", str(conf), "-p", str(root)], check=True)
    try:
        wait_for(port)
        for case, extra in CASES.items():
            target = f"http://127.0.0.1:{port}/{'plain' if 'plain' in case else 'br'}"
            headers = {**BROWSER, **extra}
            if case.startswith("304"):
                headers["If-None-Match"] = fetch(target, headers)[1]
            rows.append(("nginx (same bytes, static file)", case, wrk(target, args.seconds, args.connections,
                                                                     headers)))
    finally:
        subprocess.run([nginx, "-c", str(conf), "-p", str(root), "-s", "stop"], check=False)
    base = {case: stats["rps"] for name, case, stats in rows if name.startswith("nginx")}
    print(f"status page benchmark: GET / with a browser's headers (Firefox 128; `plain` without asking for "
          f"compression); {len(plain)} bytes of HTML, {len(br)} as brotli; wrk -t2 -c{args.connections}, "
          f"{args.seconds}s a run, {args.workers} worker processes of {args.threads} Python threads (granian), "
          f"{os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'server':<32}{'case':>10}{'req/s':>10}{'MB/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'of nginx':>10}")
    for name, case, stats in rows:
        print(f"{name:<32}{case:>10}{stats['rps']:>10.0f}{stats['mbps']:>8.1f}{stats['p50']:>9.2f}"
              f"{stats['p99']:>9.2f}{stats['errors']:>8.0f}{stats['rps'] / base[case]:>10.0%}")
    ours = next(stats["rps"] for name, case, stats in rows if case == "200 br" and not name.startswith("nginx"))
    ratio = ours / base["200 br"]
    print(f"target: 200 with brotli >= 0.5 x nginx serving the same compressed bytes: "
          f"{'met' if ratio >= 0.5 else 'MISSED'} ({ratio:.2f})")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
