"""A customer's e-mail read as a person reads it (crisisplan.comms.inmail): charsets and transfer encodings undone,
an HTML-only mail turned into text, the quoted history and the signature cut off, the thread kept; a mail that
cannot be read whole says why. Every message here is written out by hand, as mail clients send them."""

from __future__ import annotations

from datetime import UTC, datetime

from crisisplan.comms.inmail import read

CRLF = "\r\n"


def mail(*lines: str) -> bytes:
    return CRLF.join(lines).encode("latin-1")


def test_latin1_quoted_printable_with_the_quoted_history_of_a_spanish_client() -> None:
    got = read(mail(
        "From: =?utf-8?q?Mar=C3=ADa_L=C3=B3pez?= <Maria.Lopez@Example.NET>",
        "To: soporte@example.com",
        "Subject: =?iso-8859-1?q?Cobro_doble_en_mi_pedido?=",
        "Message-ID: <cobro-1@example.net>",
        "In-Reply-To: <ack-7@example.com>",
        "References: <first-1@example.net> <ack-7@example.com>",
        "Date: Mon, 23 Nov 2026 10:00:00 +0100",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Hola, me hab=E9is cobrado dos veces el pedido 4411.",
        "=BFQu=E9 pas=F3?",
        "",
        "El lun, 23 nov 2026 a las 9:00, Soporte <soporte@example.com> escribi=F3:",
        "> Gracias por escribirnos.",
        "> Un saludo",
    ))
    assert got.address == "maria.lopez@example.net" and got.name == "María López"
    assert got.subject == "Cobro doble en mi pedido"
    assert got.text == "Hola, me habéis cobrado dos veces el pedido 4411.\n¿Qué pasó?"
    assert got.message_id == "<cobro-1@example.net>"
    assert got.references == ["<first-1@example.net>", "<ack-7@example.com>"]
    assert got.at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert got.problem == "" and not got.automatic


def test_an_html_only_mail_becomes_its_visible_text_without_the_gmail_quote() -> None:
    got = read(mail(
        "From: Bob Stone <bob@example.org>",
        "Subject: Checkout down",
        "Message-ID: <html-1@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        # base64 of the HTML below, encoded by hand with `base64 -w 76`
        "PGh0bWw+PGhlYWQ+PHN0eWxlPnB7Y29sb3I6cmVkfTwvc3R5bGU+PC9oZWFkPjxib2R5PjxwPlRo",
        "ZSBjaGVja291dCBpcyA8Yj5kb3duPC9iPiAmYW1wOyBJIGNhbiYjMzk7dCBwYXkuPC9wPjxkaXY+",
        "U2luY2UgOTowMC48L2Rpdj48ZGl2IGNsYXNzPSJnbWFpbF9xdW90ZSI+PGRpdj5PbiBNb24sIFN1",
        "cHBvcnQgd3JvdGU6PC9kaXY+PGJsb2NrcXVvdGU+T2xkIHRleHQ8L2Jsb2NrcXVvdGU+PC9kaXY+",
        "PC9ib2R5PjwvaHRtbD4=",
    ))
    assert got.text == "The checkout is down & I can't pay.\n\nSince 9:00."
    assert "Old text" not in got.text and "color" not in got.text


def test_the_plain_part_of_an_alternative_is_read_and_outlook_history_and_signature_cut() -> None:
    got = read(mail(
        "From: \"Stone, Ann\" <ann@example.org>",
        "Subject: RE: Refund",
        "Message-ID: <alt-1@example.org>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Still no refund after two weeks.",
        "",
        "-----Original Message-----",
        "From: Support <support@example.com>",
        "Sent: Monday",
        "We are on it.",
        "--b1",
        "Content-Type: text/html; charset=utf-8",
        "",
        "<p>HTML version that must not be used</p>",
        "--b1--",
    ))
    assert got.text == "Still no refund after two weeks." and got.name == "Stone, Ann"
    signed = read(mail("From: c@example.org", "Subject: x", "", "The app crashes at login.", "-- ",
                       "Carla, sent from my phone"))
    assert signed.text == "The app crashes at login."


def test_inline_quotes_are_dropped_and_the_customers_answers_kept() -> None:
    got = read(mail("From: d@example.org", "Subject: Re: questions", "", "> Which browser?", "Firefox 120.",
                    "> Since when?", "Since yesterday.", "", "On Mon, 23 Nov 2026 at 09:00, Support",
                    "<support@example.com> wrote:", "> old"))
    assert got.text == "Firefox 120.\nSince yesterday."


def test_an_unknown_charset_is_read_as_utf8_rather_than_refused() -> None:
    body = "Ça ne marche pas".encode()
    raw = (b"From: e@example.org\r\nSubject: x\r\nContent-Type: text/plain; charset=x-unknown-7\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n")
    assert read(raw).text == "Ça ne marche pas" and read(raw).problem == ""


def test_mails_that_cannot_be_read_whole_say_why_and_keep_a_stable_id() -> None:
    no_sender = mail("Subject: hello", "", "Where is my order?")
    assert read(no_sender).problem == "it has no sender" and read(no_sender).text == "Where is my order?"
    assert read(no_sender).message_id == read(no_sender).message_id  # the same bytes, the same record
    assert read(no_sender).message_id.startswith("<sha256-")
    only_attachment = mail("From: f@example.org", "Subject: photo", "Message-ID: <att@example.org>",
                           "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="z"', "", "--z",
                           "Content-Type: image/png", "Content-Transfer-Encoding: base64", "", "iVBORw0KGgo=",
                           "--z--")
    got = read(only_attachment)
    assert got.problem == "it has no text (only attachments, or empty)" and got.text == ""


def test_out_of_office_answers_and_bounces_are_automatic() -> None:
    assert read(mail("From: g@example.org", "Auto-Submitted: auto-replied", "Subject: Out of office", "",
                     "I am away")).automatic
    assert read(mail("From: MAILER-DAEMON@example.org", "Subject: Undelivered", "", "bounce")).automatic
    assert not read(mail("From: g@example.org", "Auto-Submitted: no", "Subject: hi", "", "hello")).automatic


def test_a_line_starting_with_from_is_the_customers_unless_a_header_block_follows() -> None:
    got = read(mail("From: h@example.org", "Subject: charges", "", "From: my bank statement, you charged me twice.",
                    "Please check.", "", "From: Support <support@example.com>", "Sent: Monday, 23 November 2026",
                    "Subject: Your order", "We shipped it."))
    assert got.text == "From: my bank statement, you charged me twice.\nPlease check."
