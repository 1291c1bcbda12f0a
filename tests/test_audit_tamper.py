"""Edit, delete, insert or reorder an event by hand: `crisisplan audit verify` catches each."""

from __future__ import annotations

import json

import pytest

from crisisplan.cli import main
from tests.walk import take


@pytest.fixture
def chain(services):
    view = services.declare("outage", "sev1", "Checkout fails", "ana", components=["checkout"])
    take(services, view.id, "acknowledge", "bob")
    take(services, view.id, "identify_cause", "bob", {"cause": "Expired certificate"})
    other = services.declare("complaints", "high", "Angry thread", "cm")
    connection = Raw(services.db)
    yield view.id, other.id, connection
    connection.close()


class Raw:
    """The tamperer's view: plain SQL on the driver's own connection, past every check of the app."""

    def __init__(self, db):
        self.connection = db.engine.raw_connection()
        self.marker = "?" if db.is_sqlite else "%s"

    def execute(self, sql: str, args: tuple = ()):
        cursor = self.connection.cursor()
        cursor.execute(sql.replace("?", self.marker), args)
        return cursor

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()


def verify(runner) -> tuple[int, dict]:
    result = runner.invoke(main, ["audit", "verify", "--json"])
    return result.exit_code, json.loads(result.output)


def test_intact_chain_verifies(runner, chain) -> None:
    code, report = verify(runner)
    assert code == 0 and report["ok"] and report["incidents"] == 2 and report["events"] > 10


def test_edited_payload_is_caught(runner, chain) -> None:
    incident, _, db = chain
    db.execute("UPDATE audit_events SET payload = replace(payload, 'Expired certificate', 'Customer error') "
               "WHERE incident_id = ? AND kind = 'field_set'", (incident,))
    db.commit()
    code, report = verify(runner)
    seq = db.execute("SELECT seq FROM audit_events WHERE incident_id=? AND kind='field_set'", (incident,)).fetchone()[0]
    assert code == 1
    assert report["findings"] == [{"incident": incident, "seq": seq, "message": report["findings"][0]["message"]}]
    assert "edited" in report["findings"][0]["message"]


def test_edited_actor_or_time_is_caught(runner, chain) -> None:
    incident, _, db = chain
    db.execute("UPDATE audit_events SET actor = 'someone else' WHERE incident_id = ? AND seq = 7", (incident,))
    db.commit()
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["seq"] == 7


def test_deleted_event_in_the_middle_is_caught(runner, chain) -> None:
    incident, _, db = chain
    db.execute("DELETE FROM audit_events WHERE incident_id = ? AND seq = 3", (incident,))
    db.commit()
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["seq"] == 3 and "missing" in report["findings"][0]["message"]


def test_deleted_newest_event_is_caught(runner, chain) -> None:
    incident, _, db = chain
    last = db.execute("SELECT max(seq) FROM audit_events WHERE incident_id = ?", (incident,)).fetchone()[0]
    db.execute("DELETE FROM audit_events WHERE incident_id = ? AND seq = ?", (incident, last))
    db.commit()
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["seq"] == last and "deleted" in report["findings"][0]["message"]


def test_reordered_events_are_caught(runner, chain) -> None:
    incident, _, db = chain
    db.execute("UPDATE audit_events SET seq = -1 WHERE incident_id = ? AND seq = 4", (incident,))
    db.execute("UPDATE audit_events SET seq = 4 WHERE incident_id = ? AND seq = 5", (incident,))
    db.execute("UPDATE audit_events SET seq = 5 WHERE incident_id = ? AND seq = -1", (incident,))
    db.commit()
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["seq"] == 4


def test_inserted_event_is_caught(runner, chain) -> None:
    incident, _, db = chain
    row = db.execute("SELECT at, prev_hash, hash FROM audit_events WHERE incident_id = ? AND seq = 2",
                     (incident,)).fetchone()
    db.execute("UPDATE audit_events SET seq = seq + 1000 WHERE incident_id = ? AND seq > 2", (incident,))
    db.execute("UPDATE audit_events SET seq = seq - 999 WHERE incident_id = ? AND seq > 1000", (incident,))
    db.execute("INSERT INTO audit_events (incident_id, seq, at, actor, kind, payload, prev_hash, hash) "
               "VALUES (?, 3, ?, 'mallory', 'field_set', '{}', ?, ?)", (incident, row[0], row[2], "f" * 64))
    db.commit()
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["seq"] == 3


def test_appended_event_is_caught(runner, chain) -> None:
    incident, _, db = chain
    last, head = db.execute("SELECT seq, hash FROM audit_events WHERE incident_id = ? ORDER BY seq DESC LIMIT 1",
                            (incident,)).fetchone()
    db.execute("INSERT INTO audit_events (incident_id, seq, at, actor, kind, payload, prev_hash, hash) "
               "VALUES (?, ?, '2026-01-01 10:00:00.000000', 'mallory', 'note', '{}', ?, ?)",
               (incident, last + 1, head, "e" * 64))
    db.commit()
    code, report = verify(runner)
    assert code == 1 and report["findings"][0]["seq"] == last + 1


def test_human_output_names_the_first_bad_event(runner, chain) -> None:
    incident, other, db = chain
    db.execute("UPDATE audit_events SET kind = 'declared!' WHERE incident_id = ? AND seq = 1", (other,))
    db.commit()
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"TAMPERED: incident {other}, event #1" in result.output
    assert f"incident {incident}," not in result.output  # the untouched chain is fine
