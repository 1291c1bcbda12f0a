"""Channel renderings and their lengths, counted the way each channel counts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crisisplan.comms.channels import CHANNELS, GSM7_BASIC, GSM7_EXTENDED, URL, render
from crisisplan.comms.markdown import to_html, to_text


def test_short_social_counts_each_url_as_23() -> None:
    text = "Sorry. Details: https://status.example.com/incidents/12345/a-very-long-path-indeed"
    assert render(text, "social_short").length == len("Sorry. Details: ") + 23


def test_sms_segments_gsm7_and_ucs2() -> None:
    assert render("a" * 160, "sms").segments == 1
    assert render("a" * 161, "sms").segments == 2  # 153 a segment once split
    assert render("a" * 306, "sms").segments == 2 and render("a" * 307, "sms").segments == 3
    euro = render("€" * 80, "sms")  # extended GSM-7: two septets each
    assert (euro.encoding, euro.segments) == ("GSM-7", 1)
    emoji = render("ok 🙂", "sms")
    assert emoji.encoding == "UCS-2" and emoji.segments == 1
    assert render("ñ" * 71, "sms").segments == 1  # ñ is GSM-7
    assert render("ç" * 71, "sms").segments == 2  # lowercase ç is not: UCS-2, 67 a segment


def test_email_takes_the_bold_first_line_as_subject() -> None:
    rendering = render("**We are sorry: checkout down**\n\nDetails at [our page](https://x.example).", "email")
    assert rendering.subject == "We are sorry: checkout down"
    assert rendering.text == "Details at our page (https://x.example)."
    assert '<a href="https://x.example"' in rendering.html


def test_chat_uses_mrkdwn_and_escapes_control_characters() -> None:
    rendering = render("**Title** & <b>x</b> [help](https://h.example)", "chat")
    assert rendering.text == "*Title* &amp; &lt;b&gt;x&lt;/b&gt; <https://h.example|help>"


def test_plain_text_keeps_links_as_urls() -> None:
    assert to_text("**Hi** see [help](https://h.example) and <https://s.example>") == \
        "Hi see help (https://h.example) and https://s.example"


def test_over_the_hard_limit_is_flagged() -> None:
    assert render("x" * 281, "social_short").over_limit
    assert not render("x" * 280, "social_short").over_limit


def reference_sms_segments(text: str) -> int:
    """The GSM 03.38 rule, written out again independently of the implementation."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units, single, multi = sum(1 + (c in GSM7_EXTENDED) for c in text), 160, 153
    else:
        units, single, multi = len(text.encode("utf-16-le")) // 2, 70, 67
    if units == 0:
        return 0
    return 1 if units <= single else (units + multi - 1) // multi


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_text_through_every_channel(text: str) -> None:
    for kind in CHANNELS:
        rendering = render(text, kind)
        assert isinstance(rendering.text, str)
        if kind == "sms":
            assert rendering.length == rendering.segments == reference_sms_segments(rendering.text)
        elif kind == "social_short":
            assert rendering.length == len(URL.sub("", rendering.text)) + 23 * len(URL.findall(rendering.text))
        else:
            assert rendering.length == len(rendering.text)
    to_html(text)
