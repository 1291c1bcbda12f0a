"""Hostile text through Markdown rendering: no active content survives on any output."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from crisisplan.comms.channels import CHANNELS, render
from crisisplan.comms.markdown import to_html

CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "![x](javascript:alert(1))",
    '![x](https://img.example/x.png" onerror="alert(1))',
    "<svg onload=alert(1)><circle r=1></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<iframe src=https://evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[x](data:text/html,<script>alert(1)</script>)",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<form action="https://evil.example"><input type=submit></form>',
    '<object data="javascript:alert(1)"></object>',
    "<<script>script>alert(1)<</script>/script>",
    '"><script>alert(1)</script>',
    "[a](https://ok.example \"title\" onmouseover=alert(1))",
]

ACTIVE = [
    re.compile(r"<\s*(script|iframe|svg|object|embed|form|input|style|math|img)\b", re.I),
    re.compile(r"\son\w+\s*=", re.I),
    re.compile(r"(href|src|action|data)\s*=\s*[\"']?\s*(javascript|data|vbscript):", re.I),
]


class _Markup(HTMLParser):
    """The tags and attributes a browser would build from the output (text is only text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(f"<{tag} " + " ".join(f'{k}="{v or ""}"' for k, v in attrs) + ">")


@pytest.mark.parametrize("attack", CORPUS)
def test_no_active_content_survives(attack: str) -> None:
    outputs = [to_html(attack), to_html(f"**Title**\n\nBefore {attack} after")]
    outputs += [r.html for kind in CHANNELS if (r := render(attack, kind)).html]
    for output in outputs:
        parser = _Markup()
        parser.feed(output)
        parser.close()
        for tag in parser.tags:  # raw HTML is escaped into text: only real markup is checked
            for pattern in ACTIVE:
                assert not pattern.search(tag), (attack, output)


def test_raw_html_is_shown_as_text() -> None:
    html = to_html("Before <script>alert(1)</script> after, see <https://help.example.com>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://help.example.com"' in html


def test_safe_links_survive() -> None:
    html = to_html("See [help](https://help.example.com) or mail [us](mailto:help@example.com).")
    assert 'href="https://help.example.com"' in html and 'href="mailto:help@example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
