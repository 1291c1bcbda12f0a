"""Posts: drafting one for an incident, the editor with its live tone check, review, publishing, CAP."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from crisisplan import textgate
from crisisplan.comms import approval
from crisisplan.comms.approval import approved_after
from crisisplan.comms.channels import CHANNELS, render
from crisisplan.comms.delivery import PRIMARY, verdict
from crisisplan.comms.markdown import to_html
from crisisplan.comms.tone import Context, check
from crisisplan.comms.tone_plan import plan_tone
from crisisplan.errors import CrisisplanError
from crisisplan.web import cap, services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, attempt, back, bp, form_version, when, words


@bp.route("/incidents/<int:incident_id>/posts", methods=["POST"])
@require("communicator")
def draft(incident_id: int) -> Response:
    holder: list[Any] = []
    if attempt(lambda: holder.append(services().draft_post(incident_id, request.form.get("kind", ""), actor())),
               "Drafted."):
        return redirect(url_for("console.post", post_id=holder[0].id))
    return back(incident_id)


def _post_page(post_id: int, texts: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    svc = services()
    page = svc.post_page(post_id)  # one read: the post with its incident, its outbox messages
    row, incident_, view = page.post, page.incident, page.view
    checks = svc.post_checks(row, incident_)
    channels = row.channels if row.status == "published" and row.channels else verdict(checks)
    policy = svc.policy(incident_)
    return render_template(
        "console/post.html", post=row, view=view, checks=checks, channels=channels, policy=policy,
        locales=svc.plan.settings.locales, texts=texts or {}, CHANNELS=CHANNELS, PRIMARY=PRIMARY,
        private=page.private, audience=svc.plan.runbook(incident_.runbook_id).audience(row.kind),
        delivery=page.delivery,  # published: each channel as it is, from the outbox
        preview={loc: Markup(to_html(text)) for loc, text in row.bodies.items()},  # noqa: S704 - nh3-sanitised
        may_approve=g.account.may("approver") and row.status == "in_review"
        and not (policy == "two" and row.author == actor()),
        last_approval=row.status == "in_review" and row.author != actor() and approved_after(
            policy, row.author, [*row.approvals, {"by": actor()}], svc.required_approver(incident_, row.kind)),
        blockers=_blockers(row, incident_, view, checks, policy),
    ), status


def _blockers(row: Any, incident_: Any, view: Any, checks: list[Any], policy: str) -> list[str]:
    """What keeps a post from going out now, in words (empty: the Publish button shows). Publishing checks it
    all again; this only spares a button that would be refused."""
    svc, why = services(), []
    required = svc.required_approver(incident_, row.kind)
    if not approval.ready_to_publish(policy, row.status, row.author, row.approvals, required):
        need = {"one": "the approval of somebody other than its author",
                "two": "the approvals of two people other than its author"}.get(policy, "")
        need = " and ".join(n for n in (need, f"the approval of {required}" if required else "") if n)
        why.append(f"it needs {need}" + (" (submit it for review)" if row.status == "draft" else ""))
    runbook = svc.plan.runbook(view.runbook_id)
    steps = [o for o in view.options if o.post == row.kind]  # an update may take one of two steps: one will do
    if steps and not any(o.allowed for o in steps):
        why += words.why_not(runbook, steps[0].blocked_by)
    blocking = sorted({f.rule.replace("_", " ") for c in checks if c.channel == PRIMARY for f in c.findings
                       if f.severity == "block"})
    if blocking:
        why.append("the tone check blocks it (" + ", ".join(blocking) + ")")
    why += [f"the {loc} text is stale" for loc in row.stale_locales or []]
    if not row.bodies or row.render_error:
        why.append("it has no complete text")
    return why


@bp.route("/posts/<int:post_id>")
@require("viewer")
def post(post_id: int) -> tuple[str, int]:
    return _post_page(post_id)


@bp.route("/posts/<int:post_id>/edit", methods=["POST"])
@require("communicator")
def edit(post_id: int) -> Any:
    svc = services()
    row = svc.post(post_id)
    texts = {k: v.replace("\r\n", "\n") for k, v in request.form.items() if k.startswith(("body_", "short_"))}
    try:
        promise = when(request.form.get("next_update", ""))
        version = form_version()
        changes = [(loc, False, texts[f"body_{loc}"]) for loc in row.bodies if f"body_{loc}" in texts
                   and texts[f"body_{loc}"] != row.bodies.get(loc)]
        changes += [(loc, True, texts[f"short_{loc}"]) for loc in (row.short_bodies or {})
                    if f"short_{loc}" in texts and texts[f"short_{loc}"] != row.short_bodies.get(loc)]
        if not changes and promise is None:
            flash("Nothing changed.")
            return redirect(url_for("console.post", post_id=post_id))
        together = tuple({loc for loc, _, _ in changes})  # edited in one save: none is stale after the others
        for i, (locale, short, text) in enumerate(changes or [(None, False, None)]):
            svc.edit_post(post_id, text, actor(), locale, short, promise if i == 0 else None,
                          expected_version=version, together=together)
            version = None  # the first change checked what you saw; the rest follow it
    except CrisisplanError as error:
        flash(str(error), "error")
        return _post_page(post_id, texts, 409 if "changed since" in str(error) else 422)
    flash("Saved. Any approval was withdrawn: the text changed.")
    return redirect(url_for("console.post", post_id=post_id))


def _review(post_id: int, action: Any, success: str) -> Response:
    attempt(action, success)
    return redirect(url_for("console.post", post_id=post_id))


@bp.route("/posts/<int:post_id>/submit", methods=["POST"])
@require("communicator")
def submit(post_id: int) -> Response:
    return _review(post_id, lambda: services().submit_post(post_id, actor()), "Submitted for review.")


@bp.route("/posts/<int:post_id>/approve", methods=["POST"])
@require("approver")
def approve(post_id: int) -> Response:
    return _review(post_id, lambda: services().approve_post(post_id, actor()), "Approved.")


@bp.route("/posts/<int:post_id>/approve-publish", methods=["POST"])
@require("approver")
def approve_publish(post_id: int) -> Response:
    """The last approval and the publication, in one action and one change."""
    return _review(post_id, lambda: services().approve_and_publish(post_id, actor()), "Approved and published.")


@bp.route("/posts/<int:post_id>/reject", methods=["POST"])
@require("approver")
def reject(post_id: int) -> Response:
    return _review(post_id, lambda: services().reject_post(post_id, actor(), request.form.get("comment", "")),
                   "Sent back to the author.")


@bp.route("/posts/<int:post_id>/publish", methods=["POST"])
@require("communicator")
def publish(post_id: int) -> Response:
    def go() -> None:
        services().publish_post(post_id, actor(), when(request.form.get("at", ""), "at"))

    return _review(post_id, go, "Published." if not request.form.get("at") else "Scheduled.")


@bp.route("/posts/<int:post_id>/confirm-locale", methods=["POST"])
@require("communicator")
def confirm_locale(post_id: int) -> Response:
    locale = request.form.get("locale", "")
    return _review(post_id, lambda: services().confirm_locale(post_id, locale, actor()),
                   f"The {locale} text is confirmed unchanged.")


@bp.route("/posts/<int:post_id>/delivery/<channel>/retry", methods=["POST"])
@require("communicator")
def retry_delivery(post_id: int, channel: str) -> Response:
    ids = services().retry_delivery(post_id, channel)
    flash(f"{len(ids)} message(s) back in the queue; the worker tries them within seconds." if ids else
          "Nothing on that channel has failed.", "ok" if ids else "error")
    return redirect(url_for("console.post", post_id=post_id))


@bp.route("/posts/<int:post_id>/redraft", methods=["POST"])
@require("communicator")
def redraft(post_id: int) -> Response:
    return _review(post_id, lambda: services().redraft_post(post_id, actor()), "Written again from the templates.")


@bp.route("/lint", methods=["POST"])
@require("viewer")
def lint() -> Response:
    """Live tone check for the editor: findings and length of a text on a channel."""
    data = request.get_json(silent=True) or {}
    text, locale = str(data.get("text", "")), str(data.get("locale", "en"))
    channel = str(data.get("channel", PRIMARY))
    if channel not in CHANNELS:
        error = {"code": "invalid", "message": f"unknown channel '{channel[:40]}'", "field": "channel"}
        return jsonify({"error": error}), 422
    if len(text) > textgate.TEXT_MAX:  # the checks cost time by the character: a post is never this long
        error = {"code": "invalid", "field": "text",
                 "message": f"the text is {len(text):,} characters long; at most {textgate.TEXT_MAX:,} are checked"}
        return jsonify({"error": error}), 422
    post_id = data.get("post")
    if isinstance(post_id, int) and not isinstance(post_id, bool) and 1 <= post_id <= textgate.ID_MAX:
        row = services().post(post_id)
        ctx = services().tone_context(services().incident(row.incident_id), locale, row.kind, channel)
    else:
        tone, org = services().plan.settings.tone, services().plan.settings.organisation
        kind = data.get("kind") if isinstance(data.get("kind"), str) else None
        audience = data.get("audience") if data.get("audience") in ("public", "private", "internal") else "public"
        ctx = Context(locale=locale, kind=kind, channel=channel, jargon=tuple(tone.jargon), audience=audience,
                      block=tuple(tone.block), own_contacts=(org.support_email, org.phone),
                      **plan_tone(services().plan.settings))
    rendering = render(text, channel)
    findings = check(text, ctx, rendering)
    return jsonify({"findings": [f.as_dict() for f in findings], "length": rendering.length,
                    "limit": rendering.limit, "unit": rendering.unit, "over_limit": rendering.over_limit,
                    "summary": rendering.summary()})


@bp.route("/posts/<int:post_id>/cap.xml")
@require("viewer")
def post_cap(post_id: int) -> Response:
    """The CAP document of a published post, drills included (they say Exercise): never public for a drill."""
    row = services().post(post_id)
    drill = services().get(row.incident_id).is_drill
    found = cap.find(post_id, drill_id=row.incident_id if drill else None)
    if not found:
        abort(404, "only a published post has a CAP document")
    return Response(cap.alert(*found, drill=drill), content_type=cap.CONTENT_TYPE)
