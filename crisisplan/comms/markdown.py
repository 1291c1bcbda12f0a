"""Markdown to sanitised HTML (page, e-mail) and to plain text (short channels)."""

from __future__ import annotations

import html
import re
import threading

import markdown as md
import nh3

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "hr"}
_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")


_local = threading.local()


def _parser() -> md.Markdown:
    # Building a Markdown instance loads its extensions: do it once a thread, reset it per use.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = md.Markdown(extensions=["sane_lists"], output_format="html")
    return parser.reset()


_RAW_TAG = re.compile(r"<(?!(?:https?://|mailto:)[^>\s]+>)")


def to_html(text: str) -> str:
    """Markdown as HTML that keeps only inert tags and http(s)/mailto/tel links.

    Raw HTML in a post is shown as the text it is (`<script>` reads as
    "<script>"), never interpreted; `<https://…>` autolinks still work.
    """
    rendered = _parser().convert(_RAW_TAG.sub("&lt;", text))
    return nh3.clean(
        rendered,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def to_text(text: str) -> str:
    """Plain text for SMS and short social posts: markup dropped, links kept as their URLs."""
    out = _IMAGE.sub(lambda m: m.group(1), text)
    out = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", out)
    out = re.sub(r"<(https?://[^>\s]+)>", r"\1", out)
    out = re.sub(r"(\*\*|__)(.+?)\1", r"\2", out)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", out)
    out = re.sub(r"^#{1,6}\s*", "", out, flags=re.MULTILINE)
    out = re.sub(r"^\s*[-*+]\s+", "- ", out, flags=re.MULTILINE)
    out = re.sub(r"`([^`]*)`", r"\1", out)
    # raw HTML in a plain-text channel is noise at best: drop tags (and script bodies)
    out = html.unescape(nh3.clean(out, tags=set()))
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()
