"""People: the console's users and the API's tokens, added by an admin; a new secret is shown once."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template, request

from crisisplan.errors import CrisisplanError
from crisisplan.services.accounts import ROLES
from crisisplan.web import accounts
from crisisplan.web.auth import require
from crisisplan.web.console import actor, bp


@bp.route("/people", methods=["GET", "POST"])
@require("admin")
def people() -> Any:
    shown: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            if form.get("what") == "token":
                _, token = accounts().add_token(form.get("name", ""), form.get("role", ""), actor())
                shown = {"token": token}
            else:
                account, password = accounts().add_user(form.get("name", ""), form.get("role", ""),
                                                        form.get("password") or None, actor())
                shown = {"user": account.name, "password": password if not form.get("password") else ""}
        except CrisisplanError as error:
            flash(str(error), "error")
    return render_template("console/people.html", users=accounts().users(), tokens=accounts().tokens(),
                           roles=ROLES, shown=shown)
