"""E-mail subscriptions on the public site: subscribe, confirm (double opt-in), leave in one click.

No session and no CSRF token here (the pages are public and cacheable): a forged
subscription only sends a confirmation to the address, which its owner ignores.
Confirming and leaving change state only on POST, because mail scanners open
every link in a message; RFC 8058's one-click unsubscribe is that same POST.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from crisisplan.errors import InvalidInput, NotFound
from crisisplan.web import services
from crisisplan.web.auth import Throttle
from crisisplan.web.public import context, language

bp = Blueprint("subscribe", __name__, url_prefix="/subscribe")


def _asking() -> Throttle:
    """Subscriptions one network address may ask for: 10 in 10 minutes."""
    return current_app.extensions.setdefault("subscribe_throttle", Throttle(limit=10, window=600))


def _page(template: str, status: int = 200, **values: object) -> tuple[str, int, dict[str, str]]:
    locale, chosen = language()
    settings = services().plan.settings
    page = render_template(f"public/{template}", org=settings.organisation, components=settings.components,
                           **context(locale, chosen), **values)
    return page, status, {"Cache-Control": "no-store"}


@bp.get("")
def form() -> tuple[str, int, dict[str, str]]:
    return _page("subscribe.html", chosen_components=[])


@bp.post("")
def ask() -> tuple[str, int, dict[str, str]]:
    address = request.remote_addr or "?"
    email, chosen = request.form.get("email", ""), request.form.getlist("components")
    asking = _asking()
    if asking.blocked(address):
        return _page("subscribe.html", 429, error_key="too_many", email=email, chosen_components=chosen)
    asking.fail(address)
    try:
        services().subscribe(email, chosen, language()[0])
    except InvalidInput as error:
        # the reader's words from the plan's catalogue, then the service's detail (which names the value)
        return _page("subscribe.html", 400, error_key="bad_email" if error.field == "email" else "bad_components",
                     error=str(error), field=error.field, email=email, chosen_components=chosen)
    return _page("subscribed.html", title_key="check_inbox", text_key="check_inbox_text", email=email)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> tuple[str, int, dict[str, str]]:
    try:
        if request.method == "POST":
            row = services().confirm_subscription(token)
            return _page("subscribed.html", title_key="confirmed", text_key="confirmed_text", email=row.email)
        row = services().subscriber(token)
        if row.status == "unsubscribed":
            raise NotFound("this address left the list")
    except NotFound:
        return _page("subscribed.html", 404, title_key="bad_link", text_key="bad_link_text")
    return _page("button.html", title_key="confirm_title", text_key="confirm_text", button_key="confirm",
                 email=row.email)


@bp.route("/leave/<token>", methods=["GET", "POST"])
def leave(token: str) -> tuple[str, int, dict[str, str]]:
    """GET asks; POST (a person's button, or a mail client's List-Unsubscribe=One-Click) leaves."""
    try:
        if request.method == "POST":
            row = services().unsubscribe(token)
            return _page("subscribed.html", title_key="left", text_key="left_text", email=row.email)
        row = services().subscriber(token)
    except NotFound:
        return _page("subscribed.html", 404, title_key="bad_link", text_key="bad_link_text")
    return _page("button.html", title_key="leave_title", text_key="leave_text", button_key="leave", email=row.email)
