"""Signals in: alerts from Alertmanager, complaints and mentions, triage overrides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from crisisplan import textgate
from crisisplan.duration import format_duration
from crisisplan.errors import InvalidInput, NotFound
from crisisplan.services.audit_trail import note_admin_in
from crisisplan.services.replies import ANSWER_BY, COMPLAINANT
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
        from sqlalchemy.exc import IntegrityError

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
            for alert in received:
                when = alert.starts_at if alert.status == "firing" else alert.ends_at or self.clock.now()
                try:  # claim it first: of two deliveries of one alert, one acts
                    with self.db.write() as session:
                        row = SignalRow(source="alertmanager", source_id=alert.source_id,
                                        received_at=self.clock.now(), at=when, status=alert.status,
                                        title=alert.title, fingerprint=alert.fingerprint, group_key=group_key,
                                        action=SignalAction.RECEIVED,
                                        data={"labels": alert.labels, "annotations": alert.annotations,
                                              "generator_url": alert.generator_url})
                        session.add(row)
                        session.flush()
                        signal_id = row.id
                except IntegrityError:
                    taken = self._abandoned_alert(alert.source_id)
                    if taken is None:
                        result["duplicates"] += 1
                        continue
                    signal_id = taken
                facts = {"signal": signal_id, "alert": alert.title, "fingerprint": alert.fingerprint,
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
                row = batch.get(SignalRow, signal_id)
                row.incident_id, row.action = incident_id, action
                if incident_id:  # the next alerts of its group or fingerprint find the incident this one joined
                    now_joined = {found for found in joined if found[0] == incident_id}
                    group |= now_joined if group_key else set()
                    prints.setdefault(alert.fingerprint, set()).update(now_joined if alert.fingerprint else ())
            for incident_id, noted in notes.items():  # one change an incident, however many alerts it took
                with self.change(incident_id) as work:
                    for kind, payload in noted:
                        work.note(kind, actor, **payload)
        return result

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

    def _open_incident_for(self, fingerprint: str, group_key: str) -> int | None:
        """The newest real incident, not yet resolved, that an alert of this fingerprint or group joined."""
        from sqlalchemy import or_

        with self.db.read() as session:
            same = or_(*([SignalRow.fingerprint == fingerprint] if fingerprint else []),
                       *([SignalRow.group_key == group_key] if group_key else []))
            rows = session.execute(
                select(IncidentRow.id, IncidentRow.runbook_id, IncidentRow.state).join(
                    SignalRow, SignalRow.incident_id == IncidentRow.id)
                .where(same, IncidentRow.closed.is_(False), IncidentRow.is_drill.is_(False))
                .order_by(IncidentRow.id.desc())).all()
        for incident_id, runbook_id, state in rows:
            states = {s.name: s for s in self.plan.runbook(runbook_id).states}
            if state in states and states[state].public_status != "resolved" and not states[state].final:
                return incident_id
        return None

    def receive_complaint(self, channel: str, author: str, reach: int, text: str, link: str = "",
                          at: datetime | None = None, source_id: str = "", locale: str | None = None,
                          actor: str = "", extra: dict[str, Any] | None = None) -> tuple[SignalRow, bool]:
        """Record a complaint or mention once (by source id), triage it, and act as the plan says: join the
        incident it is about, declare one (reach, legal or safety words, or a burst on one topic), or only
        record it; escalate along the matrix. `extra` is what a connector knows besides (the author's display
        name, the thread a reply needs, the connector's name), kept with the signal. Returns (the signal,
        whether it was new)."""
        import hashlib

        from sqlalchemy.exc import IntegrityError

        from crisisplan.signals import triage

        channel, author, text, link, source_id = _complaint(channel, author, reach, text, link, source_id)
        now = self.clock.now()
        at = at or now
        source_id = source_id or hashlib.sha256(f"{channel}|{author}|{text}|{at.isoformat()}".encode()).hexdigest()
        settings = self.plan.settings
        rules = settings.signals.complaints
        components = {c.name: c.label for c in settings.components}
        said = {c.name: [c.label, *c.labels.values()] for c in settings.components}  # in any of our languages
        known = [triage.KnownIncident(v.id, v.title, [w for c in v.components for w in said.get(c, [c])]
                                      + v.components)
                 for v in self.status() if not v.is_drill and v.public_status not in (None, "resolved")]
        thresholds = triage.Thresholds(rules.declare_reach, rules.high_reach, rules.burst_count,
                                       int(rules.burst_within.total_seconds() // 60))
        verdict = triage.assess(text, reach, known, components, thresholds, locale,
                                languages=(settings.default_locale, *settings.locales))
        topic_key = f"topic:{verdict.topic}"
        try:
            with self.db.write() as session:
                row = SignalRow(source="complaint", source_id=source_id[:300], received_at=now, at=at, status="open",
                                title=text.strip().splitlines()[0][:200], fingerprint="", group_key=topic_key,
                                action=SignalAction.RECORDED,
                                data={**(extra or {}), "channel": channel, "author": author, "reach": reach,
                                      "text": text, "link": link, "triage": verdict.as_dict()})
                session.add(row)
                session.flush()
                signal_id = row.id
        except IntegrityError:
            with self.db.read() as session:
                return session.scalars(select(SignalRow).where(SignalRow.source == "complaint",
                                                               SignalRow.source_id == source_id[:300])).one(), False
        with self.db.read() as session:
            recent = session.scalar(select(func.count()).select_from(SignalRow).where(
                SignalRow.source == "complaint", SignalRow.group_key == topic_key,
                SignalRow.at >= at - rules.burst_within, SignalRow.at <= at))
        burst = verdict.legitimacy != "trolling" and verdict.topic != "general" and recent >= rules.burst_count
        facts = {"signal": signal_id, "channel": channel, "author": author, "reach": reach}
        escalations = self._escalations(verdict, at)
        answer_by = self._answer_by(escalations, channel, at)  # the one time this customer is told
        incident_id = verdict.known_incident or self._open_incident_for("", topic_key)
        action = SignalAction.RECORDED
        if incident_id:
            self.record_note(incident_id, "complaint_attached", actor or "triage", **facts)
            action = SignalAction.ATTACHED
        elif verdict.declare or burst:
            runbook = self.plan.runbook(rules.runbook)
            severity = runbook.severities[0 if verdict.severity == "high" or burst else -1].name
            label = components.get(verdict.topic, verdict.topic)
            title = (f"{recent} complaints about {label} in {format_duration(rules.burst_within)}" if burst
                     else f"Complaint on {channel} from {author or 'someone'} ({reach:,} followers)")
            fields = {"assessment": "; ".join(verdict.reasons)}
            if not burst and verdict.holding_reply:  # one person's complaint: their replies name one tracked time
                fields[ANSWER_BY] = answer_by.isoformat()
            if not burst and author.strip():
                fields[COMPLAINANT] = author.strip()  # private: the personal_data rule keeps it out of public posts
            if verdict.topic != "general":
                fields["topic"] = label
            view = self.declare(rules.runbook, severity, title, actor or "triage",
                                [verdict.topic] if verdict.topic in components else [], fields)
            self.record_note(view.id, "complaint_attached", actor or "triage", **facts,
                             reason="burst" if burst else "triage")
            incident_id, action = view.id, SignalAction.DECLARED
            if burst:  # the earlier complaints of the burst belong to it too
                with self.db.write() as session:
                    for earlier in session.scalars(select(SignalRow).where(
                            SignalRow.group_key == topic_key, SignalRow.incident_id.is_(None),
                            SignalRow.at >= at - rules.burst_within)):
                        earlier.incident_id, earlier.action = view.id, SignalAction.ATTACHED
        for step in escalations:
            if incident_id:
                self.record_note(incident_id, "escalated", actor or "triage", **facts, **step)
        with self.db.write() as session:
            row = session.get(SignalRow, signal_id)
            row.incident_id, row.action = incident_id, action
            runbook = self.plan.runbook(rules.runbook)
            proposal = {"incident": incident_id} if incident_id else {
                "runbook": rules.runbook,
                "severity": runbook.severities[0 if verdict.severity == "high" else -1].name,
                "declare": "now" if action == SignalAction.DECLARED else "if more come"}
            row.data = {**row.data, "escalations": escalations, "proposal": proposal,
                        **({"answer_by": answer_by.isoformat()} if verdict.holding_reply else {}),
                        **self._reply(verdict, escalations, channel, author, at, answer_by)}
        self._fix_answer_from(signal_id)  # their answer to "is it fixed?", when that is what this is
        return row, True

    def import_complaints(self, text: str, name: str, actor: str = "") -> dict[str, int]:
        """A CSV batch (columns channel, text; optional id, author, reach, link, at): checked whole first, so
        a bad line (named with its number) imports nothing; repeats of known ids are counted, not recorded.
        `at` is read by the one rule of `crisisplan.moment`: without an offset, in the organisation's time zone."""
        import csv
        import hashlib
        import io

        from crisisplan.moment import parse_moment

        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        try:
            fieldnames = reader.fieldnames
        except csv.Error as error:
            raise InvalidInput(f"{name} line 1: cannot read it ({error})", field="file") from None
        missing = {"channel", "text"} - set(fieldnames or [])
        if missing:
            raise InvalidInput(f"{name} line 1: the header needs the column(s) {', '.join(sorted(missing))} "
                               f"(and may have id, author, reach, link, at)", field="file")
        zone, now = self.plan.settings.organisation.time_zone, self.clock.now()
        rows, errors = [], []
        lines = iter(enumerate(reader, start=2))
        while True:
            try:
                number, raw = next(lines)
            except StopIteration:
                break
            except csv.Error as error:  # a field over csv's 128 KB limit, a NUL byte: the file cannot be read
                raise InvalidInput(f"{name} line {reader.line_num + 1}: cannot read it ({error}); nothing was "
                                   "imported", field="file") from None
            try:
                reach = textgate.parse_int((raw.get("reach") or "0").replace(",", "").replace(".", ""), "reach",
                                           0, 10**11)
                at = parse_moment(raw["at"], zone, now, "at") if (raw.get("at") or "").strip() else None
                _complaint(str(raw.get("channel") or ""), str(raw.get("author") or ""), reach,
                           str(raw.get("text") or ""), str(raw.get("link") or ""), str(raw.get("id") or ""))
            except InvalidInput as error:
                errors.append(f"{name} line {number}: {error}")
                continue
            except ValueError as error:
                errors.append(f"{name} line {number}: cannot read it ({error})")
                continue
            rows.append((raw, reach, at))
        if errors:
            raise InvalidInput("; ".join(errors[:10]) + (f" (and {len(errors) - 10} more)" if len(errors) > 10
                                                          else "") + "; nothing was imported", field="file")
        counts = {"new": 0, "duplicates": 0}
        for raw, reach, at in rows:
            # a line without an id gets one from its words, so an import cut short (the database gone) can be
            # sent again whole: the lines already in count as repeats, the rest are recorded
            words = "|".join(str(raw.get(k) or "").strip() for k in ("channel", "author", "text", "link", "at"))
            source_id = (raw.get("id") or "").strip() or "csv-" + hashlib.sha256(words.encode()).hexdigest()[:40]
            _, new = self.receive_complaint(raw["channel"].strip(), (raw.get("author") or "").strip(), reach,
                                            raw["text"], (raw.get("link") or "").strip(), at,
                                            source_id, actor=actor)
            counts["new" if new else "duplicates"] += 1
        return counts

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

    def _escalations(self, verdict: Any, at: datetime) -> list[dict[str, Any]]:
        """The matrix rows the assessment sets off: who takes over and by when."""
        roles = {r.name: r.label for rb in self.plan.runbooks.values() for r in rb.roles}
        return [{"when": row.when, "to": row.to, "to_label": roles.get(row.to, row.to),
                 "by": (at + row.within).isoformat(), "tell_customer": row.tell_customer}
                for key in verdict.escalate for row in self.plan.settings.escalation if row.when == key]

    def _answer_by(self, escalations: list[dict[str, Any]], channel: str, at: datetime) -> datetime:
        """The customer's "by when", one value a complaint: the escalation matrix's time when their case went up
        (and they are told so), else the first-answer time of the channel they wrote on (4 hours without one)."""
        told = next((e for e in escalations if e["tell_customer"]), None)
        if told:
            return datetime.fromisoformat(told["by"])
        support = next((c for c in self.plan.settings.support if c.name == channel), None)
        return at + (support.response if support else timedelta(hours=4))

    def _reply(self, verdict: Any, escalations: list[dict[str, Any]], channel: str, author: str,
               at: datetime, answer_by: datetime) -> dict[str, Any]:
        """What the customer is told now, from the plan's reply templates in their language: that their case went
        up, to whom (in their words, when the catalogue has them) and by when, or a holding reply by the channel's
        answer time; nothing to trolls. Tone-checked like every post, the findings kept beside the reply."""
        from crisisplan.comms.catalogue import catalogue_of
        from crisisplan.comms.channels import CHANNELS
        from crisisplan.comms.context import reply_context
        from crisisplan.comms.render import TemplateError
        from crisisplan.comms.tone import Context, check
        from crisisplan.comms.tone_plan import plan_tone
        from crisisplan.plan.load import REPLY_KINDS

        if not verdict.holding_reply:
            return {"reply": ""}
        settings = self.plan.settings
        locale = verdict.locale if verdict.locale in settings.locales else settings.default_locale
        told = next((e for e in escalations if e["tell_customer"]), None)
        if told:
            kind, team = REPLY_KINDS["escalated"], catalogue_of(self.plan).team(locale, told["to"])
        else:
            kind, team = REPLY_KINDS["holding"], None
        person = author.strip() if author.strip() and "@" not in author.strip()[1:] else None  # a name or @handle
        runbook = settings.signals.complaints.runbook
        path = self.plan.template_path(locale, runbook, kind)
        try:
            if path is None:
                raise TemplateError(f"templates/{locale}/{kind}.md.j2", 1, "template file not found")
            text = self._renderer.render(path, reply_context(settings, locale=locale, now=at, answer_by=answer_by,
                                                             person=person, team=team, channel=channel))
        except TemplateError as error:  # `crisisplan validate` reports it; the team words this one by hand
            return {"reply": "", "reply_kind": kind, "reply_locale": locale, "reply_error": str(error)}
        override = self.plan.runbooks[runbook].tone.block if runbook in self.plan.runbooks else None
        audience = self.plan.runbooks[runbook].audience(kind) if runbook in self.plan.runbooks else "private"
        tone = Context(locale=locale, kind=kind, channel=channel if channel in CHANNELS else "social_short",
                       jargon=tuple(settings.tone.jargon),
                       block=tuple(settings.tone.block if override is None else override),
                       audience=audience,
                       own_contacts=(settings.organisation.support_email, settings.organisation.phone),
                       **plan_tone(settings))
        return {"reply": text.strip(), "reply_kind": kind, "reply_locale": locale,
                "reply_tone": [f.as_dict() for f in check(text.strip(), tone)]}

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


def _complaint(channel: str, author: str, reach: int, text: str, link: str,
               source_id: str) -> tuple[str, str, str, str, str]:
    """A complaint's words through the input gate, checked as one (the CSV import checks every line with it
    before recording any)."""
    text = textgate.clean(text, "text")
    channel = textgate.clean(channel, "channel", 64, one_line=True)
    author = textgate.clean(author, "author", textgate.LINE_MAX, one_line=True)
    link = textgate.clean(link, "link", 2_000, one_line=True)
    source_id = textgate.clean(source_id, "id", textgate.TITLE_MAX, one_line=True)
    if not text.strip():
        raise InvalidInput("a complaint needs its text", field="text")
    if not channel.strip():
        raise InvalidInput("name the channel it came from (twitter, email, phone…)", field="channel")
    if not 0 <= reach <= 10**11:
        raise InvalidInput("reach is a number of followers, from 0 to 100,000,000,000", field="reach")
    return channel, author, text, link, source_id
