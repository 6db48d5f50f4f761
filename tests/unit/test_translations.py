"""Every text the pages show has its Simplified Chinese translation, and the catalogue
is up to date with the sources (scripts/translations refreshes it)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "wms" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
METHODS = [("wms/**.py", "python"), ("wms/web/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def source_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "wms"), [(p.removeprefix("wms/"), m) for p, m in METHODS], keywords=KEYWORDS
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


def catalogue() -> dict[str, str]:
    """msgid -> its Chinese; a plural message gives both its forms the one zh form."""
    found: dict[str, str] = {}
    with CATALOGUE.open("rb") as po:
        for m in read_po(po, locale="zh"):
            if not m.id or m.fuzzy:
                continue
            ids = [m.id] if isinstance(m.id, str) else list(m.id)
            text = m.string if isinstance(m.string, str) else (m.string[0] if m.string else "")
            for msgid in ids:
                found[str(msgid)] = str(text or "")
    return found


def test_every_message_of_the_pages_is_translated_to_chinese():
    translated = catalogue()
    missing = sorted(m for m in source_messages() if not translated.get(m))
    assert missing == [], "run scripts/translations, then translate these"


def test_translations_keep_their_placeholders():
    broken = {
        msgid: text
        for msgid, text in catalogue().items()
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text))
    }
    assert broken == {}


def test_a_page_in_chinese_shows_chinese(page_client):
    headers = {"Accept-Language": "zh-CN"}
    page = page_client.get("/sign-in", headers=headers).get_data(as_text=True)
    assert "<title>登录 · WMS</title>" in page
    assert "用户名" in page and "密码" in page
