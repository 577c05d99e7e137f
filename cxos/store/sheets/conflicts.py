"""Queued changes that were set aside because the same row was changed in the sheet: what they were, to redo by hand."""

import json
from typing import Any

from cxos.store.store import Store

SHOWN = 200  # the newest ones; more than this means something else is wrong


def list_conflicts(store: Store, *, limit: int = SHOWN) -> list[dict[str, Any]]:
    """Newest first: when, table, row id, why it was set aside, and our values (the row's cells, by column)."""
    from cxos.store.sheets.store import SheetsStore

    if not isinstance(store, SheetsStore):
        return []
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT at, tbl, row_id, reason, ours FROM _sheet_conflicts ORDER BY at DESC, rowid DESC LIMIT ?",
            (limit,),
        ).all()
    return [
        {
            "at": at,
            "tbl": tbl,
            "row_id": row_id,
            "reason": reason,
            "ours": _by_column(store.columns(tbl), ours),
        }
        for at, tbl, row_id, reason, ours in rows
    ]


def _by_column(columns: list[str], ours: str) -> dict[str, Any]:
    try:
        cells = json.loads(ours)
    except ValueError:
        return {"(as stored)": ours}
    named = dict(zip(columns, cells, strict=False))
    named.update(
        {f"column {index + 1}": cell for index, cell in enumerate(cells[len(columns) :], start=len(columns))}
    )
    return named
