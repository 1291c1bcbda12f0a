"""People: the console's users and the API's tokens, managed by an admin; a new secret is shown once.

Changing a person (disable, enable, remove, role, password) takes two steps: the form asks, a
confirmation page says what will happen, and only its button changes anything.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from crisisplan.errors import CrisisplanError
from crisisplan.services.accounts import ROLES
from crisisplan.web import accounts
from crisisplan.web.auth import require
from crisisplan.web.console import actor, bp
from crisisplan.web.vocabulary import N_, say

# what each change does, in the confirmation's words
CHANGES = {  # each question, then what is said when it is done
    "disable": (N_("Disable %(name)s: they cannot log in, and every session they have ends now."),
                N_("%(name)s is disabled.")),
    "enable": (N_("Enable %(name)s: they can log in again."), N_("%(name)s is enabled.")),
    "remove": (N_("Remove %(name)s for good: the account is deleted (the audit trail keeps what they did)."),
               N_("%(name)s is removed.")),
    "role": (N_("Make %(name)s %(role)s: every session they have ends, and the new role holds from their next "
                "login."), N_("%(name)s is now %(role)s.")),
    "passwd": (N_("Give %(name)s a new password: every session they have ends."), N_("%(name)s has a new password.")),
}


def _page(shown: dict[str, str] | None = None) -> Any:
    return render_template("console/people.html", users=accounts().users(), tokens=accounts().tokens(),
                           roles=ROLES, shown=shown or {})


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
    return _page(shown)


@bp.route("/people/change", methods=["POST"])
@require("admin")
def change_person() -> Any:
    form = request.form
    what, name, role = form.get("change", ""), form.get("name", ""), form.get("role", "")
    if what not in CHANGES:
        flash(_("unknown change '%(what)s'; changes are %(known)s", what=what[:40], known=", ".join(CHANGES)), "error")
        return redirect(url_for("console.people"))
    if form.get("confirm") != "yes":
        return render_template("console/people_confirm.html", what=what, name=name, role=role,
                               password=form.get("password", ""),
                               question=_(CHANGES[what][0], name=name, role=say(role)))
    try:
        shown = _apply(what, name, role, form.get("password") or None)
    except CrisisplanError as error:
        flash(str(error), "error")
        return redirect(url_for("console.people"))
    if shown:
        return _page(shown)  # a generated password is shown once, on this answer only
    flash(_(CHANGES[what][1], name=name, role=say(role)))
    return redirect(url_for("console.people"))


def _apply(what: str, name: str, role: str, password: str | None) -> dict[str, str]:
    if what == "disable":
        accounts().disable_user(name, actor())
    elif what == "enable":
        accounts().enable_user(name, actor())
    elif what == "remove":
        accounts().remove_user(name, actor())
    elif what == "role":
        accounts().set_role(name, role, actor())
    else:
        secret = accounts().set_password(name, password, actor())
        return {"user": name, "password": "" if password else secret}
    return {}
