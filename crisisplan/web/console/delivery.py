"""What goes out: the outbox (counts, dead letters, retry) and the e-mail subscribers."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crisisplan import textgate
from crisisplan.duration import spoken_duration
from crisisplan.errors import CrisisplanError
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, bp


@bp.route("/delivery")
@require("communicator")
def delivery() -> str:
    counts, dead = services().outbox_overview()
    return render_template("console/delivery.html", counts=counts, dead=dead,
                           give_up=spoken_duration(services().plan.settings.delivery.give_up_after))


@bp.route("/delivery/<int:message_id>/retry", methods=["POST"])
@require("communicator")
def delivery_retry(message_id: int) -> Response:
    services().retry_message(message_id)
    flash(_("Message %(id)s is back in the queue; the worker tries it within seconds.", id=message_id), "ok")
    return redirect(url_for("console.delivery"))


@bp.route("/subscribers", methods=["GET", "POST"])
@require("communicator")
def subscribers() -> Any:
    if request.method == "POST":
        form = request.form
        try:
            if form.get("remove"):
                row = services().remove_subscriber(textgate.parse_int(form["remove"], "remove", 1), actor())
                flash(_("%(address)s gets no more e-mails.", address=row.email), "ok")
            else:
                services().subscribe(form.get("email", ""), form.getlist("components"), form.get("locale", ""))
                flash(_("A confirmation e-mail is on its way: the address joins once its owner confirms."), "ok")
        except CrisisplanError as error:
            flash(str(error), "error")
        return redirect(url_for("console.subscribers", status=request.args.get("status", "")))
    status = request.args.get("status") or None
    rows, counts = services().subscribers(status if status in ("pending", "confirmed", "unsubscribed") else None)
    settings = services().plan.settings
    return render_template("console/subscribers.html", rows=rows, counts=counts, status=status,
                           components=settings.components, locales=settings.locales,
                           labels={c.name: c.label for c in settings.components})
