"""The person's own settings: the language the console speaks to them."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale, gettext

from crisisplan.errors import CrisisplanError
from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import bp


@bp.route("/account", methods=["GET", "POST"])
@require("viewer")
def account() -> Any:
    locales = list(services().plan.settings.locales)
    if request.method == "POST":
        chosen = request.form.get("locale", "")
        try:
            current_app.extensions["accounts"].set_locale(g.account.id, chosen, locales)
        except CrisisplanError as error:
            flash(str(error), "error")
            return render_template("console/account.html", locales=locales), 422
        with force_locale(chosen or request.accept_languages.best_match(locales)
                          or services().plan.settings.default_locale):
            flash(gettext("Saved: the console speaks this language to you from now on."))
        return redirect(url_for("console.account"))
    return render_template("console/account.html", locales=locales)
