"""Reading values out of a page's address: one reader per kind of value, each refusing what it cannot read.

A URL is typed, pasted, bookmarked and forwarded by people and tools we do not control, so every reader
takes any string and either returns a value the page can use as it is, or raises `Unreadable` with words
fit to show next to the parameter's name. Nothing here knows about Streamlit; the page side is
`components/common/url_params.py`.
"""

import re
from collections.abc import Mapping
from datetime import date
from typing import TypeVar

from cxos.inputs import storable_text

T = TypeVar("T")

# The largest id a row can have on every backend: PostgreSQL's INTEGER (SQLite's is wider).
MAX_ID = 2**31 - 1
# A list longer than any journey or vocabulary holds is not a filter someone built by hand.
MAX_ITEMS = 200
# What a reader looks at of one value at most; the rest of a longer value is never parsed.
MAX_RAW_CHARS = 10_000
# Only ASCII digits: str.isdigit() also accepts "²" and "٣", which int() then refuses or reads.
_ASCII_INT = re.compile(r"[0-9]{1,10}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Control characters (NUL, escapes, bidirectional overrides) never belong in a search typed into a URL.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class Unreadable(ValueError):
    """A parameter's value the page cannot use; the message says why, in words for the person who followed the link."""


def _bounded(raw: str) -> str:
    if len(raw) > MAX_RAW_CHARS:
        raise Unreadable(f"longer than {MAX_RAW_CHARS:,} characters")
    return raw.strip()


def read_int(raw: str, *, lo: int, hi: int) -> int:
    """A whole number from lo to hi, written in ASCII digits (an optional leading minus when lo < 0)."""
    text = _bounded(raw)
    negative = text.startswith("-") and lo < 0
    digits = text[1:] if negative else text
    if not _ASCII_INT.fullmatch(digits):
        raise Unreadable("not a whole number")
    value = -int(digits) if negative else int(digits)
    if not lo <= value <= hi:
        raise Unreadable(f"not between {lo:,} and {hi:,}")
    return value


def read_id(raw: str) -> int:
    """A row id: a whole number from 1 to the largest id any backend stores."""
    try:
        return read_int(raw, lo=1, hi=MAX_ID)
    except Unreadable:
        raise Unreadable("not a number the app gives out") from None


def read_choice(raw: str, options: Mapping[str, T]) -> T:
    """One of the options, by its spelling in the URL (case and surrounding spaces ignored)."""
    text = _bounded(raw).lower()
    for spelling, value in options.items():
        if spelling.lower() == text:
            return value
    raise Unreadable("not one of the choices")


def _items(raw: str) -> list[str]:
    items = [item.strip() for item in _bounded(raw).split(",") if item.strip()]
    if len(items) > MAX_ITEMS:
        raise Unreadable(f"more than {MAX_ITEMS} items")
    return items


def read_choices(raw: str, options: Mapping[str, T]) -> tuple[list[T], list[str]]:
    """A comma-separated list of options: the ones read, in order without repeats, and the items that are none."""
    chosen: list[T] = []
    rejected: list[str] = []
    for item in _items(raw):
        try:
            value = read_choice(item, options)
        except Unreadable:
            rejected.append(item)
            continue
        if value not in chosen:
            chosen.append(value)
    return chosen, rejected


def read_date(raw: str, *, lo: date, hi: date) -> date:
    """A calendar day written YYYY-MM-DD, from lo to hi."""
    text = _bounded(raw)
    if not _ISO_DATE.fullmatch(text):
        raise Unreadable("not a date written YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Unreadable("not a day of the calendar") from None
    if not lo <= day <= hi:
        raise Unreadable(f"not between {lo.isoformat()} and {hi.isoformat()}")
    return day


def read_text(raw: str, *, max_chars: int) -> tuple[str, bool]:
    """Free text as the databases store it, without control characters, and whether it was cut to max_chars."""
    text = _CONTROL.sub("", storable_text(raw[: max_chars * 2])).strip()
    return text[:max_chars], len(text) > max_chars or len(raw) > max_chars * 2


def read_date_range(since: date | None, until: date | None) -> tuple[date | None, date | None]:
    """A from–to range whose ends are each optional; an end before the start is refused."""
    if since and until and until < since:
        raise Unreadable(f"{until.isoformat()} is before {since.isoformat()}")
    return since, until


FLAG_SPELLINGS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False}


def read_flag(raw: str) -> bool:
    """On or off: 1/true/yes/on or 0/false/no (an empty value, `?present`, is on)."""
    return True if not raw.strip() else read_choice(raw, FLAG_SPELLINGS | {"off": False})
