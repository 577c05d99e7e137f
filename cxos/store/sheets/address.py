"""Recognising a Google Sheet address (gsheets://ID, gsheets+fake://NAME, a docs.google.com link) without loading
gspread, so the SQL stores and the CLI never pay for it."""

import re

SCHEMES = ("gsheets://", "gsheets+fake://")
DOC_URL = re.compile(r"docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]+)")


def is_sheets_url(text: str) -> bool:
    text = text.strip()
    return text.startswith(SCHEMES) or bool(DOC_URL.search(text))
