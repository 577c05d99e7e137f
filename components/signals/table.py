"""The signal table shared by the home page and the friction log: plain-text cells, names instead of ids."""

from typing import Any

import pandas as pd
import streamlit as st

from components.common.data import Journey
from cxos.signals.export import table_csv
from cxos.vocabulary import Severity, Source, Status, label

COLUMNS = ["#", "Logged", "What happened", "Where", "Source", "Severity", "Status", "Owner", "Account", "ARR"]


def signals_frame(rows: list[dict[str, Any]], journey: Journey) -> pd.DataFrame:
    """Rows from `cxos.signals.queries` as the table people read (every cell is text or a number, never HTML)."""
    return pd.DataFrame(
        [
            {
                "#": row["id"],
                "Logged": row["created_at"],
                "What happened": row["title"],
                "Where": journey.where(row["touchpoint_id"]),
                "Source": label(Source, row["source"]),
                "Severity": label(Severity, row["severity"]),
                "Status": label(Status, row["status"]),
                "Owner": journey.team_name(row["owner_team_id"]) or "— triage",
                "Account": row["account"] or "—",
                "ARR": row["arr"],
            }
            for row in rows
        ],
        columns=COLUMNS,
    )


def show_signals(
    frame: pd.DataFrame,
    *,
    key: str,
    height: int | str = "auto",
    columns: list[str] | None = None,
    compact: bool = False,
    download: str | None = None,
) -> int | None:
    """Show the table with single-row selection; returns the id of the signal clicked, if any.

    `compact` narrows the text columns for a half-width card. The grid's own CSV download is off for the whole
    app (`client.disableDataExport` in .streamlit/config.toml: it would write a typed `=HYPERLINK(…)` as a
    live formula); `download` names the file of the formula-safe CSV offered below the table instead.
    """
    event = st.dataframe(
        frame,
        key=key,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        height=height,
        width="stretch",
        column_order=columns or COLUMNS,
        column_config={
            "#": st.column_config.NumberColumn(width=60, format="%d"),
            "Logged": st.column_config.DatetimeColumn(format="D MMM, HH:mm", width=110),
            "What happened": st.column_config.TextColumn(width=300 if compact else 420),
            "Where": st.column_config.TextColumn(width=200 if compact else 260),
            "Source": st.column_config.TextColumn(width=130),
            "Severity": st.column_config.TextColumn(width=80),
            "Status": st.column_config.TextColumn(width=100),
            "Owner": st.column_config.TextColumn(width=130),
            "Account": st.column_config.TextColumn(width=150),
            "ARR": st.column_config.NumberColumn(format="dollar", width=90),
        },
    )
    if download and len(frame):
        shown = columns or COLUMNS
        st.download_button(
            "Download these rows (CSV)",
            table_csv(shown, frame[shown].itertuples(index=False, name=None)),
            file_name=download,
            mime="text/csv",
            type="tertiary",
            icon=":material/download:",
            key=f"{key}_csv",
            help="Cells that a spreadsheet would run as a formula start with ' so they stay text.",
        )
    selected = event.selection.rows if event else []
    return int(frame.iloc[selected[0]]["#"]) if selected else None
