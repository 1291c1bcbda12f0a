"""The one parser for a time a person types: a time without a zone is in the organisation's time zone.

Every expected value is worked out by hand from the zone's offset on that day (Europe/Madrid is UTC+1
in winter, UTC+2 from the last Sunday of March to the last Sunday of October; America/New_York is
UTC-5 in winter).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crisisplan.cli import main
from crisisplan.errors import InvalidInput
from crisisplan.moment import parse_moment

MADRID = "Europe/Madrid"
JAN_NOON = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 13:00 in Madrid
JUL_NOON = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # 14:00 in Madrid


@pytest.mark.parametrize(("text", "zone", "now", "expected"), [
    # a time of day: today, in the organisation's zone
    ("10:00", MADRID, JAN_NOON, datetime(2026, 1, 15, 9, 0, tzinfo=UTC)),  # UTC+1 in January
    ("10:00", MADRID, JUL_NOON, datetime(2026, 7, 15, 8, 0, tzinfo=UTC)),  # UTC+2 in July
    ("9:30", MADRID, JAN_NOON, datetime(2026, 1, 15, 8, 30, tzinfo=UTC)),
    ("23:59", "UTC", JAN_NOON, datetime(2026, 1, 15, 23, 59, tzinfo=UTC)),
    ("00:00", MADRID, JAN_NOON, datetime(2026, 1, 14, 23, 0, tzinfo=UTC)),  # Madrid's midnight: 23:00 UTC before
    # "today" is the organisation's date: at 23:30 UTC on the 15th it is already the 16th in Madrid ...
    ("08:00", MADRID, datetime(2026, 1, 15, 23, 30, tzinfo=UTC), datetime(2026, 1, 16, 7, 0, tzinfo=UTC)),
    # ... and at 03:00 UTC on the 15th it is still the 14th in New York (22:00, UTC-5)
    ("09:15", "America/New_York", datetime(2026, 1, 15, 3, 0, tzinfo=UTC), datetime(2026, 1, 14, 14, 15, tzinfo=UTC)),
    # an ISO time without a zone: in the organisation's
    ("2026-05-01T10:00", MADRID, JAN_NOON, datetime(2026, 5, 1, 8, 0, tzinfo=UTC)),  # May: UTC+2
    ("2026-05-01 10:00", MADRID, JAN_NOON, datetime(2026, 5, 1, 8, 0, tzinfo=UTC)),
    ("2026-12-24T18:30:15", MADRID, JAN_NOON, datetime(2026, 12, 24, 17, 30, 15, tzinfo=UTC)),
    ("2026-01-20", MADRID, JAN_NOON, datetime(2026, 1, 19, 23, 0, tzinfo=UTC)),  # a date alone: its midnight
    ("2026-01-20T10:00", "America/New_York", JAN_NOON, datetime(2026, 1, 20, 15, 0, tzinfo=UTC)),
    # an ISO time with an offset: as written, whatever the organisation's zone
    ("2026-05-01T10:00+02:00", "America/New_York", JAN_NOON, datetime(2026, 5, 1, 8, 0, tzinfo=UTC)),
    ("2026-05-01T10:00Z", MADRID, JAN_NOON, datetime(2026, 5, 1, 10, 0, tzinfo=UTC)),
    ("2026-05-01T10:00:00-05:00", MADRID, JAN_NOON, datetime(2026, 5, 1, 15, 0, tzinfo=UTC)),
    # a duration: from now, the zone plays no part
    ("45m", MADRID, JAN_NOON, datetime(2026, 1, 15, 12, 45, tzinfo=UTC)),
    ("2h", MADRID, JAN_NOON, datetime(2026, 1, 15, 14, 0, tzinfo=UTC)),
    ("1h30m", "America/New_York", JAN_NOON, datetime(2026, 1, 15, 13, 30, tzinfo=UTC)),
    ("1d", MADRID, JAN_NOON, datetime(2026, 1, 16, 12, 0, tzinfo=UTC)),
    ("  90s ", MADRID, JAN_NOON, datetime(2026, 1, 15, 12, 1, 30, tzinfo=UTC)),
    # the clocks go back in Madrid at 03:00 CEST on Sunday 25 October 2026: 02:30 happens twice, the first is CEST
    ("2026-10-25T02:30", MADRID, JAN_NOON, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    # a zone given as a tzinfo works the same
    ("10:00", timezone(timedelta(hours=-3)), JAN_NOON, datetime(2026, 1, 15, 13, 0, tzinfo=UTC)),
])
def test_what_a_person_types_is_the_moment_they_meant(text: str, zone, now: datetime, expected: datetime) -> None:
    moment = parse_moment(text, zone, now)
    assert moment == expected
    assert moment.tzinfo is UTC and moment.isoformat() == expected.isoformat()


@pytest.mark.parametrize("text", ["yesterday", "soon", "", "24:00", "9:60", "10h00", "2026-13-01T10:00", "-45m"])
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_moment(text, MADRID, JAN_NOON, field="--at")
    assert refused.value.field == "--at"
    message = str(refused.value)
    assert message.startswith(f"--at: {text.strip()!r} is neither a duration (45m, 2h) nor a time of day (14:30)")
    assert "not an ISO time such as 2026-05-01T10:00 (Europe/Madrid)" in message


def test_a_time_the_clocks_skip_is_refused() -> None:
    # Madrid goes from 02:00 CET to 03:00 CEST on Sunday 29 March 2026: 02:30 never happens there
    with pytest.raises(InvalidInput, match="does not exist in Europe/Madrid") as refused:
        parse_moment("2026-03-29T02:30", MADRID, JAN_NOON, field="at")
    assert refused.value.field == "at"
    # with an offset it is a real moment, and 03:30 is fine
    assert parse_moment("2026-03-29T02:30+01:00", MADRID, JAN_NOON) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert parse_moment("2026-03-29T03:30", MADRID, JAN_NOON) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # and a time of day on that day too: at 10:00 UTC on the 29th, "02:30" does not exist
    with pytest.raises(InvalidInput, match="does not exist"):
        parse_moment("02:30", MADRID, datetime(2026, 3, 29, 10, 0, tzinfo=UTC))


def test_an_unknown_zone_is_a_clear_error_and_now_must_be_aware() -> None:
    with pytest.raises(InvalidInput, match="'Mars/Olympus' is not a known time zone"):
        parse_moment("10:00", "Mars/Olympus", JAN_NOON, field="when")
    with pytest.raises(ValueError, match="aware"):
        parse_moment("10:00", MADRID, datetime(2026, 1, 15, 12, 0))


def test_the_command_line_reads_a_time_without_a_zone_in_the_organisations(runner) -> None:
    """The shipped plan's organisation is in Europe/Madrid: 2030-01-10T10:00 there is 09:00 UTC."""
    declared = runner.invoke(main, ["declare", "outage", "--severity", "sev3", "--title", "Slow", "--as", "ana"])
    assert declared.exit_code == 0, declared.output
    drafted = runner.invoke(main, ["post", "draft", "1", "update", "--next-update", "2030-01-10T10:00", "--as", "ana",
                                   "--json"])
    assert drafted.exit_code == 0, drafted.output
    promised = datetime.fromisoformat(json.loads(drafted.output)["next_update_at"])
    assert promised == datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
    wrong = runner.invoke(main, ["tick", "--at", "later"])
    assert wrong.exit_code == 1 and "--at: 'later' is neither a duration" in wrong.output
