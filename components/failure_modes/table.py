"""The ranked failure-mode table and the signal links every failure-mode view shares: plain cells, names not ids."""

from typing import Any

import pandas as pd
import streamlit as st

from components.common import pages
from components.common.data import Journey
from cxos.failure_modes.figures import FailureModeFigures
from cxos.vocabulary import Status, label

# The figures the council ranks by come first; where and since when are one scroll away.
RANKING_COLUMNS = [
    "#",
    "Failure mode",
    "Trend",
    "Last 12 weeks",
    "ARR affected",
    "Accounts",
    "Signals",
    "Owner",
    "Root-cause layer",
    "Fix",
    "Where",
    "Status",
    "First seen",
    "Last seen",
]
FIX_STATUS = {
    "planned": "Planned",
    "in_progress": "In progress",
    "shipped": "Shipped",
    "verified": "Verified",
}


def ranking_frame(figures: list[FailureModeFigures], journey: Journey) -> pd.DataFrame:
    """One row per failure mode in rank order, with its live figures and a 12-week trend."""
    return pd.DataFrame(
        [
            {
                "#": f.id,
                "Failure mode": f.name,
                "Status": f.status.capitalize(),
                "Owner": journey.team_name(f.owner_team_id) or "— none yet",
                "Root-cause layer": f.root_cause or "— not named",
                "Where": journey.where(f.touchpoint_id) if f.touchpoint_id else "—",
                "Signals": f.signals,
                "Last 12 weeks": f.recurrence,
                "Accounts": f.accounts,
                "ARR affected": f.arr,
                "Trend": list(f.weekly),
                "First seen": f.first_seen,
                "Last seen": f.last_seen,
                "Fix": f"{FIX_STATUS.get(f.fix_status, f.fix_status)}: {f.fix_title}" if f.fix_title else "—",
            }
            for f in figures
        ],
        columns=RANKING_COLUMNS,
    )


def show_ranking(frame: pd.DataFrame, *, key: str) -> int | None:
    """The ranked table with single-row selection; returns the id of the failure mode clicked, if any."""
    event = st.dataframe(
        frame,
        key=key,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        width="stretch",
        height=min(38 + 35 * len(frame), 900),
        column_config={
            "#": st.column_config.NumberColumn(width=50, format="%d"),
            "Failure mode": st.column_config.TextColumn(width=380),
            "Status": st.column_config.TextColumn(width=90),
            "Owner": st.column_config.TextColumn(width=110),
            "Root-cause layer": st.column_config.TextColumn(width=190),
            "Where": st.column_config.TextColumn(width=220),
            "Signals": st.column_config.NumberColumn(width=70, format="%d"),
            "Last 12 weeks": st.column_config.NumberColumn(
                width=100, format="%d", help="Signals in the last 12 weeks: how often it recurs"
            ),
            "Accounts": st.column_config.NumberColumn(width=80, format="%d"),
            "ARR affected": st.column_config.NumberColumn(
                format="dollar", width=110, help="Each affected account's ARR, counted once"
            ),
            "Trend": st.column_config.BarChartColumn("Trend, 12 weeks", width=130, y_min=0),
            "First seen": st.column_config.DatetimeColumn(format="D MMM YYYY", width=100),
            "Last seen": st.column_config.DatetimeColumn(format="D MMM YYYY", width=100),
            "Fix": st.column_config.TextColumn(width=240),
        },
    )
    selected = event.selection.rows if event else []
    return int(frame.iloc[selected[0]]["#"]) if selected else None


def linked_signals_frame(rows: list[dict[str, Any]], journey: Journey) -> pd.DataFrame:
    """Signals with a link that opens each in the friction log."""
    return pd.DataFrame(
        [
            {
                "Open": pages.FRICTION_LOG.url(signal=row["id"]),
                "Logged": row["created_at"],
                "What happened": row["title"],
                "Status": label(Status, row["status"]),
                "Owner": journey.team_name(row["owner_team_id"]) or "— triage",
                "Account": row["account"] or "—",
                "ARR": row["arr"],
            }
            for row in rows
        ],
        columns=["Open", "Logged", "What happened", "Status", "Owner", "Account", "ARR"],
    )


def show_linked_signals(frame: pd.DataFrame, *, key: str) -> None:
    st.dataframe(
        frame,
        key=key,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(frame), 600),
        column_config={
            "Open": st.column_config.LinkColumn("#", display_text=r"signal=(\d+)$", width=70),
            "Logged": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm", width=140),
            "What happened": st.column_config.TextColumn(width=420),
            "Status": st.column_config.TextColumn(width=100),
            "Owner": st.column_config.TextColumn(width=130),
            "Account": st.column_config.TextColumn(width=170),
            "ARR": st.column_config.NumberColumn(format="dollar", width=100),
        },
    )
