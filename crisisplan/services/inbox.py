"""The inbox pull: mentions and messages from each connected network, recorded as complaint signals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from crisisplan.errors import InvalidInput, NotFound
from crisisplan.publish.connectors import Connector, ConnectorError, PermanentConnectorError, configured
from crisisplan.services.intake import Page
from crisisplan.services.unit import UnitOfWork
from crisisplan.store.cursors import ConnectorCursorRow

MAX_PAGES = 50  # one pull reads at most this many pages of one network; the next pull goes on from there
CHUNK = 250  # mentions taken in per transaction: the database is not held for a whole page of thousands


@dataclass
class Pulled:
    """What one pull brought from one connector."""

    connector: str
    new: int = 0  # signals recorded
    repeats: int = 0  # already recorded (a page read twice after a crash)
    skipped: int = 0  # not a complaint crisisplan can record (no text): left out, named in `problems`
    error: str = ""  # why the network could not be read now ("" when it could)
    permanent: bool = False  # retrying cannot help (a wrong password): someone must fix the plan or secret
    problems: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """For `--json`."""
        return {"connector": self.connector, "new": self.new, "repeats": self.repeats, "skipped": self.skipped,
                "error": self.error, "permanent": self.permanent, "problems": list(self.problems)}


class InboxCommands(UnitOfWork):
    """Listening to outside networks: each pull reads every connector from where it stopped."""

    def inbox_connectors(self) -> dict[str, Connector]:
        """The connectors plan.yaml sets up, by name (built once per Services)."""
        built = self.__dict__.get("_inbox_connectors")
        if built is None:
            built = self.__dict__["_inbox_connectors"] = configured(self.plan.settings)
        return built

    def pull_inbox(self, connector_name: str | None = None) -> list[Pulled]:
        """Fetch what is new on each configured connector (or only `connector_name`) since its cursor and record
        each mention once as a complaint signal, triaged as every complaint is. A network that cannot be read
        is reported and tried again next pull; the others go on."""
        connectors = self.inbox_connectors()
        if connector_name is not None and connector_name not in connectors:
            raise NotFound(f"no connector '{connector_name}' in plan.yaml `connectors:`"
                           + (f" (there is {', '.join(sorted(connectors))})" if connectors else ""))
        return [self._pull(name, connector) for name, connector in sorted(connectors.items())
                if connector_name in (None, name)]

    def connector_cursor(self, name: str) -> ConnectorCursorRow | None:
        """Where a connector stopped reading, and why its last pull failed (if it did)."""
        with self.db.read() as session:
            row = session.get(ConnectorCursorRow, name)
            if row is not None:
                session.expunge(row)
            return row

    def _pull(self, name: str, connector: Connector) -> Pulled:
        row = self.connector_cursor(name)
        cursor = (row.cursor or None) if row else None
        result, problems = Pulled(name), []
        try:
            for _ in range(MAX_PAGES):
                mentions, after = connector.fetch(cursor)
                self._record_page(name, mentions, after, result, problems)
                moved = after != cursor
                cursor = after
                # a connector that knows it read to the end (the firehose waited for more) is not asked again
                if not mentions or not moved or getattr(connector, "caught_up", False):
                    break
        except ConnectorError as error:
            result.error, result.permanent = str(error) or type(error).__name__, isinstance(
                error, PermanentConnectorError)
            self._keep_cursor(name, cursor, result.error)
        result.problems = tuple(problems)
        return result

    def _record_page(self, name: str, mentions: list[Any], after: str | None, result: Pulled,
                     problems: list[str]) -> None:
        """A page of mentions, in chunks of CHUNK, each chunk in one transaction and the last one with the cursor
        after the page (a crash re-reads the page; what a chunk recorded comes back as repeats). Each mention goes
        through the input gate (one without words is left out and named), then a chunk is taken in together as
        complaints (`_take_in`: each with the same outcome as alone)."""
        complaints = []
        for mention in mentions:
            extra = {"connector": name, "author_name": mention.author_name, "thread": mention.thread}
            try:
                complaints.append(self._complaint_of(mention.channel, mention.author, mention.reach, mention.text,
                                                     mention.link, mention.at, f"{name}:{mention.source_id}",
                                                     extra=extra))
            except InvalidInput as error:
                result.skipped += 1
                problems.append(f"{mention.source_id}: {error}")
        for first in range(0, max(len(complaints), 1), CHUNK):
            last = first + CHUNK >= len(complaints)
            for _, new in self._record_chunk(name, complaints[first:first + CHUNK], after, last, result, problems):
                result.new += new
                result.repeats += not new

    def _record_chunk(self, name: str, complaints: list[Any], after: str | None, last: bool, result: Pulled,
                      problems: list[str]) -> list[tuple[Any, bool]]:
        """One chunk in one transaction (the page's last with the cursor after the page). One the plan cannot act
        on is left out and named, and the chunk taken in again without it (nothing of the first try was kept)."""
        raced = False
        while True:
            page = Page()
            try:
                with self.db.batch():
                    taken = self._take_in(complaints, "", page)
                    if last:
                        self._keep_cursor(name, after, "")
                return taken
            except IntegrityError:  # another pull recorded some of them meanwhile: once more, they are repeats
                if raced:
                    raise
                raced = True
            except InvalidInput as error:
                refused = complaints.pop(page.done)
                result.skipped += 1
                problems.append(f"{refused.source_id.removeprefix(name + ':')}: {error}")

    def _keep_cursor(self, name: str, cursor: str | None, error: str) -> None:
        with self.db.write() as session:
            row = session.get(ConnectorCursorRow, name)
            if row is None:
                row = ConnectorCursorRow(name=name)
                session.add(row)
            row.cursor, row.updated_at, row.last_error = cursor or "", self.clock.now(), error[:2000]
