"""A1 notation: 'signal'!A2:K9 ↔ (worksheet title, first/last row and column), as the Sheets API spells ranges."""

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Z]*)(\d*)$")


@dataclass(frozen=True)
class A1Range:
    title: str
    first_row: int | None = None  # 1-based; None means from the top
    last_row: int | None = None  # None means to the bottom
    first_col: int = 1
    last_col: int | None = None  # None means to the last column


def column_letters(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


def quote_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def a1(title: str, first_row: int, last_col: int, last_row: int | None = None, first_col: int = 1) -> str:
    """'title'!A{first_row}:{last_col}{last_row}; an open-ended range when last_row is None."""
    end = f"{column_letters(last_col)}{'' if last_row is None else last_row}"
    return f"{quote_title(title)}!{column_letters(first_col)}{first_row}:{end}"


def parse(text: str) -> A1Range:
    title, _, cells = text.rpartition("!")
    if not title:  # a bare worksheet title
        title, cells = text, ""
    if title.startswith("'") and title.endswith("'"):
        title = title[1:-1].replace("''", "'")
    if not cells:
        return A1Range(title)
    start, _, end = cells.partition(":")
    start_match, end_match = _CELL.match(start.upper()), _CELL.match((end or start).upper())
    if not start_match or not end_match:
        raise ValueError(f"Unable to parse range: {text}")
    first_col = column_index(start_match[1]) if start_match[1] else 1
    last_col = column_index(end_match[1]) if end_match[1] else None
    first_row = int(start_match[2]) if start_match[2] else None
    last_row = int(end_match[2]) if end_match[2] else None
    return A1Range(title, first_row, last_row, first_col, last_col)
