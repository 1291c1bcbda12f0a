"""Hostile text through Markdown rendering: no active content survives on any output."""

from __future__ import annotations

import re

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


@pytest.mark.parametrize("attack", CORPUS)
def test_no_active_content_survives(attack: str) -> None:
    outputs = [to_html(attack), to_html(f"**Title**\n\nBefore {attack} after")]
    outputs += [r.html for kind in CHANNELS if (r := render(attack, kind)).html]
    for output in outputs:
        for pattern in ACTIVE:
            assert not pattern.search(output), (attack, output)


def test_safe_links_survive() -> None:
    html = to_html("See [help](https://help.example.com) or mail [us](mailto:help@example.com).")
    assert 'href="https://help.example.com"' in html and 'href="mailto:help@example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
