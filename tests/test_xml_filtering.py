"""Issue 18, failure 2: one title must not break the feeds for everyone.

C0 control characters in a published title ("ctrl\\u000bvt\\u001bESC", also reachable from an Alertmanager
`summary`) made /feed.atom and /cap.xml not well-formed XML (XML 1.0 allows none of them but tab, newline and
carriage return). The input gate cleans every public text once; the XML writers filter again, so a row written
before the gate, or by hand, cannot break them either.
"""

from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import update

from crisisplan.store.models import IncidentRow, PostRow
from tests.test_alertmanager import TOKEN, alert, payload
from tests.walk import publish_reviewed

DIRTY = "ctrl\u000bvt\u001bESC"


def _publish_first_post(services, incident_id: int) -> int:
    post = services.posts(incident_id)[0]
    publish_reviewed(services, post.id)
    return post.id


def _well_formed(client, post_id: int) -> list[str]:
    """Every public XML document parses; the titles they carry."""
    titles = []
    for path in ("/feed.atom", "/cap.xml", f"/cap/{post_id}.xml"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        root = ElementTree.fromstring(answer.data)  # raises ParseError on a control character
        titles += [e.text or "" for e in root.iter() if e.tag.endswith(("}title", "}headline"))]
    return titles


def test_a_title_with_control_characters_is_cleaned_and_the_feeds_parse(client, services) -> None:
    view = services.declare("outage", "sev3", DIRTY, "rudi", ["checkout"])
    assert services.get(view.id).title == "ctrlvtESC"  # cleaned once, at the gate
    post_id = _publish_first_post(services, view.id)
    assert any("ctrlvtESC" in t for t in _well_formed(client, post_id))


def test_an_alertmanager_summary_with_control_characters(client, services, monkeypatch) -> None:
    monkeypatch.setenv("CRISISPLAN_ALERTMANAGER_TOKEN", TOKEN)
    body = payload(alert(component="checkout"))
    body["alerts"][0]["annotations"]["summary"] = f"Checkout {DIRTY}\u202e\u200b down"
    answer = client.post("/hooks/alertmanager", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    [incident] = answer.get_json()["declared"]
    assert services.get(incident).title == "Checkout ctrlvtESC down"
    post_id = _publish_first_post(services, incident)
    _well_formed(client, post_id)


def test_the_xml_writers_filter_what_got_past_the_gate(client, services) -> None:
    """A title and a post stored with control characters (before the gate existed, or by hand in the database)."""
    view = services.declare("outage", "sev3", "Checkout fails", "rudi", ["checkout"])
    post_id = _publish_first_post(services, view.id)
    with services.db.write() as session:
        session.execute(update(IncidentRow).where(IncidentRow.id == view.id).values(title=DIRTY + "\ufffe"))
        post = session.get(PostRow, post_id)
        post.bodies = {k: f"**{DIRTY}**\n\n{v}\x00" for k, v in post.bodies.items()}
    from crisisplan.web.public import cache

    cache(client.application).invalidate()  # a change made behind the app's back
    _well_formed(client, post_id)
