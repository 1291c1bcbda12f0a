"""Follow-up actions: what the team will change after an incident, who owns it and by when.

Each action is recorded in its incident's audit chain. Creating one tells the plan's JSON webhooks
(`action.created`, so an issue tracker can pick it up) and e-mails its owner; the day before it is due the
owner is reminded, and once the due date has passed it is overdue and said so: through the outbox, in the
same transaction as the audit event, each once.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from crisisplan.comms.email import base_url
from crisisplan.comms.review import ActionLine
from crisisplan.errors import InvalidInput, NotFound, did_you_mean
from crisisplan.publish.outbox import OutboxStatus
from crisisplan.services.review import action_line
from crisisplan.services.unit import UnitOfWork, Work
from crisisplan.store.followup import ActionRow
from crisisplan.store.models import OutboxRow, UserRow

ACTION_STATES = ("open", "done", "dropped")
REMIND_BEFORE = timedelta(days=1)  # the owner hears of it when the day before the due date begins
EXPORT_FIELDS = ("id", "incident_id", "title", "owner", "due_on", "state", "created_at", "created_by")


class ActionCommands(UnitOfWork):
    """Follow-up actions: add, change, list, export; reminders and overdue notices."""

    def add_action(self, incident_id: int, title: str, owner: str, due_on: date | str, actor: str) -> ActionLine:
        """A new follow-up action on the incident; its owner and the JSON webhooks hear of it."""
        title, owner, due = self._checked(title, owner, due_on)
        with self.change(incident_id) as work:
            now = work.clock.now()
            row = ActionRow(incident_id=incident_id, title=title, owner=owner, due_on=due, state="open",
                            created_at=now, created_by=actor, updated_at=now)
            work.session.add(row)
            work.session.flush()
            work.note("action_added", actor, id=row.id, title=title, owner=owner, due_on=due.isoformat())
            self._tell_about_action(work, row, "created",
                                    f"Follow-up action for you: {title}",
                                    f"{actor} gave you a follow-up action of incident {incident_id}: "
                                    f"{title}\nDue on {due.isoformat()}.")
            line = action_line(row)
        return line

    def change_action(self, action_id: int, actor: str, state: str | None = None, title: str | None = None,
                      owner: str | None = None, due_on: date | str | None = None) -> ActionLine:
        """Change an action's state (open, done, dropped), title, owner or due date."""
        if state is not None and state not in ACTION_STATES:
            raise InvalidInput(f"an action is {', '.join(ACTION_STATES)}; not '{state}'", "state")
        with self.db.read() as session:
            found = session.get(ActionRow, action_id)
            if found is None:
                raise NotFound(f"no follow-up action {action_id}; `crisisplan actions list` lists them")
            incident_id = found.incident_id
        new_title, new_owner, new_due = self._checked(title if title is not None else found.title,
                                                      owner if owner is not None else found.owner,
                                                      due_on if due_on is not None else found.due_on)
        with self.change(incident_id) as work:
            row = work.session.get(ActionRow, action_id)
            changes: dict[str, Any] = {}
            for name, value in (("title", new_title), ("owner", new_owner), ("due_on", new_due),
                                ("state", state or row.state)):
                if getattr(row, name) != value:
                    changes[name] = value.isoformat() if isinstance(value, date) else value
                    setattr(row, name, value)
            if changes:
                if "due_on" in changes or "owner" in changes:  # a new date or owner: remind again
                    row.reminded_at = row.overdue_sent_at = None
                row.updated_at = work.clock.now()
                work.note("action_changed", actor, **{"id": row.id, "title": row.title, "state": row.state, **changes})
            line = action_line(row)
        return line

    def actions(self, incident_id: int | None = None, state: str | None = None) -> list[ActionLine]:
        """Follow-up actions of one incident or of all, soonest due first."""
        with self.db.read() as session:
            query = select(ActionRow).order_by(ActionRow.due_on, ActionRow.id)
            if incident_id is not None:
                query = query.where(ActionRow.incident_id == incident_id)
            if state is not None:
                query = query.where(ActionRow.state == state)
            return [action_line(row) for row in session.scalars(query)]

    def export_actions(self, fmt: str, incident_id: int | None = None) -> str:
        """The actions as CSV (a header row, then one an action) or as a JSON list."""
        rows = [{name: _plain(getattr(a, name)) for name in EXPORT_FIELDS} for a in self.actions(incident_id)]
        if fmt == "json":
            return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
        if fmt != "csv":
            raise InvalidInput(f"actions export as csv or json; not '{fmt}'", "format")
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    def remind_actions(self, now: datetime | None = None) -> list[tuple[int, str]]:
        """Remind owners of open actions due tomorrow and tell them of overdue ones (each once);
        returns (action id, reminder|overdue) for each notice written. The worker's tick calls it."""
        moment = now or self.clock.now()
        tz = ZoneInfo(self.plan.settings.organisation.time_zone)
        with self.db.read() as session:
            due = [(row.id, row.incident_id) for row in session.scalars(
                select(ActionRow).where(ActionRow.state == "open").order_by(ActionRow.id))
                if (row.reminded_at is None and moment >= _remind_at(row.due_on, tz))
                or (row.overdue_sent_at is None and moment >= _ends(row.due_on, tz))]
        sent = []
        for action_id, incident_id in due:
            with self.change(incident_id) as work:
                row = work.session.get(ActionRow, action_id)
                if row is None or row.state != "open":
                    continue
                overdue = moment >= _ends(row.due_on, tz)
                if overdue and row.overdue_sent_at is None:
                    row.reminded_at, row.overdue_sent_at = row.reminded_at or moment, moment  # no reminder after it
                    work.note("action_overdue", "crisisplan", id=row.id, title=row.title, owner=row.owner)
                    self._tell_about_action(work, row, "overdue", f"Overdue follow-up action: {row.title}",
                                            f"Your follow-up action of incident {incident_id} was due on "
                                            f"{row.due_on.isoformat()} and is still open: {row.title}")
                    sent.append((action_id, "overdue"))
                elif not overdue and row.reminded_at is None:
                    row.reminded_at = moment
                    work.note("action_reminded", "crisisplan", id=row.id, title=row.title, owner=row.owner)
                    self._tell_about_action(work, row, "reminder", f"Due tomorrow: {row.title}",
                                            f"Your follow-up action of incident {incident_id} is due on "
                                            f"{row.due_on.isoformat()}: {row.title}")
                    sent.append((action_id, "reminder"))
        return sent

    # ---------------------------------------------------------------------------------
    def _checked(self, title: str, owner: str, due_on: date | str) -> tuple[str, str, date]:
        """The title, the owner (a person in plan.yaml or a user) and the due date, or one clear refusal."""
        title = (title or "").strip()
        if not title:
            raise InvalidInput("a follow-up action needs a title", "title")
        if len(title) > 300:
            raise InvalidInput("a follow-up action's title is at most 300 characters", "title")
        known = self._owners()
        if owner not in known:
            raise InvalidInput(f"no person or user '{owner}' to own the action; {did_you_mean(owner, known)}",
                               "owner")
        if isinstance(due_on, str):
            try:
                due_on = date.fromisoformat(due_on.strip())
            except ValueError:
                raise InvalidInput(f"the due date '{due_on}' is not a date like 2026-02-15", "due_on") from None
        return title, owner, due_on

    def _owners(self) -> list[str]:
        with self.db.read() as session:
            users = list(session.scalars(select(UserRow.name)))
        return [p.name for p in self.plan.settings.people] + users

    def _tell_about_action(self, work: Work, row: ActionRow, event: str, subject: str, text: str) -> None:
        """An e-mail to the owner (when plan.yaml has their address) and an `action.<event>` JSON webhook."""
        settings, now = self.plan.settings, self.clock.now()
        link = f"{base_url(settings)}/console/incidents/{row.incident_id}/review"
        person = next((p for p in settings.people if p.name == row.owner and p.email), None)
        key = f"action-{row.id}-{event}" + (f"-{row.due_on.isoformat()}" if event != "created" else "")
        messages = []
        if person is not None:
            messages.append(("email:notice", person.email, {"subject": subject, "text": f"{text}\n\nOpen it: {link}\n",
                                                            "key": key}, key))
        incident = work.incident
        title = incident.title if work.machine.runbook.incident_audience == "public" else \
            f"{work.machine.runbook.id} incident {incident.id}"
        for hook in settings.webhooks:
            if hook.format != "json" or (incident.is_drill and not hook.drills):
                continue
            payload = {"event": f"action.{event}", "drill": incident.is_drill, "url": link,
                       "incident": {"id": incident.id, "title": title, "severity": incident.severity},
                       "action": {name: _plain(getattr(row, name)) for name in EXPORT_FIELDS}}
            messages.append((f"webhook:{hook.name}", hook.url, payload, f"{key}-webhook-{hook.name}"))
        for channel, target, payload, idem in messages:
            work.session.add(OutboxRow(
                post_id=None, channel=channel, target=target,
                payload=json.dumps(payload, ensure_ascii=False, sort_keys=True), idempotency_key=idem,
                status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now, log=[]))


def _remind_at(day: date, tz: ZoneInfo) -> datetime:
    """When the owner is reminded: as the day before the due date begins, in the organisation's time zone."""
    return datetime.combine(day - REMIND_BEFORE, time(0), tzinfo=tz)


def _ends(day: date, tz: ZoneInfo) -> datetime:
    """The moment a due date is over: midnight after it, in the organisation's time zone."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value
