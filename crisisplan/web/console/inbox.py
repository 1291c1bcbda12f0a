"""The inbox: complaints by channel, who has each, the time left to the promised first answer, the reply composer
(a private post, reviewed like every post), the answer to "is it fixed?", and the topics week on week."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from crisisplan.web import services
from crisisplan.web.auth import require
from crisisplan.web.console import actor, bp, now, spoken
from crisisplan.web.console.charts import paired_bar_chart


def _back() -> Response:
    """Back to the inbox as the person had it filtered (only ever this site's inbox: never an open redirect)."""
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/console/inbox") and "//" not in back else url_for("console.inbox"))


@bp.route("/inbox")
@require("viewer")
def inbox() -> str:
    args = request.args
    page = services().inbox(args.get("channel", ""), args.get("state", "unanswered"), args.get("owner", ""),
                            args.get("topic", ""), me=g.account.name)
    chart = paired_bar_chart("chart-topics", "Complaints by topic: the last 7 days against the 7 before",
                             "One pair of bars a topic; the table below gives the same counts.",
                             [(t.topic, t.this_week, t.last_week) for t in page.topics], ("last 7 days", "7 before"))
    people = services().responders() if g.account.may("responder") else []
    settings = services().plan.settings
    support = {c.name: c.label for c in settings.support}  # channels and components by their name, not their id
    components = {c.name: c.label for c in settings.components}
    return render_template("console/inbox.html", page=page, chart=chart, people=people, left=_left,
                           channel_name=lambda name: support.get(name) or name,
                           topic_name=lambda name: components.get(name) or name)


def _left(item: Any) -> tuple[str, str]:
    """The first answer's time, as the row says it, and its colour: answered in or late, else time left."""
    if item.answered_at is not None:
        took = item.answered_at - item.signal.at
        late = item.answered_at > item.due
        if late:
            return gettext("answered in %(time)s, %(late)s late", time=spoken(took),
                           late=spoken(item.answered_at - item.due)), "red"
        return gettext("answered in %(time)s", time=spoken(took)), ""
    if item.trolling:
        return gettext("no answer due: judged trolling"), ""
    left = item.due - now()
    if left.total_seconds() <= 0:
        return gettext("%(time)s overdue", time=spoken(-left)), "red"
    return gettext("%(time)s left", time=spoken(left)), "amber" if left.total_seconds() <= 300 else ""


@bp.route("/inbox/<int:signal_id>/take", methods=["POST"])
@require("responder")
def inbox_take(signal_id: int) -> Response:
    owner = request.form.get("owner")
    row = services().take_signal(signal_id, actor(), owner if owner is not None else None)
    name = (row.data.get("owner") or {}).get("name")
    flash(f"Complaint {signal_id}: {name} has it." if name else f"Complaint {signal_id}: nobody has it now.", "ok")
    return _back()


@bp.route("/inbox/<int:signal_id>/reply", methods=["POST"])
@require("communicator")
def inbox_reply(signal_id: int) -> Response:
    form = request.form
    words = {k: form.get(k, "") for k in ("reason", "alternative")}
    post = services().reply_to_signal(signal_id, form.get("kind", ""), actor(), form.get("text") or None, words)
    flash(f"Reply drafted to complaint {signal_id}: check it, then put it through review and publish it.", "ok")
    return redirect(url_for("console.post", post_id=post.id))


@bp.route("/inbox/<int:signal_id>/fixed", methods=["POST"])
@require("responder")
def inbox_fixed(signal_id: int) -> Response:
    form = request.form
    services().record_fix_answer(signal_id, form.get("answer", ""), actor(), form.get("note", ""))
    flash(f"Complaint {signal_id}: their answer is recorded.", "ok")
    return _back()
