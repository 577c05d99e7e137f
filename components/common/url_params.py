"""The one door to a page's address: every query parameter a page reads or writes goes through here.

Each reader takes the parameter's name in the URL and its label as the page shows it. A value it cannot
use is ignored, and a caption says so, naming the label: a hand-edited or truncated link opens the page
without that part instead of raising. The parsing itself is `cxos/url_params.py`.
"""

from collections.abc import Collection, Mapping
from datetime import date
from typing import TypeVar

import streamlit as st

from components.common.safe import md_escape
from cxos.url_params import (
    Unreadable,
    read_choice,
    read_choices,
    read_date,
    read_date_range,
    read_flag,
    read_id,
    read_int,
    read_text,
)

T = TypeVar("T")
SHOWN_CHARS = 40  # of an ignored value, in its note
# Every parameter name a reader was asked for in this process: the page fuzz test reads it to know what to fuzz.
PARAMS_READ: set[str] = set()


def _raw(name: str) -> str | None:
    PARAMS_READ.add(name)
    return st.query_params.get(name)  # the last one when a key is repeated


def ignored(label: str, raw: str, why: str) -> None:
    """Say, where the page starts, which part of the link was left out and why."""
    shown = raw if len(raw) <= SHOWN_CHARS else raw[:SHOWN_CHARS] + "…"
    st.caption(f":material/link_off: Left out of the link: {label} “{md_escape(shown)}” ({md_escape(why)}).")


def url_id(name: str, label: str) -> int | None:
    """A row id (`?signal=12`), or None when absent or unreadable."""
    raw = _raw(name)
    if not raw:
        return None
    try:
        return read_id(raw)
    except Unreadable as why:
        ignored(label, raw, str(why))
        return None


def url_int(name: str, label: str, *, lo: int, hi: int, default: int) -> int:
    """A whole number from lo to hi (`?step=3`), or the default."""
    raw = _raw(name)
    if not raw:
        return default
    try:
        return read_int(raw, lo=lo, hi=hi)
    except Unreadable as why:
        ignored(label, raw, str(why))
        return default


def url_choice(name: str, label: str, options: Mapping[str, T], default: T) -> T:
    """One of the options by its URL spelling (`?view=stage_week`), or the default."""
    raw = _raw(name)
    if not raw:
        return default
    try:
        return read_choice(raw, options)
    except Unreadable as why:
        ignored(label, raw, str(why))
        return default


def url_choices(name: str, label: str, options: Mapping[str, T]) -> list[T]:
    """A comma-separated list of options (`?status=new,routed`); unknown items are left out with a note."""
    raw = _raw(name)
    if not raw:
        return []
    try:
        chosen, rejected = read_choices(raw, options)
    except Unreadable as why:
        ignored(label, raw, str(why))
        return []
    if rejected:
        ignored(label, ",".join(rejected), "not one of the choices")
    return chosen


def url_ids(name: str, label: str, known: Collection[int]) -> list[int]:
    """A comma-separated list of ids among `known` (`?stage=2,3`); the rest are left out with a note."""
    return url_choices(name, label, {str(item): item for item in known})


def url_date(name: str, label: str, *, lo: date, hi: date) -> date | None:
    """A day written YYYY-MM-DD from lo to hi, or None."""
    raw = _raw(name)
    if not raw:
        return None
    try:
        return read_date(raw, lo=lo, hi=hi)
    except Unreadable as why:
        ignored(label, raw, str(why))
        return None


def url_date_range(label: str, *, lo: date, hi: date) -> tuple[date | None, date | None]:
    """`?since=…&until=…`, each end optional; an until before the since is left out with a note."""
    since = url_date("since", f"{label} (from)", lo=lo, hi=hi)
    until = url_date("until", f"{label} (to)", lo=lo, hi=hi)
    try:
        return read_date_range(since, until)
    except Unreadable as why:
        ignored(f"{label} (to)", until.isoformat() if until else "", str(why))
        return since, None


def url_text(name: str, label: str, *, max_chars: int) -> str:
    """Free text (`?q=…`) without control characters; a longer one is cut to max_chars with a note."""
    raw = _raw(name)
    if not raw:
        return ""
    text, cut = read_text(raw, max_chars=max_chars)
    if cut:
        ignored(label, raw, f"cut to its first {max_chars:,} characters")
    return text


def url_flag(name: str, label: str) -> bool:
    """On when present as 1/true/yes/on or empty; off when absent or 0/false/no/off."""
    raw = _raw(name)
    if raw is None:
        return False
    try:
        return read_flag(raw)
    except Unreadable as why:
        ignored(label, raw, str(why))
        return False


def url_snapshot(names: Collection[str]) -> dict[str, str]:
    """The raw values of these parameters, only to tell whether the address changed since it was last read."""
    return {name: st.query_params.get(name, "") for name in sorted(names) if name in st.query_params}


def set_url_params(**values: str | None) -> None:
    """Write parameters into the address, leaving the others; an empty value or None removes one."""
    for name, value in values.items():
        if value and st.query_params.get(name) != value:
            st.query_params[name] = value
        elif not value and name in st.query_params:
            del st.query_params[name]


def replace_url_params(values: Mapping[str, str]) -> None:
    """Make the address hold exactly these parameters (untouched when it already does)."""
    if st.query_params.to_dict() != dict(values):
        st.query_params.from_dict(dict(values))
