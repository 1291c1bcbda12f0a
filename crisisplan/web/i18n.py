"""The console in the reader's language (Flask-Babel, gettext catalogues in web/translations/).

The language is, in order: the one the person chose on their account page (kept in the database), the best
match of the browser's Accept-Language among the plan's `locales`, the plan's `default_locale`. The status
page keeps its own choice (?lang=, Accept-Language) and its words in the plan's catalogue.yaml; this is
for the console's own words. A locale of the plan without a catalogue here shows the console in English.
"""

from __future__ import annotations

from pathlib import Path

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, g, request
from flask_babel import Babel, get_locale

from crisisplan.web import vocabulary

TRANSLATIONS = Path(__file__).parent / "translations"


def _plan_locales() -> tuple[list[str], str]:
    settings = current_app.extensions["crisisplan"].plan.settings
    return list(settings.locales), settings.default_locale


def console_locale() -> str:
    """The language of this request's console page."""
    locales, default = _plan_locales()
    account = g.get("account")
    chosen = getattr(account, "locale", "") if account is not None else ""
    if chosen in locales:
        return chosen
    return request.accept_languages.best_match(locales) or default


def language_name(code: str, own: bool = False) -> str:
    """A language's name in the reader's language ("Spanish", "español"), or in its own (for choosing one)."""
    try:
        name = Locale.parse(code).get_display_name(code if own else str(get_locale() or code)) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if own else name


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=console_locale, default_translation_directories=str(TRANSLATIONS))
    vocabulary.init_app(app)

    @app.context_processor
    def _language() -> dict[str, object]:
        return {"lang": str(get_locale() or "en"), "language_name": language_name}
