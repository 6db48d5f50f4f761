"""Pages in Simplified Chinese and English (Flask-Babel).

The language is the user's choice (kept in the session, and in the account for people
who sign in), else the browser's, else English.  Numbers, dates and money are formatted
for that locale by the template filters registered here.  The catalogues are compiled
from ``wms/translations/*/LC_MESSAGES/messages.po`` when the app starts, so no binary
file is kept in the repository and an edited catalogue takes effect on restart.
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, format_currency, format_datetime, format_decimal, get_locale

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LOCALES = ("en", "zh")
LOCALE_NAMES = {"en": "English", "zh": "简体中文"}
LOCALE_KEY = "locale"


def select_locale() -> str:
    chosen = session.get(LOCALE_KEY)
    if chosen in LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(LOCALES) or "en"


def compile_catalogues(directory: Path = TRANSLATIONS) -> None:
    """Write each ``messages.mo`` whose ``.po`` is newer (or that is missing)."""
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalogue = read_po(po, locale=po_path.parent.parent.name)
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")  # workers start together
        with tmp.open("wb") as mo:
            write_mo(mo, catalogue, use_fuzzy=False)
        tmp.replace(mo_path)  # atomic: several workers may start at once


def number(value: int | float | Decimal | None, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is None:
        return str(format_decimal(value))
    return str(format_decimal(value, format="#,##0." + "0" * digits if digits else "#,##0"))


def money(value: Decimal | str | None, currency: str = "CNY") -> str:
    if value is None or value == "":
        return ""
    return str(format_currency(Decimal(value), currency))


def when(value: datetime | str | None, style: str = "medium") -> str:
    """A moment in the reader's language (times shown in UTC, as stored)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(format_datetime(moment, style))


def init_app(app: Flask) -> None:
    compile_catalogues()
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(number=number, money=money, when=when)
    app.jinja_env.add_extension("jinja2.ext.i18n")  # {% trans %} blocks

    @app.context_processor
    def _language() -> dict[str, object]:
        return {"locale": str(get_locale()), "locale_names": LOCALE_NAMES}
