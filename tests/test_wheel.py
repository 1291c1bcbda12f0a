"""The wheel as a Python user gets it: built from the sources, installed in a fresh virtual environment far
from the checkout, then `crisisplan init`, `validate` and `serve` work with the plan it ships.

Offline: the wheel is built with the project's own setuptools (no build isolation), and the fresh venv finds
the dependencies in the project venv's site-packages through a .pth file (that path only: not the checkout,
and not the project's own editable install, whose finder only a site directory's .pth files would start).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "plan.yaml", "runbooks", "templates",
           "crisisplan"]
UNWANTED = shutil.ignore_patterns("__pycache__", "*.py[cod]", "example_plan", "instance")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A wheel built from a copy of the sources, installed in a fresh venv; the user's environment for it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy, so that the build leaves nothing in the checkout
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=UNWANTED)
        else:
            shutil.copy2(ROOT / name, source / name)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CRISISPLAN_", "PYTHON", "PIP_")) and k != "VIRTUAL_ENV"}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
          "-w", str(work / "dist"), str(source)], work, env, timeout=120)
    [wheel] = (work / "dist").glob("crisisplan-*.whl")

    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work, env)
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     work, env).stdout.strip())
    (site / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
          str(wheel)], work, env)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {"work": work, "wheel": wheel, "venv": venv, "python": python, "env": env}


def test_the_wheel_carries_the_example_plan_and_the_ui(user: dict) -> None:
    names = set(zipfile.ZipFile(user["wheel"]).namelist())
    shipped = {f"crisisplan/example_plan/{path.relative_to(ROOT).as_posix()}"
               for top in ("plan.yaml", "runbooks", "templates") for path in [ROOT / top, *(ROOT / top).rglob("*")]
               if path.is_file() and "__pycache__" not in path.parts}
    assert "crisisplan/example_plan/runbooks/drills/checkout_outage.yaml" in shipped
    assert shipped == {n for n in names if n.startswith("crisisplan/example_plan/")}, "the plan at the root, whole"
    for ui in ("crisisplan/web/templates/public/", "crisisplan/web/templates/console/", "crisisplan/web/static/",
               "crisisplan/store/migrations/versions/"):
        assert any(n.startswith(ui) for n in names), ui


def test_init_validate_and_serve_from_the_installed_wheel(user: dict) -> None:
    work, venv, env = user["work"], user["venv"], user["env"]
    where = _run([str(user["python"]), "-c", "import crisisplan; print(crisisplan.__file__); "
                  "print(crisisplan.SHIPPED_PLAN)"], work, env).stdout.split()
    assert all(Path(p).resolve().is_relative_to(venv.resolve()) for p in where), where  # not the checkout
    assert not any(Path(p).resolve().is_relative_to(ROOT) for p in where), where

    _run(["crisisplan", "init", "myplan"], work, env)
    plan = work / "myplan"
    assert (plan / "runbooks" / "drills").is_dir() and (plan / "templates" / "es").is_dir()
    assert "ok" in _run(["crisisplan", "validate"], plan, env).stdout

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(["crisisplan", "serve", "--port", str(port)], cwd=plan, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        status, deadline = None, time.monotonic() + 30
        while status != 200 and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert status == 200, server.stdout.read() if server.poll() is not None else "no answer in 30 s"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        server.stdout.close()
