"""Complaints in through the API, the console form and a CSV batch; the console shows triage, takes an
override and staffs the recorded load with Erlang C."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from crisisplan.errors import InvalidInput
from crisisplan.services.accounts import Accounts
from tests.web import csrf, form, login

CSV = """id,channel,author,reach,text,link,at
tw-1,social,@ana,120,"Payments fail, charged twice for order #482913",https://x.example/1,2026-01-01T10:05:00+01:00
tw-2,social,@bo,15,Checkout page is slow,,2026-01-01T10:20:00+01:00
tw-1,social,@ana,120,"Payments fail, charged twice for order #482913",https://x.example/1,2026-01-01T10:05:00+01:00
"""


def test_the_api_records_once_and_triages(client, services) -> None:
    _, token = Accounts(services.db, services.clock).add_token("listener", "responder")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"channel": "social", "author": "@loud", "reach": 90_000, "text": "Your app lost my order", "id": "m-1"}
    first = client.post("/api/v1/signals", json=body, headers=headers)
    assert first.status_code == 201 and first.get_json()["action"] == "declared"
    assert first.get_json()["triage"]["declare"] is True
    assert client.post("/api/v1/signals", json=body, headers=headers).status_code == 200  # known id
    bad = client.post("/api/v1/signals", json={"channel": "social"}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "text"
    listed = client.get("/api/v1/signals", headers=headers).get_json()
    assert len(listed) == 1 and listed[0]["source_id"] == "m-1"


def test_the_console_form_csv_import_override_and_staffing(client, services) -> None:
    login(client, "rudi")
    added = form(client, "/console/signals/complaint", {"channel": "email", "author": "Eva", "reach": "3",
                                                        "text": "I want my money back, order 7781234",
                                                        "at": "2026-01-01T08:30"}, follow=True)
    page = added.get_data(as_text=True)
    assert "Recorded as signal" in page and "concrete details" in page and "I want my money back" in page
    assert services.signals()[0].at.isoformat() == "2026-01-01T07:30:00+00:00"  # Madrid time, kept in UTC
    token = csrf(client, "/console/")
    imported = client.post("/console/signals/import", data={"csrf_token": token, "file": (io.BytesIO(CSV.encode()),
                                                                                           "batch.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "Imported 2 complaint(s); 1 were known already." in imported.get_data(as_text=True)
    broken = "channel,text,reach\nsocial,hello,lots\n,empty channel,3\n"
    refused = client.post("/console/signals/import",
                          data={"csrf_token": token, "file": (io.BytesIO(broken.encode()), "bad.csv")},
                          content_type="multipart/form-data")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "bad.csv line 2" in text and "bad.csv line 3" in text
    assert "nothing was imported" in text and len(services.signals()) == 3
    rudi_override = form(client, f"/console/signals/{services.signals()[0].id}/override", {"legitimacy": "trolling"})
    assert rudi_override.status_code == 403  # communicators and up judge
    client.get("/logout")
    login(client, "carmen")
    form(client, f"/console/signals/{services.signals()[0].id}/override", {"legitimacy": "trolling"})
    assert services.signals()[0].data["override"]["legitimacy"] == "trolling"
    staffing = client.get("/console/signals?handle=20&target=5&level=0.9").get_data(as_text=True)
    assert "10:00" in staffing and "Staffing for this load" in staffing


def test_a_csv_time_without_an_offset_is_the_organisations(services) -> None:
    batch = ("id,channel,text,at\n"
             "a,email,Checkout is broken,2026-01-01T08:30\n"          # Madrid (UTC+1 in January): 07:30 UTC
             "b,email,Still broken,2026-01-01T08:40:00+00:00\n")       # an offset is kept as written
    assert services.import_complaints(batch, "batch.csv") == {"new": 2, "duplicates": 0}
    at = {row.source_id: row.at for row in services.signals()}
    assert at["a"] == datetime(2026, 1, 1, 7, 30, tzinfo=UTC)
    assert at["b"] == datetime(2026, 1, 1, 8, 40, tzinfo=UTC)
    unreadable = "id,channel,text,at\nc,email,Broken,2026-01-01T08:30\nd,email,Broken,next tuesday\n"
    with pytest.raises(InvalidInput) as refused:
        services.import_complaints(unreadable, "late.csv")
    assert "late.csv line 3: at: 'next tuesday' is neither a duration (45m, 2h) nor a time of day" in \
        str(refused.value)
    assert "nothing was imported" in str(refused.value) and len(services.signals()) == 2
