"""The optional public postmortem: drafted from the incident's record, through the normal review, out only once the
incident is resolved; then the incident shows as `postmortem` (Statuspage's status) on its page and in the v2 JSON."""

from __future__ import annotations

import pytest

from crisisplan.comms.approval import ReviewError
from crisisplan.errors import TriggerNotAllowed
from tests.test_review import CAUSE, outage


def test_a_postmortem_goes_out_after_review_and_shows_everywhere(services, clock, client) -> None:
    incident_id = outage(services, clock)
    post = services.draft_post(incident_id, "postmortem", "carmen")
    # the words come from the record: the confirmed cause and the fix as recorded, in every language
    assert f"we have confirmed the cause: {CAUSE}" in post.bodies["en"]
    assert "What we did: The certificate was renewed" in post.bodies["en"]
    assert CAUSE in post.bodies["es"] and "Análisis posterior" in post.bodies["es"]
    assert post.next_update_at is None  # a look back promises no next update
    with pytest.raises(ReviewError, match="needs the approval"):
        services.publish_post(post.id, "carmen")
    services.submit_post(post.id, "carmen")
    services.approve_post(post.id, "lena")
    services.publish_post(post.id, "carmen")

    [public] = services.public_incidents()
    assert public.status == "postmortem" and public.updates[0].status == "postmortem"
    assert public.resolved_at is not None and not public.active
    data = client.get("/api/v2/incidents.json").get_json()
    [incident] = data["incidents"]
    assert incident["status"] == "postmortem" and incident["resolved_at"]
    assert incident["incident_updates"][0]["status"] == "postmortem"
    assert CAUSE in incident["incident_updates"][0]["body"]
    assert incident["incident_updates"][1]["status"] == "resolved"
    assert client.get("/api/v2/incidents/unresolved.json").get_json()["incidents"] == []
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Postmortem" in page and CAUSE in page
    assert "Análisis posterior" in client.get(f"/incidents/{incident_id}?lang=es").get_data(as_text=True)


def test_no_postmortem_before_the_incident_is_resolved(services) -> None:
    view = services.declare("outage", "sev3", "Search is slow", "ana")
    services.publish_post(services.posts(view.id)[0].id, "carmen")  # sev3: no approval needed
    post = services.draft_post(view.id, "postmortem", "carmen")
    with pytest.raises(TriggerNotAllowed, match="a 'postmortem' post can go out from: Resolved"):
        services.publish_post(post.id, "carmen")
    assert services.public_incidents()[0].status == "investigating"
