"""Exporting every signal with its current state, as CSV (safe to open in a spreadsheet) or JSON."""

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from sqlmodel import col, select

from cxos.journey.map import teams, touchpoint_options
from cxos.models import Signal
from cxos.store.store import Store

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BATCH = 5_000
COLUMNS = [
    "id",
    "created_at",
    "title",
    "description",
    "source",
    "stage",
    "touchpoint",
    "component",
    "owner_team",
    "status",
    "status_reason",
    "severity",
    "account",
    "arr",
    "reporter",
    "external_ref",
    "root_cause",
    "failure_mode_id",
    "duplicate_of_id",
    "routed_by",
    "routed_at",
    "driver_effort",
    "driver_emotion",
    "driver_answer_ai",
    "driver_answer_human",
    "driver_product",
    "driver_policy",
    "touchpoint_id",
    "owner_team_id",
    "created_by",
    "updated_at",
    "updated_by",
    "version",
]


def neutralise(value: Any) -> Any:
    """Make a text cell inert in Excel, Sheets and LibreOffice by prefixing a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table as shown on a page, as CSV whose every text cell is inert in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(name) for name in columns])
    for row in rows:
        writer.writerow([neutralise(_table_cell(value)) for value in row])
    return out.getvalue()


def _table_cell(value: Any) -> Any:
    """An empty cell for what a table shows as empty (None, or pandas' NaN/NaT for a missing number or time)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "NaT":
        return ""
    return _cell(value)


def export_rows(store: Store) -> Iterator[dict[str, Any]]:
    """Every signal, oldest first, with stage, touchpoint and owner names beside the ids."""
    with store.read() as session:
        journey = {tp.id: tp for tp in touchpoint_options(session, include_archived=True)}
        team_names = {team.id: team.name for team in teams(session)}
        query = select(Signal).order_by(col(Signal.id)).execution_options(yield_per=BATCH)
        for signal in session.exec(query):
            row = signal.model_dump()
            tp = journey.get(signal.touchpoint_id)
            row["stage"] = tp.stage if tp else None
            row["touchpoint"] = tp.name if tp else None
            row["component"] = tp.component if tp else None
            row["owner_team"] = team_names.get(signal.owner_team_id)
            yield {column: row[column] for column in COLUMNS}


def write_csv(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    writer = None
    count = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(row))
            writer.writeheader()
        writer.writerow({key: neutralise(_cell(value)) for key, value in row.items()})
        count += 1
    return count


def write_json(rows: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """A JSON array written row by row, so a million signals never sit in memory at once."""
    out.write("[")
    count = 0
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps({key: _cell(value) for key, value in row.items()}, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def _cell(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
