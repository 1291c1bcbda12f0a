"""How responsive the team has been, read from the record: complaints in, replies delivered."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crisisplan.services.unit import UnitOfWork
from crisisplan.signals.promise import channel_first_answer
from crisisplan.signals.responsiveness import Complaint, figures
from crisisplan.store.models import IncidentRow, OutboxRow, PostRow, SignalRow

_KEY_SIGNAL = re.compile(r"-reply-(\d+)$")  # a private post's reply row: post-<post>-reply-<signal>


def _trolling(data: dict[str, Any]) -> bool:
    """Judged trolling (the team's override first): the plan says not to answer, so it is not counted."""
    judged = (data.get("override") or {}).get("legitimacy") or (data.get("triage") or {}).get("legitimacy")
    return judged == "trolling"


class ResponsivenessReads(UnitOfWork):
    """Share of complaints answered and the median first-answer time, per support channel."""

    def responsiveness(self, days: int = 30, until: datetime | None = None) -> list[dict[str, Any]]:
        """Per channel (the plan's support channels first, then any other a complaint came in on): complaints that
        reached us in the `days` before `until` (default now), how many were answered, the share, and the median
        minutes to the first answer. A complaint is answered when a reply to it was delivered (the outbox's
        record: an e-mail the SMTP server took, a reply a network accepted), up to `until`. Not counted:
        complaints of drills, and those judged trolling (no reply is due). No author, no text: aggregates only."""
        until = until or self.clock.now()
        with self.db.read() as session:
            return self.responsiveness_in(session, self.recent_complaints(session, days, until), until)

    def recent_complaints(self, session: Any, days: int, until: datetime) -> list[Any]:
        """(id, at, data, is_drill) of every complaint that reached us in the `days` before `until`: one statement,
        which the inbox page shares with its topics week on week."""
        return session.execute(
            select(SignalRow.id, SignalRow.at, SignalRow.data, IncidentRow.is_drill)
            .outerjoin(IncidentRow, IncidentRow.id == SignalRow.incident_id)
            .where(SignalRow.source == "complaint", SignalRow.at > until - timedelta(days=days),
                   SignalRow.at <= until)).all()

    def responsiveness_in(self, session: Any, rows: list[Any], until: datetime) -> list[dict[str, Any]]:
        """`responsiveness` of the complaints `recent_complaints` read, inside the caller's session."""
        counted = {sid: (at, data or {}) for sid, at, data, drill in rows if not drill and not _trolling(data or {})}
        first = self._first_answers(session, until, set(counted))
        settings = self.plan.settings
        complaints = [Complaint(str(data.get("channel", "")), at, first.get(sid))
                      for sid, (at, data) in counted.items()]
        labels = {c.name: c for c in settings.support}
        return [{**f.as_dict(), "label": labels[f.channel].label if f.channel in labels else f.channel}
                for f in figures(complaints, [c.name for c in settings.support])]

    def measured_load(self, days: int = 30, until: datetime | None = None) -> tuple[dict[int, float], float]:
        """The load staffing is planned for, measured: complaints per hour of the day (the organisation's time
        zone) as an average day of the last `days` (drills left out), and over how many days — the window, or
        the days since the first complaint on record when that is shorter, so a new install is not diluted."""
        from zoneinfo import ZoneInfo

        until = until or self.clock.now()
        since = until - timedelta(days=days)
        with self.db.read() as session:
            moments = [at for at, drill in session.execute(
                select(SignalRow.at, IncidentRow.is_drill)
                .outerjoin(IncidentRow, IncidentRow.id == SignalRow.incident_id)
                .where(SignalRow.source == "complaint", SignalRow.at > since, SignalRow.at <= until)) if not drill]
            first = session.scalar(select(func.min(SignalRow.at)).where(SignalRow.source == "complaint"))
        if not moments or first is None:
            return {}, float(days)
        span = min(float(days), max((until - first).total_seconds() / 86_400, 1.0))
        zone = ZoneInfo(self.plan.settings.organisation.time_zone)
        per_hour: dict[int, float] = {}
        for moment in moments:
            hour = moment.astimezone(zone).hour
            per_hour[hour] = per_hour.get(hour, 0.0) + 1 / span
        return per_hour, span

    def reply_states(self, rows: list[SignalRow]) -> dict[int, dict[str, Any]]:
        """For each complaint among `rows`: `state` answered (with `answered_at`, its first reply delivered),
        unanswered (with `answer_by`, the time the customer was told, else their channel's first-answer time, and
        `overdue`), or not_due (judged trolling: no reply is sent)."""
        complaints = {r.id: r for r in rows if r.source == "complaint"}
        if not complaints:
            return {}
        now = self.clock.now()
        with self.db.read() as session:
            first = self._first_answers(session, now, set(complaints))
        found: dict[int, dict[str, Any]] = {}
        for sid, row in complaints.items():
            data = row.data or {}
            told = data.get("answer_by")
            # no time was told (judged trolling at first, legitimate since): the channel's, as the inbox counts it
            answer_by = (datetime.fromisoformat(told) if told
                         else channel_first_answer(self.plan.settings, str(data.get("channel", "")), row.at))
            if sid in first:
                found[sid] = {"state": "answered", "answered_at": first[sid], "answer_by": answer_by}
            elif _trolling(data):
                found[sid] = {"state": "not_due", "answered_at": None, "answer_by": None}
            else:
                found[sid] = {"state": "unanswered", "answered_at": None, "answer_by": answer_by,
                              "overdue": bool(answer_by and answer_by <= now)}
        return found

    def _first_answers(self, session: Any, until: datetime, wanted: set[int]) -> dict[int, datetime]:
        """signal id -> when its first reply was delivered (up to `until`): reply rows of the outbox (`email:reply`,
        `<connector>:reply`) naming the signal in their payload (`"signal"`), by their post's `signal_id`, or,
        for the older private-post rows, by their key."""
        answers: dict[int, datetime] = {}
        if not wanted:
            return answers
        answer_of = getattr(PostRow, "signal_id", None)  # the inbox's replies name their complaint on the post
        columns = [OutboxRow.payload, OutboxRow.idempotency_key, OutboxRow.delivered_at]
        query = select(*columns, answer_of) if answer_of is not None else select(*columns)
        if answer_of is not None:
            query = query.outerjoin(PostRow, PostRow.id == OutboxRow.post_id)
        for payload, key, delivered_at, *post_signal in session.execute(query.where(
                OutboxRow.channel.like("%:reply"), OutboxRow.status == "delivered",
                OutboxRow.delivered_at.is_not(None), OutboxRow.delivered_at <= until)):
            signal = _signal_of(payload, key, post_signal[0] if post_signal else None)
            if signal in wanted and (signal not in answers or delivered_at < answers[signal]):
                answers[signal] = delivered_at
        for signal, at in self._by_hand_answers(session, until, wanted).items():
            if signal not in answers or at < answers[signal]:
                answers[signal] = at
        return answers

    def _by_hand_answers(self, session: Any, until: datetime, wanted: set[int]) -> dict[int, datetime]:
        """signal id -> when the first private post answering it was published, for posts crisisplan could not send
        itself (no reply row in the outbox: a handle or a phone number, the team sent the text by hand, and the
        publication is their record of it). A post that went to the outbox counts only once delivered (above).
        The post answers the complaint it names (`signal_id`), else the complaint that declared its incident."""
        from crisisplan.comms import approval
        from crisisplan.comms.audience import PRIVATE

        incidents = set(session.scalars(select(SignalRow.incident_id).where(
            SignalRow.id.in_(wanted), SignalRow.incident_id.is_not(None))))
        if not incidents:
            return {}
        first: dict[int, int] = {}
        declared: dict[int, int] = {}
        for sid, incident_id, action in session.execute(
                select(SignalRow.id, SignalRow.incident_id, SignalRow.action).where(
                    SignalRow.incident_id.in_(incidents), SignalRow.source == "complaint").order_by(SignalRow.id)):
            first.setdefault(incident_id, sid)
            if action == "declared":
                declared.setdefault(incident_id, sid)
        declaring = {**first, **declared}  # incident -> its complainant: the declaring complaint, else the first
        named = getattr(PostRow, "signal_id", None)
        posts = session.execute(
            select(PostRow.id, PostRow.kind, PostRow.published_at, IncidentRow.runbook_id, PostRow.incident_id,
                   *([named] if named is not None else []))
            .join(IncidentRow, IncidentRow.id == PostRow.incident_id)
            .where(PostRow.incident_id.in_(incidents), PostRow.status == approval.PUBLISHED,
                   PostRow.published_at.is_not(None), PostRow.published_at <= until)).all()
        sent = set(session.scalars(select(OutboxRow.post_id).where(
            OutboxRow.post_id.in_([p[0] for p in posts]), OutboxRow.channel.like("%:reply"))))
        answers: dict[int, datetime] = {}
        for post_id, kind, published_at, runbook_id, incident_id, *post_signal in posts:
            if post_id in sent or runbook_id not in self.plan.runbooks:
                continue
            if self.plan.runbook(runbook_id).audience(kind) != PRIVATE:
                continue
            signal = (post_signal[0] if post_signal and post_signal[0] is not None else declaring.get(incident_id))
            if signal in wanted and (signal not in answers or published_at < answers[signal]):
                answers[signal] = published_at
        return answers


def _signal_of(payload: str, key: str, post_signal: int | None) -> int | None:
    try:
        named = json.loads(payload).get("signal")
    except (ValueError, AttributeError):
        named = None
    if isinstance(named, int):
        return named
    if post_signal is not None:
        return post_signal
    found = _KEY_SIGNAL.search(key or "")
    return int(found.group(1)) if found else None
