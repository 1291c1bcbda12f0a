"""Complaints and mentions in, as one use case in three steps, so that a batch of them is all or nothing.

1. **validate** (`_complaint_of`): the words through the input gate, nothing touched yet. The CSV import runs it
   on every line first: a refusal names the line and the field and changes nothing.
2. **act** (`_act_on_complaint`): triage, then join the incident it is about, or declare one (reach, legal or
   safety words, a burst on one topic), escalate along the matrix, word the reply.
3. **claim** (`_claim_complaint`): the signal recorded once by its source id with what was done (a repeat is
   counted, not recorded again, and nothing is done for it), and noted on its incident.

Steps 2 and 3 run for a list of complaints in one transaction (`_take_in`, with what a page shares in intake.py):
`receive_complaint` passes a list of one, `import_complaints` every line of a file, the inbox pull a page of
mentions. A failure on any of them, the database's included, leaves none of them, no declaration and no
escalation behind.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crisisplan import textgate
from crisisplan.duration import format_duration
from crisisplan.errors import Conflict, CrisisplanError, InvalidInput, Unavailable
from crisisplan.services.intake import Page, recorded
from crisisplan.services.replies import ANSWER_BY, COMPLAINANT
from crisisplan.services.unit import UnitOfWork
from crisisplan.signals import SignalAction
from crisisplan.signals.promise import channel_first_answer
from crisisplan.store.models import IncidentRow, SignalRow


@dataclass(frozen=True)
class Complaint:
    """A complaint as checked by the input gate, ready to record."""

    channel: str
    author: str
    reach: int
    text: str
    link: str
    at: datetime
    source_id: str
    locale: str | None = None
    extra: dict[str, Any] | None = None


class ComplaintCommands(UnitOfWork):
    """Complaints and mentions: recorded once, triaged, and acted on as the plan says."""

    def receive_complaint(self, channel: str, author: str, reach: int, text: str, link: str = "",
                          at: datetime | None = None, source_id: str = "", locale: str | None = None,
                          actor: str = "", extra: dict[str, Any] | None = None) -> tuple[SignalRow, bool]:
        """Record a complaint or mention once (by source id), triage it, and act as the plan says: join the
        incident it is about, declare one (reach, legal or safety words, or a burst on one topic), or only
        record it; escalate along the matrix. `extra` is what a connector knows besides (the author's display
        name, the thread a reply needs, the connector's name), kept with the signal. All in one transaction.
        Returns (the signal, whether it was new)."""
        [result] = self._take_in([self._complaint_of(channel, author, reach, text, link, at, source_id, locale,
                                                     extra)], actor)
        return result

    def import_complaints(self, text: str, name: str, actor: str = "") -> dict[str, int]:
        """A CSV batch (columns channel, text; optional id, author, reach, link, at): every line checked first,
        so a bad line (named with its number and field) imports nothing; then every line recorded and acted on
        in one transaction, so a failure while recording (the database's included) imports nothing either.
        Repeats of known ids are counted, not recorded. `at` is read by the one rule of `crisisplan.moment`:
        without an offset, in the organisation's time zone."""
        complaints = self._csv_complaints(text, name)
        counts, page = {"new": 0, "duplicates": 0}, Page()
        try:
            for _, new in self._take_in([complaint for _, complaint in complaints], actor, page):
                counts["new" if new else "duplicates"] += 1
        except (InvalidInput, Conflict, Unavailable) as error:
            line = complaints[min(page.done, len(complaints) - 1)][0] if complaints else 0
            if not isinstance(error, InvalidInput):  # the same words, with the line it happened at
                raise type(error)(f"{name} line {line}: {error}") from None
            raise InvalidInput(f"{name} line {line}: {error}; nothing was imported", field="file") from None
        return counts

    def _csv_complaints(self, text: str, name: str) -> list[tuple[int, Complaint]]:
        """Step 1 for a whole file: every line through the gate, numbered as an editor numbers them (the header
        is line 1); refused with every bad line named (up to 10) if any is."""
        import csv
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
        complaints, errors = [], []
        lines = iter(enumerate(reader, start=2))
        while True:
            try:
                number, raw = next(lines)
            except StopIteration:
                break
            except csv.Error as error:  # a field over csv's 128 KB limit, a NUL byte: the file cannot be read
                raise InvalidInput(f"{name} line {reader.line_num + 1}: cannot read it ({error}); nothing was "
                                   "imported", field="file") from None
            cell = {k: str(raw.get(k) or "") for k in ("channel", "author", "text", "link", "at", "id", "reach")}
            # a line without an id gets one from its words, so a file sent again counts its lines as repeats
            words = "|".join(cell[k].strip() for k in ("channel", "author", "text", "link", "at"))
            source_id = cell["id"].strip() or "csv-" + hashlib.sha256(words.encode()).hexdigest()[:40]
            try:
                reach = textgate.parse_int((cell["reach"] or "0").replace(",", "").replace(".", ""), "reach",
                                           0, 10**11)
                at = parse_moment(cell["at"], zone, now, "at") if cell["at"].strip() else None
                complaints.append((number, self._complaint_of(cell["channel"].strip(), cell["author"].strip(), reach,
                                                              cell["text"], cell["link"].strip(), at, source_id)))
            except InvalidInput as error:
                errors.append(f"{name} line {number}: {error}" + (f" (field {error.field})"
                                                                  if error.field and error.field not in str(error)
                                                                  else ""))
            except ValueError as error:
                errors.append(f"{name} line {number}: cannot read it ({error})")
        if errors:
            raise InvalidInput("; ".join(errors[:10]) + (f" (and {len(errors) - 10} more)" if len(errors) > 10
                                                          else "") + "; nothing was imported", field="file")
        return complaints

    def _complaint_of(self, channel: str, author: str, reach: int, text: str, link: str = "",
                      at: datetime | None = None, source_id: str = "", locale: str | None = None,
                      extra: dict[str, Any] | None = None) -> Complaint:
        """Step 1, validate: the complaint's words through the input gate; nothing is touched."""
        channel, author, text, link, source_id = _complaint(channel, author, reach, text, link, source_id)
        at = at or self.clock.now()
        source_id = source_id or hashlib.sha256(f"{channel}|{author}|{text}|{at.isoformat()}".encode()).hexdigest()
        return Complaint(channel, author, reach, text, link, at, source_id[:300], locale, extra)

    def _take_in(self, complaints: list[Complaint], actor: str, page: Page | None = None) -> list[tuple[SignalRow,
                                                                                                        bool]]:
        """Steps 2 and 3 for a page of complaints, in order, in one transaction (the caller's batch, if it is in
        one): each claimed and acted on exactly as it would be alone, with the page's reads shared (intake.py).
        A failure on any of them leaves none of the page behind; `page.done` says how far it got. Returns (the
        signal, whether it was new) for each."""
        page = page or Page()
        if self.db.in_batch():  # the caller's transaction: a failure is the caller's to handle
            return self._take_in_once(complaints, actor, page)
        try:
            return self._take_in_once(complaints, actor, page)
        except IntegrityError:  # one was recorded by another process after the page read what was: it is a repeat
            page.restart()
            return self._take_in_once(complaints, actor, page)

    def _take_in_once(self, complaints: list[Complaint], actor: str, page: Page) -> list[tuple[SignalRow, bool]]:
        """One try of `_take_in`: what is recorded already read in one query, then each complaint in turn."""
        results = []
        with self.db.batch() as session:
            page.recorded.update(recorded(session, [c.source_id for c in complaints]))
            page.read_times(session, [c.at for c in complaints], self.plan.settings.signals.complaints.burst_within)
            for complaint in complaints:
                results.append(self._record_complaint(complaint, actor, page, session))
                page.done += 1
            self._write_notes(page)
        return results

    def _write_notes(self, page: Page) -> None:
        """The page's audit notes into each incident's chain, in the order they were made."""
        for incident_id, events in page.notes.items():
            with self.change(incident_id) as work:
                work.events.extend(events)
        page.notes.clear()

    def _record_complaint(self, complaint: Complaint, actor: str, page: Page, session: Any) -> tuple[SignalRow, bool]:
        """Steps 2 and 3 of one complaint of a page: triage, decide what to do, record the signal with it and note it
        on its incident (a repeat: nothing)."""
        if complaint.source_id in page.recorded:
            return page.recorded[complaint.source_id], False
        verdict = self._triage(complaint, page)
        incident_id, action, data, notes = self._act_on_complaint(complaint, verdict, actor, page)
        row = self._claim_complaint(complaint, verdict, incident_id, action, data, session)
        page.recorded[complaint.source_id] = row
        page.recorded_at(row.group_key, row.at)
        c = complaint
        facts = {"signal": row.id, "channel": c.channel, "author": c.author, "reach": c.reach}
        for kind, payload in notes:
            page.note(incident_id, kind, actor or "triage", self.clock.now(), **facts, **payload)
        if page.asked is None:
            page.asked = self._fix_checks_asked()
        if page.asked:
            self._write_notes(page)  # the incident's chain as it would be, before its answer is noted
            try:  # their answer to "is it fixed?", when that is what this is (its own savepoint in a batch)
                self._fix_answer_from(row.id, page.asked)
            except CrisisplanError as error:  # the complaint stays recorded; the team reads it and records it
                logging.getLogger(__name__).warning("signal %s: not taken as an answer to 'is it fixed?': %s",
                                                    row.id, error)
        return row, True

    def _triage(self, complaint: Complaint, page: Page) -> Any:
        """The assessment of a complaint against the plan and the incidents open when the page is taken in."""
        from crisisplan.signals import triage

        if page.triage is None:
            settings = self.plan.settings
            rules = settings.signals.complaints
            components = {c.name: c.label for c in settings.components}
            said = {c.name: [c.label, *c.labels.values()] for c in settings.components}  # in any of our languages
            known = [triage.KnownIncident(v.id, v.title, [w for c in v.components for w in said.get(c, [c])]
                                          + v.components)
                     for v in self.status() if not v.is_drill and v.public_status not in (None, "resolved")]
            thresholds = triage.Thresholds(rules.declare_reach, rules.high_reach, rules.burst_count,
                                           int(rules.burst_within.total_seconds() // 60))
            page.triage = (known, components, thresholds, (settings.default_locale, *settings.locales))
        known, components, thresholds, languages = page.triage
        return triage.assess(complaint.text, complaint.reach, known, components, thresholds, complaint.locale,
                             languages=languages)

    def _claim_complaint(self, complaint: Complaint, verdict: Any, incident_id: int | None, action: str,
                         data: dict[str, Any], session: Any) -> SignalRow:
        """Step 2, claim: the signal recorded, with what was done (its source id is not among the recorded ones:
        `_take_in` read them; one recorded at the same moment by another process fails the page, whose retry
        finds it recorded)."""
        c = complaint
        row = SignalRow(source="complaint", source_id=c.source_id, received_at=self.clock.now(), at=c.at,
                        status="open", title=c.text.strip().splitlines()[0][:200], fingerprint="",
                        group_key=f"topic:{verdict.topic}", action=action, incident_id=incident_id,
                        data={**(c.extra or {}), "channel": c.channel, "author": c.author, "reach": c.reach,
                              "text": c.text, "link": c.link, "triage": verdict.as_dict(), **data})
        session.add(row)
        session.flush()
        return row

    def _act_on_complaint(self, complaint: Complaint, verdict: Any, actor: str,
                          page: Page) -> tuple[int | None, str, dict[str, Any], list[tuple[str, dict[str, Any]]]]:
        """Step 3, act: join the incident the complaint is about, or declare one, escalate, and word the reply.
        Returns the incident, the action, what the signal keeps of it, and the notes for the incident's chain."""
        c, at, rules = complaint, complaint.at, self.plan.settings.signals.complaints
        topic_key = f"topic:{verdict.topic}"
        recent = 1 + page.recent(topic_key, at, rules.burst_within)  # the complaint itself counts: it is recorded next
        burst = verdict.legitimacy != "trolling" and verdict.topic != "general" and recent >= rules.burst_count
        escalations = self._escalations(verdict, at)
        answer_by = self._answer_by(escalations, c.channel, at)  # the one time this customer is told
        if not verdict.known_incident and topic_key not in page.open_for:
            page.open_for[topic_key] = self._open_incident_for("", topic_key)
        incident_id = verdict.known_incident or page.open_for[topic_key]
        action, notes = SignalAction.RECORDED, []
        if incident_id:
            action, notes = SignalAction.ATTACHED, [("complaint_attached", {})]
        elif verdict.declare or burst:
            incident_id = self._declare_for_complaint(c, verdict, burst, recent, answer_by, actor, page)
            action, notes = SignalAction.DECLARED, [("complaint_attached", {"reason": "burst" if burst else "triage"})]
        if incident_id:
            notes += [("escalated", step) for step in escalations]
            page.joined(topic_key, incident_id)
        runbook = self.plan.runbook(rules.runbook)
        proposal = {"incident": incident_id} if incident_id else {
            "runbook": rules.runbook,
            "severity": runbook.severities[0 if verdict.severity == "high" else -1].name,
            "declare": "now" if action == SignalAction.DECLARED else "if more come"}
        data = {"escalations": escalations, "proposal": proposal,
                **({"answer_by": answer_by.isoformat()} if verdict.holding_reply else {}),
                **self._reply(verdict, escalations, c.channel, c.author, at, answer_by)}
        return incident_id, action, data, notes

    def _declare_for_complaint(self, c: Complaint, verdict: Any, burst: bool, recent: int, answer_by: datetime,
                               actor: str, page: Page) -> int:
        """Declare the incident a complaint (or a burst of them on one topic) calls for; the burst's earlier
        complaints join it. The new incident's id."""
        rules = self.plan.settings.signals.complaints
        components = {x.name: x.label for x in self.plan.settings.components}
        runbook = self.plan.runbook(rules.runbook)
        severity = runbook.severities[0 if verdict.severity == "high" or burst else -1].name
        label = components.get(verdict.topic, verdict.topic)
        title = (f"{recent} complaints about {label} in {format_duration(rules.burst_within)}" if burst
                 else f"Complaint on {c.channel} from {c.author or 'someone'} ({c.reach:,} followers)")
        fields = {"assessment": "; ".join(verdict.reasons)}
        if not burst and verdict.holding_reply:  # one person's complaint: their replies name one tracked time
            fields[ANSWER_BY] = answer_by.isoformat()
        if not burst and c.author.strip():
            fields[COMPLAINANT] = c.author.strip()  # private: the personal_data rule keeps it out of public posts
        if verdict.topic != "general":
            fields["topic"] = label
        view = self.declare(rules.runbook, severity, title, actor or "triage",
                            [verdict.topic] if verdict.topic in components else [], fields)
        page.declared()
        if burst:  # the earlier complaints of the burst belong to it too
            with self.db.write() as session:
                for earlier in session.scalars(select(SignalRow).where(
                        SignalRow.group_key == f"topic:{verdict.topic}", SignalRow.incident_id.is_(None),
                        SignalRow.at >= c.at - rules.burst_within)):
                    earlier.incident_id, earlier.action = view.id, SignalAction.ATTACHED
        return view.id

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

    def _escalations(self, verdict: Any, at: datetime) -> list[dict[str, Any]]:
        """The matrix rows the assessment sets off: who takes over and by when."""
        roles = {r.name: r.label for rb in self.plan.runbooks.values() for r in rb.roles}
        return [{"when": row.when, "to": row.to, "to_label": roles.get(row.to, row.to),
                 "by": (at + row.within).isoformat(), "tell_customer": row.tell_customer}
                for key in verdict.escalate for row in self.plan.settings.escalation if row.when == key]

    def _answer_by(self, escalations: list[dict[str, Any]], channel: str, at: datetime) -> datetime:
        """The customer's "by when", one value a complaint: the escalation matrix's time when their case went up
        (and they are told so), else the first answer the channel they wrote on promises, counted in its staffed
        hours (crisisplan.signals.promise: the inbox counts down to this same time)."""
        told = next((e for e in escalations if e["tell_customer"]), None)
        if told:
            return datetime.fromisoformat(told["by"])
        return channel_first_answer(self.plan.settings, channel, at)

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
