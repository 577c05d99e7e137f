"""Ticks on a council table kept by row id, never by position (the triage table, the Unplaced list).

The table widget's key names the rows it shows, so when the list shifts (someone else acted on a row) the table
is a new widget whose ticks are set again from the ids. After an action the caller clears its choices and moves
its generation: what is ticked then is the starting guess again.
"""

import hashlib
from typing import Any

import streamlit as st

TABLE_KEY = "council_triage_table"  # the prefix of the triage table widget's key
CHOICES_KEY = "council_triage_choices"  # {signal id: ticked or not}, what the person changed
GENERATION_KEY = "council_triage_generation"  # moves after each action: a new table, the guesses ticked again


def ticked_rows(event: Any) -> list[int]:
    """Positions ticked in the table: the widget's state (a dict when a test sets it)."""
    if not event:
        return []
    return list(event["selection"]["rows"] if isinstance(event, dict) else event.selection.rows)


def table_key(ids: list[int], *, prefix: str = TABLE_KEY, generation_key: str = GENERATION_KEY) -> str:
    """One widget per (generation, rows shown): a position in it always means the same row (signal, held row)."""
    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=6).hexdigest()
    return f"{prefix}_{st.session_state.get(generation_key, 0)}_{digest}"


def chosen_ids(
    ids: list[int], key: str, starts_ticked: set[int], *, choices_key: str = CHOICES_KEY
) -> list[int]:
    """The ticked rows: the person's own ticks by id (read from this very table's widget), else the guess."""
    choices: dict[int, bool] = st.session_state.setdefault(choices_key, {})
    if key in st.session_state:  # the widget of these rows: its positions are these ids
        ticked = set(ticked_rows(st.session_state[key]))
        for position, signal_id in enumerate(ids):
            choices[signal_id] = position in ticked
    return [i for i in ids if choices.get(i, i in starts_ticked)]
