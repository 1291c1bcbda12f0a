"""Render message templates: sandboxed Jinja2, undefined variables are errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_datetime, get_timezone
from jinja2.sandbox import SandboxedEnvironment

from crisisplan.errors import CrisisplanError


class TemplateError(CrisisplanError):
    """A template failed to render; names the file and line."""

    def __init__(self, file: str, line: int, message: str):
        self.file, self.line = file, line
        super().__init__(f"{file}:{line}: template error: {message}")


def zone_label(moment: datetime, time_zone: str) -> str:
    """The zone as every language writes it: the offset from UTC on that day (`UTC+1`, `UTC-3:30`, `UTC`),
    so a reader in any language sees the same label for the same moment; tz database abbreviations are
    not in every locale (babel gives `CET` in Spanish, `GMT+1` in English)."""
    offset = moment.astimezone(get_timezone(time_zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if not minutes:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60}" + (f":{minutes % 60:02d}" if minutes % 60 else "")


def format_moment(moment: datetime, locale: str, time_zone: str, now: datetime | None = None) -> str:
    """`10:15 UTC+1`, or with the day when it is not today: `10:15 UTC+1, 2 Jan` (`2 ene` in Spanish): the
    time and the day in the locale's words, the zone label the same in every language."""
    tz = get_timezone(time_zone)
    text = format_datetime(moment, "HH:mm", tzinfo=tz, locale=locale) + " " + zone_label(moment, time_zone)
    if now is None or moment.astimezone(tz).date() != now.astimezone(tz).date():
        text += ", " + format_datetime(moment, "d MMM", tzinfo=tz, locale=locale)
    return text


class Renderer:
    """Compiles each template once and renders it with strict, sandboxed Jinja2."""

    def __init__(self, root: Path):
        self.root = root
        self.env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(root)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # Markdown out; HTML is sanitised after Markdown conversion
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, path: Path, context: dict[str, Any]) -> str:
        """Fill in one message template, or say which file and line of it is wrong."""
        name = path.relative_to(self.root).as_posix()
        shown = str(Path("templates") / name) if self.root.name == "templates" else str(path)
        try:
            text = self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as error:
            raise TemplateError(shown, error.lineno or 1, error.message or "syntax error") from None
        except jinja2.TemplateNotFound:
            raise TemplateError(shown, 1, "template file not found") from None
        except (jinja2.UndefinedError, jinja2.exceptions.SecurityError, TypeError, ValueError) as error:
            raise TemplateError(shown, _line_of(error, name), str(error)) from None
        return _tidy(text)


def _line_of(error: BaseException, name: str) -> int:
    """The template line the error happened on, from the traceback Jinja2 rewrites."""
    tb = error.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
