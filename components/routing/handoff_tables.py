"""The handoffs page's tables: plain-text cells, names instead of ids, a link that opens each signal."""

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from components.common import pages
from components.common.data import Journey
from cxos.routing.handoffs import BACKLOG_WEEKS, BOUNCE_FLAG, TeamBacklog
from cxos.vocabulary import Status, label

SIGNAL_LINK = st.column_config.LinkColumn("#", display_text=r"signal=(\d+)$", width=70)
TEXT = st.column_config.TextColumn


def _where_and_owner(row: dict[str, Any], journey: Journey) -> dict[str, str]:
    return {
        "Where": journey.where(row["touchpoint_id"]),
        "Owner now": journey.team_name(row["owner_team_id"]) or "— triage",
        "Status": label(Status, row["status"]),
    }


def show_bounced(rows: list[dict[str, Any]], journey: Journey) -> None:
    frame = pd.DataFrame(
        [
            {
                "Open": pages.FRICTION_LOG.url(signal=r["id"]),
                "Bounces": r["bounces"],
                "Flag": "⚑ bounced" if r["bounces"] >= BOUNCE_FLAG else "",
                "What happened": r["title"],
                **_where_and_owner(r, journey),
            }
            for r in rows
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=420,
        column_config={
            "Open": SIGNAL_LINK,
            "Bounces": st.column_config.NumberColumn(width=70),
            "Flag": TEXT(width=90),
            "What happened": TEXT(width=280),
            "Where": TEXT(width=200),
            "Owner now": TEXT(width=110),
            "Status": TEXT(width=90),
        },
    )


def show_stale(rows: list[dict[str, Any]], journey: Journey, *, now: datetime) -> None:
    frame = pd.DataFrame(
        [
            {
                "Open": pages.FRICTION_LOG.url(signal=r["id"]),
                "Days silent": (now - r["updated_at"]).days,
                "What happened": r["title"],
                **_where_and_owner(r, journey),
            }
            for r in rows
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=420,
        column_config={
            "Open": SIGNAL_LINK,
            "Days silent": st.column_config.NumberColumn(width=90),
            "What happened": TEXT(width=420),
        },
    )


def show_backlogs(backlogs: list[TeamBacklog], journey: Journey) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Team": journey.team_name(b.team_id) or f"team #{b.team_id}",
                    "Backlog now": b.open_now,
                    f"{BACKLOG_WEEKS} weeks ago": b.open_before,
                    "Change": b.open_now - b.open_before,
                    f"Fixed or closed in {BACKLOG_WEEKS} weeks": b.closed,
                    "Black hole": "⚠ growing, nothing closed" if b.black_hole else "",
                }
                for b in backlogs
            ]
        ),
        hide_index=True,
        width="stretch",
    )
