"""The input gate: what every text and number from outside is checked against, once, the same on every database.

A text that can become public (a title, a field, a post, a component status, an alert's summary) loses the
characters that have no business in it: C0 controls other than tab and newline, DEL and C1 controls, bidi
overrides and isolates that make a text read differently from what it says, zero-width characters that hide
words from the tone rules, and lone surrogates that no encoder can write. Lengths follow the narrowest database
column (PostgreSQL's `VARCHAR(300)` for a title; SQLite would take a megabyte), so both databases agree.
Ids and integers are checked for range before any query (SQLite holds 2^63, PostgreSQL's INTEGER 2^31).

Everything here is pure: the layers above call it, it calls nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from crisisplan.errors import InvalidInput

TITLE_MAX = 300  # incidents.title and drill_runs.title are VARCHAR(300)
FIELD_MAX = 5_000  # a field's value: a sentence or a paragraph
TEXT_MAX = 100_000  # a post's text in one language, a complaint, a comment
LINE_MAX = 200  # a name, an author, a reason
ID_MAX = 2**31 - 1  # PostgreSQL INTEGER; SQLite's 2^63 - 1 holds more, and nobody has that many incidents
JSON_DEPTH_MAX = 32  # the deepest request any API documents is 4 levels

_CONTROLS = "".join(chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)))
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # embeddings, overrides, isolates
_INVISIBLE = "\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u180e"  # zero-width space, word joiner, BOM, …
_DROP = re.compile(f"[{re.escape(_CONTROLS + _BIDI + _INVISIBLE)}\ud800-\udfff]")
# XML 1.0 allows tab, newline, carriage return and U+0020 upward, minus surrogates and U+FFFE/U+FFFF
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str, field: str, limit: int = TEXT_MAX, *, one_line: bool = False) -> str:
    """The text without control, bidi-override, zero-width and surrogate characters (tab and newline stay;
    CRLF becomes LF; a one-line text keeps no line breaks); refused, naming the field, when longer than `limit`."""
    if not isinstance(text, str):
        raise InvalidInput(f"{field} must be text", field)
    text = _DROP.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if one_line:
        text = " ".join(text.split())
    if len(text) > limit:
        raise InvalidInput(f"{field} is {len(text):,} characters long; at most {limit:,} are kept", field)
    return text


def clean_map(values: dict[str, str], field: str, limit: int = FIELD_MAX) -> dict[str, str]:
    """Each name and value of a map of texts cleaned; names are one line of at most 64 characters."""
    if not isinstance(values, dict):
        raise InvalidInput(f"{field} must map names to texts", field)
    return {clean(str(k), field, 64, one_line=True): clean(v if isinstance(v, str) else str(v), f"{field}.{k}", limit)
            for k, v in values.items()}


def xml_text(text: str) -> str:
    """A text an XML 1.0 writer can put out: what the gate let through before it existed is dropped here too."""
    return _NOT_XML.sub("", _DROP.sub("", text))


def xml_tree(root: Any) -> Any:
    """Every text, tail and attribute of an ElementTree made writable as XML 1.0 (the writers' second filter:
    rows stored before the gate, or words from the plan, must not break a feed for everyone)."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for name, value in element.attrib.items():
            element.attrib[name] = xml_text(value)
    return root


def check_id(value: int, field: str = "id") -> int:
    """An id within what both databases hold; refused otherwise (naming the field)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise InvalidInput(f"{field} must be a whole number from 1 to {ID_MAX}", field)
    return value


def parse_int(raw: object, field: str, low: int = 0, high: int = ID_MAX) -> int:
    """A whole number in ASCII digits (so '²' and '١' are not numbers) between `low` and `high`."""
    text = str(raw).strip()
    if not re.fullmatch(r"-?[0-9]{1,12}", text) or not low <= int(text) <= high:
        raise InvalidInput(f"{field} must be a whole number from {low} to {high}", field)
    return int(text)


def check_moment(moment: datetime, field: str) -> datetime:
    """A time that can be stored and shifted by a day either way without leaving the calendar (years 2 to 9998)."""
    if not 2 <= moment.year <= 9998:
        raise InvalidInput(f"{field}: the year {moment.year} is out of range", field)
    return moment


def json_depth(raw: bytes) -> int:
    """How deeply a JSON document nests, read without parsing it (strings skipped), so a bomb is measured cheaply."""
    if raw.count(b"[") + raw.count(b"{") <= JSON_DEPTH_MAX:
        return 1  # too few brackets to be too deep: not worth reading byte by byte
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
