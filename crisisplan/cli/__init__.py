"""The command line: click commands over the same services the web app uses, one module an area.

Human-readable output by default, `--json` for scripts; a user's mistake is
one clear message on stderr and a non-zero exit, never a traceback.

`shared` holds the `main` group and what every command shares; importing each area's module below
registers its commands on `main`.
"""

import crisisplan.cli.maintenance  # noqa: F401 - registers `crisisplan maintenance`
from crisisplan.cli import accounts, audit, delivery, drills, inbox, incidents, plan, posts, review, serve, signals
from crisisplan.cli.shared import main

__all__ = ["accounts", "audit", "delivery", "drills", "inbox", "incidents", "main", "plan", "posts", "review", "serve",
           "signals"]
