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


def format_moment(moment: datetime, locale: str, time_zone: str, now: datetime | None = None) -> str:
    """`10:15 CET`, or with the day when it is not today: `10:15 CET, 2 Jan`."""
    tz = get_timezone(time_zone)
    zone = format_datetime(moment, "z", tzinfo=tz, locale=locale)
    if zone[:1] in "+-":  # no common abbreviation in this locale: "+0100" reads better as "UTC+1"
        hours, minutes = int(zone[1:3]), zone[3:5]
        zone = f"UTC{zone[0]}{hours}" + (f":{minutes}" if minutes != "00" else "")
    text = format_datetime(moment, "HH:mm", tzinfo=tz, locale=locale) + " " + zone
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
