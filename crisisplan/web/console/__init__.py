"""The operator console: one blueprint, one module a page area, and the helpers they share.

Every action is a plain HTML form (works without JavaScript); console.js only
adds live tone checks and countdowns. Every change goes through `Services`.

The pages live beside this file: `dashboard` (the board, declaring), `incidents`
(the incident page and its forms), `timeline`, `posts` (editor, review, publish),
`plan` (runbooks and templates), `drills`, `signals`, `delivery` (outbox and
subscribers) and `people`. Importing them at the end registers their routes here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext

from crisisplan import textgate
from crisisplan.comms.render import format_moment
from crisisplan.duration import spoken_duration
from crisisplan.errors import CrisisplanError, NotFound, Unavailable
from crisisplan.moment import parse_moment
from crisisplan.web import services
from crisisplan.web.console import words

bp = Blueprint("console", __name__, url_prefix="/console")
AMBER = timedelta(minutes=5)  # a deadline this close turns amber; past it, red


def actor() -> str:
    """Who is acting: the name of the person logged in."""
    return g.account.name


def now() -> datetime:
    return services().clock.now()


def form_version(field: str = "version") -> int | None:
    """The version of the incident the form was drawn from, if it says: a stale form is refused."""
    raw = request.form.get(field, "").strip()
    return textgate.parse_int(raw, field) if raw else None


def back(incident_id: int) -> Response:
    return redirect(url_for("console.incident", incident_id=incident_id))


def attempt(action: Callable[[], Any], success: str) -> bool:
    """Run a change; flash what happened. A refused change says why and changes nothing."""
    try:
        action()
    except Unavailable:
        raise  # not a refusal to show beside the form: the page says to try again (503, Retry-After)
    except CrisisplanError as error:
        flash(str(error), "error")
        return False
    flash(success)
    return True


def svg(body: bytes, cache: str = "private, max-age=60") -> Response:
    # a drawing, not a document: no script runs in an <img>, and the CSP forbids it anyway
    return Response(body, content_type="image/svg+xml", headers={"Cache-Control": cache})


def local_time(raw: str, field: str = "at") -> datetime:
    """The moment a person typed in a form (45m, 14:30 or a date and time), by the one rule of
    `crisisplan.moment`: without a zone, in the organisation's time zone; refused naming `field` otherwise."""
    return parse_moment(raw, services().plan.settings.organisation.time_zone, now(), field)


def when(raw: str, field: str = "next_update") -> datetime | None:
    """An optional time typed in a form: None when left empty, else read as `local_time` reads it."""
    raw = raw.strip()
    return local_time(raw, field) if raw else None


@bp.app_template_filter("moment")
def _moment(value: datetime | None) -> str:
    if value is None:
        return "-"
    settings = services().plan.settings
    return format_moment(value, str(get_locale() or settings.default_locale), settings.organisation.time_zone, now())


@bp.app_template_global()
def due_class(value: datetime | None) -> str:
    if value is None:
        return ""
    left = value - now()
    return "red" if left <= timedelta(0) else "amber" if left <= AMBER else ""


@bp.app_template_global()
def due_text(value: datetime | None) -> str:
    if value is None:
        return "-"
    left = value - now()
    if left <= timedelta(0):
        return gettext("%(time)s overdue", time=spoken(-left))
    return gettext("in %(time)s", time=spoken(left))


def spoken(delta: timedelta) -> str:
    """`spoken_duration` in the reader's language: its days counted in their words ("1 day", "2 días")."""
    return re.sub(r"(\d+) days?", lambda m: ngettext("%(num)s day", "%(num)s days", int(m.group(1))),
                  spoken_duration(delta))


@bp.app_template_filter("duration")
def _duration(value: timedelta | None) -> str:
    """A duration as a person says it: '15 min', '1 day' (one rule for every console page)."""
    return "-" if value is None else spoken(value)


@bp.app_template_filter("kind")
def _kind(value: str) -> str:
    """A post kind as words ('follow-up', 'acknowledgement')."""
    return words.kind_name(value)


@bp.app_template_global()
def why_not(runbook: Any, blocked_by: list[str] | tuple[str, ...]) -> list[str]:
    """What keeps a step from being taken, with the runbook's labels."""
    return words.why_not(runbook, blocked_by)


@bp.app_template_global()
def severity_text(severity: Any) -> str:
    """A severity with its deadlines first (a narrow list cuts the end): 'sev1 · acknowledge within 15 min, update
    every 30 min · Critical …'."""
    return (f"{severity.name} · acknowledge within {spoken_duration(severity.acknowledge_within)}, update every "
            f"{spoken_duration(severity.update_every)} · {severity.label}")


@bp.app_template_global()
def severity_choices(runbook: Any) -> list[dict[str, str]]:
    """A runbook's severities as the declare form's script swaps them in: value and words."""
    return [{"name": s.name, "text": severity_text(s)} for s in runbook.severities]


@bp.errorhandler(CrisisplanError)
def _refused(error: CrisisplanError) -> tuple[str, int]:
    status = 404 if isinstance(error, NotFound) else 503 if isinstance(error, Unavailable) else 400
    return render_template("console/error.html", message=str(error)), status


# the pages: importing them registers their routes on `bp`
from crisisplan.web.console import (  # noqa: E402
    account,
    audit,
    dashboard,
    delivery,
    drills,
    inbox,
    incidents,
    people,
    plan,
    posts,
    quick,
    review,
    signals,
    timeline,
)

__all__ = ["account", "audit", "bp", "dashboard", "delivery", "drills", "inbox", "incidents", "people", "plan",
           "posts", "quick", "review", "signals", "timeline"]
