"""The audit checkpoints, public when the operator says so (CRISISPLAN_PUBLISH_CHECKPOINTS=1): anyone may keep a
copy of what the database cannot take back. Only chain names, lengths, hashes and signatures are in them."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request

from crisisplan.web import services

bp = Blueprint("checkpoints", __name__)


def _published() -> None:
    if not current_app.config.get("PUBLISH_CHECKPOINTS"):
        abort(404)


@bp.route("/audit/checkpoints")
def checkpoints() -> Response:
    _published()
    start = request.args.get("from", "1")
    if not (start.isascii() and start.isdigit() and 1 <= len(start) <= 12 and int(start) >= 1):
        return Response("from: the line number to start at (1 or more)\n", 400, mimetype="text/plain")
    text, _ = services().checkpoint_log(int(start))
    return Response(text, mimetype="application/jsonl", headers={"Cache-Control": "no-cache"})


@bp.route("/audit/public-key")
def public_key() -> Response:
    _published()
    return Response(services().checkpoint_log()[1] + "\n", mimetype="text/plain")
