"""Signals in: alerts from Alertmanager, triage overrides, the list (complaints: services/complaints.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from crisisplan.errors import InvalidInput, NotFound
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.unit import UnitOfWork
from crisisplan.signals import SignalAction
from crisisplan.store.models import (
    IncidentRow,
    SignalRow,
)

ABANDONED_AFTER = timedelta(seconds=60)  # an alert claimed this long ago and not acted on: its handler died


class SignalCommands(UnitOfWork):
    """What reaches the team from outside (alerts, complaints, mentions), recorded, triaged and acted on."""

    def receive_alerts(self, payload: Any, actor: str = "alertmanager") -> dict[str, Any]:
        """Alertmanager's webhook: each alert declares an incident (a route with a runbook), joins the open
        incident of its fingerprint or alert group, or is only recorded. A resolved alert never resolves an
        incident: it tells the incident that resolving may be due. A repeat of an alert is recorded once.
        One POST is one transaction: all its alerts are recorded and acted on, or none (and Alertmanager resends)."""

        from crisisplan.signals import alerts

        group_key, truncated, received = alerts.parse(payload)
        known = {c.name for c in self.plan.settings.components}
        result: dict[str, Any] = {"declared": [], "attached": [], "recorded": 0, "duplicates": 0,
                                  "resolve_proposed": [], "truncated": truncated}
        notes: dict[int, list[tuple[str, dict[str, Any]]]] = {}  # incident -> what its alerts add to its trail
        with self.db.batch() as batch:  # the whole POST in one transaction, with one audit checkpoint
            # alert POSTs take turns: of two that find no open incident for one group, only one declares
            self.db.take_turns(batch, "alertmanager")
            # the open incidents the POST's group joined, read once and kept up to date: a storm of one group
            # costs one lookup an alert (its fingerprint), not a scan of every alert recorded before it
            group = self._joined(SignalRow.group_key, {group_key}).get(group_key, set()) if group_key else set()
            prints = self._joined(SignalRow.fingerprint, {a.fingerprint for a in received if a.fingerprint})
            # alert POSTs take turns (above; SQLite's writers always do): what is recorded already is known here,
            # so each new alert is one row added, with no savepoint and no update of its own
            claimed = self._claimed({a.source_id for a in received})
            for alert in received:
                when = alert.starts_at if alert.status == "firing" else alert.ends_at or self.clock.now()
                if alert.source_id in claimed:  # a repeat, or a claim an older version never acted on
                    taken = self._abandoned_alert(alert.source_id) if claimed[alert.source_id] else None
                    if taken is None:
                        result["duplicates"] += 1
                        continue
                    row = batch.get(SignalRow, taken)
                else:
                    row = SignalRow(source="alertmanager", source_id=alert.source_id, received_at=self.clock.now(),
                                    at=when, status=alert.status, title=alert.title, fingerprint=alert.fingerprint,
                                    group_key=group_key, action=SignalAction.RECEIVED,
                                    data={"labels": alert.labels, "annotations": alert.annotations,
                                          "generator_url": alert.generator_url})
                    batch.add(row)
                claimed[alert.source_id] = False  # the same alert twice in one POST: once
                facts = {"signal": row, "alert": alert.title, "fingerprint": alert.fingerprint,
                         "labels": alert.labels}
                joined = prints.get(alert.fingerprint, set()) | group
                incident_id, action = self._newest_open(joined), SignalAction.RECORDED
                if alert.status == "resolved":
                    if incident_id:
                        notes.setdefault(incident_id, []).append(("resolve_proposed", {
                            **facts, "reason": "the alert resolved; resolve when the public can be told"}))
                        result["resolve_proposed"].append(incident_id)
                elif incident_id:
                    notes.setdefault(incident_id, []).append(("alert_attached", facts))
                    action = SignalAction.ATTACHED
                    result["attached"].append(incident_id)
                else:
                    route = alerts.route_for(alert, self.plan.settings.signals.alertmanager.routes)
                    if route is not None and route.runbook:
                        component = alert.labels.get(route.components_label, "")
                        view = self.declare(route.runbook, route.severity or "", alert.title, actor,
                                            [component] if component in known else [])
                        notes.setdefault(view.id, []).append(("alert_attached", facts))
                        incident_id, action = view.id, SignalAction.DECLARED
                        joined = {(view.id, route.runbook, view.state)}
                        result["declared"].append(view.id)
                if action == SignalAction.RECORDED and not incident_id:
                    result["recorded"] += 1
                row.incident_id, row.action = incident_id, action
                if incident_id:  # the next alerts of its group or fingerprint find the incident this one joined
                    now_joined = {found for found in joined if found[0] == incident_id}
                    group |= now_joined if group_key else set()
                    prints.setdefault(alert.fingerprint, set()).update(now_joined if alert.fingerprint else ())
            batch.flush()  # the new rows get their ids, for the notes
            for incident_id, noted in notes.items():  # one change an incident, however many alerts it took
                with self.change(incident_id) as work:
                    for kind, payload in noted:
                        work.note(kind, actor, **{**payload, "signal": payload["signal"].id})
        return result

    def _claimed(self, source_ids: set[str]) -> dict[str, bool]:
        """Of these alerts, those recorded already: source id -> whether that claim was never acted on."""
        found: dict[str, bool] = {}
        ordered = sorted(source_ids)
        with self.db.read() as session:
            for start in range(0, len(ordered), 500):
                found.update({source_id: action == SignalAction.RECEIVED for source_id, action in session.execute(
                    select(SignalRow.source_id, SignalRow.action).where(
                        SignalRow.source == "alertmanager", SignalRow.source_id.in_(ordered[start:start + 500])))})
        return found

    def _abandoned_alert(self, source_id: str) -> int | None:
        """A resend of an alert whose first delivery was claimed but never acted on (the process died between
        recording and declaring): taken over once that claim is surely dead, so the resend declares instead of
        being dropped as a repeat. None for a real repeat, or a claim still being worked on."""
        now = self.clock.now()
        with self.db.write() as session:
            query = select(SignalRow).where(SignalRow.source == "alertmanager", SignalRow.source_id == source_id)
            row = session.scalars(query if self.db.is_sqlite else query.with_for_update()).one_or_none()
            if row is None or row.action != SignalAction.RECEIVED or now - row.received_at < ABANDONED_AFTER:
                return None
            row.received_at = now  # the claim is this request's now
            return row.id

    def _joined(self, column: Any, values: set[str]) -> dict[str, set[tuple[int, str, str]]]:
        """Per fingerprint (or group), the open real incidents (id, runbook, state) an alert with it joined."""
        found: dict[str, set[tuple[int, str, str]]] = {}
        ordered = sorted(values)
        with self.db.read() as session:
            for start in range(0, len(ordered), 500):  # a few hundred a statement, within any database's limits
                for value, *incident in session.execute(
                        select(column, IncidentRow.id, IncidentRow.runbook_id, IncidentRow.state).join(
                            SignalRow, SignalRow.incident_id == IncidentRow.id)
                        .where(column.in_(ordered[start:start + 500]), IncidentRow.closed.is_(False),
                               IncidentRow.is_drill.is_(False)).distinct()):
                    found.setdefault(value, set()).add(tuple(incident))
        return found

    def _newest_open(self, joined: set[tuple[int, str, str]]) -> int | None:
        """Of those incidents, the newest not yet resolved."""
        for incident_id, runbook_id, state in sorted(joined, reverse=True):
            states = {s.name: s for s in self.plan.runbook(runbook_id).states}
            if state in states and states[state].public_status != "resolved" and not states[state].final:
                return incident_id
        return None

    def contact_load(self) -> tuple[dict[int, float], int]:
        """Complaints and incidents recorded so far, as an average day: contacts per hour of the day (in the
        organisation's time zone), and over how many days."""
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(self.plan.settings.organisation.time_zone)
        with self.db.read() as session:
            moments = list(session.scalars(select(SignalRow.at).where(SignalRow.source == "complaint")))
            moments += list(session.scalars(select(IncidentRow.declared_at).where(IncidentRow.is_drill.is_(False))))
        local = [m.astimezone(tz) for m in moments]
        days = len({m.date() for m in local}) or 1
        per_hour: dict[int, float] = {}
        for moment in local:
            per_hour[moment.hour] = per_hour.get(moment.hour, 0) + 1 / days
        return per_hour, days

    def override_triage(self, signal_id: int, changes: dict[str, str], actor: str) -> SignalRow:
        """The team's own judgement beside the assessment: severity or legitimacy."""
        allowed = {"severity": ("high", "normal"), "legitimacy": ("legitimate", "trolling", "unclear")}
        for key, value in changes.items():
            if key not in allowed or value not in allowed[key]:
                raise InvalidInput(f"{key} can be {', '.join(allowed.get(key, ()))}", field=key)
        with self.db.write() as session:
            row = session.get(SignalRow, signal_id)
            if row is None or row.source != "complaint":
                raise NotFound(f"no complaint {signal_id}")
            override = {**row.data.get("override", {}), **changes, "by": actor, "at": self.clock.now().isoformat()}
            note_admin_in(session, self.db, self.clock.now(), actor, "triage_overridden", {"signal": row.id, **changes})
            row.data = {**row.data, "override": override}
            return row

    def signals(self, limit: int = 200) -> list[SignalRow]:
        """The latest alerts and complaints received, newest first."""
        with self.db.read() as session:
            return list(session.scalars(select(SignalRow).order_by(SignalRow.id.desc()).limit(limit)))
