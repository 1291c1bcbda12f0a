"""Erlang C against published table values, and the staffing command."""

from __future__ import annotations

import json

import pytest

from crisisplan.cli import main
from crisisplan.signals.staffing import erlang_c, plan_day, service_level, staff_hour

# Probability of waiting for 10 Erlangs of traffic, from the standard Erlang C tables
TABLE = {11: 0.6821, 12: 0.4494, 13: 0.2853, 14: 0.1741, 15: 0.1020}


@pytest.mark.parametrize(("agents", "expected"), sorted(TABLE.items()))
def test_probability_of_waiting_matches_the_tables(agents: int, expected: float) -> None:
    assert erlang_c(agents, 10.0) == pytest.approx(expected, abs=5e-4)


def test_the_textbook_example() -> None:
    """100 calls in half an hour, 3-minute calls, 80% within 20 s: 14 agents (13 reach only 79.6%)."""
    assert service_level(13, 10.0, 3.0, 20 / 60) == pytest.approx(0.7956, abs=5e-4)
    assert service_level(14, 10.0, 3.0, 20 / 60) == pytest.approx(0.8884, abs=5e-4)
    hour = staff_hour(9, 200, 3.0, 20 / 60, 0.8)
    assert hour.agents == 14 and hour.traffic == pytest.approx(10.0)


def test_edges() -> None:
    assert erlang_c(1, 0.0) == 0.0 and erlang_c(3, 3.0) == 1.0  # no traffic; as many agents as Erlangs
    assert staff_hour(3, 0, 12, 15, 0.8).agents == 0
    day = plan_day(400, 12, 15, 0.8, range(8, 20))
    assert len(day) == 12 and sum(h.contacts for h in day) == pytest.approx(400)
    assert all(h.service_level >= 0.8 and h.occupancy < 1 for h in day)


def test_the_staffing_command(runner) -> None:
    result = runner.invoke(main, ["staffing", "--per-day", "400", "--handle-minutes", "12",
                                  "--target-answer-minutes", "15", "--service-level", "0.8", "--hours", "8-20"])
    assert result.exit_code == 0, result.output
    assert "08:00" in result.output and "19:00" in result.output and "20:00" not in result.output
    data = json.loads(runner.invoke(main, ["staffing", "--per-day", "400", "--handle-minutes", "12",
                                           "--target-answer-minutes", "15", "--hours", "8-20", "--json"]).output)
    assert len(data["hours"]) == 12 and all(h["agents"] == 8 for h in data["hours"])
    bad = runner.invoke(main, ["staffing", "--per-day", "400", "--handle-minutes", "12", "--hours", "20-8"])
    assert bad.exit_code != 0 and "--hours" in bad.output and "Traceback" not in bad.output
