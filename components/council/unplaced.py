"""The council's Unplaced list: imported rows that no column, placement rule or sure model placed at a touchpoint.

Shown under the triage table. The council ticks rows and places them at one touchpoint in bulk; each becomes a
signal routed on arrival. Ticks are kept by held-row id, as on the triage table (the widget's key names the rows
it shows), so a row placed by someone else meanwhile never passes its tick to the row below it.
"""

from typing import Any

import pandas as pd
import streamlit as st

from components.common.data import get_store, versioned
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import flash, run_write
from components.council.ticks import chosen_ids, table_key
from cxos.importers.unplaced import PlaceResult, count_unplaced, list_unplaced, place_rows
from cxos.models import UnplacedRow
from cxos.vocabulary import Source, label, plural

TABLE_KEY = "council_unplaced_table"
TABLE_KEY_NOW = "council_unplaced_table_key"  # the key the table has on screen now
CHOICES_KEY = "council_unplaced_choices"
GENERATION_KEY = "council_unplaced_generation"
ENTITY = "unplaced_row"


@versioned(UnplacedRow, max_entries=20)
def load_unplaced(_changed: int) -> tuple[list[dict[str, Any]], int]:
    """The oldest waiting rows, and how many wait in all."""
    store = get_store()
    return list_unplaced(store), count_unplaced(store)


def unplaced_frame(rows: list[dict[str, Any]], ctx: PageContext) -> pd.DataFrame:
    def guess(row: dict[str, Any]) -> str:
        if row["guess_touchpoint_id"] is None:
            return ""
        return f"{ctx.journey.where(row['guess_touchpoint_id'])} ({row['guess_confidence']:.0%})"

    return pd.DataFrame(
        [
            {
                "#": row["id"],
                "From": f"{row['import_label'] or 'import'}, row {row['row_number']}",
                "What happened": row["title"],
                "Source": label(Source, row["source"]),
                "Model's guess": guess(row),
            }
            for row in rows
        ],
        columns=["#", "From", "What happened", "Source", "Model's guess"],
    )


def unplaced_section(ctx: PageContext, changed: int, *, presenting: bool) -> None:
    """Nothing when no imported row waits; else the list, and for the council the bulk placing form."""
    rows, count = load_unplaced(changed)
    if not count:
        return
    st.markdown(
        f"**Unplaced: {plural(count, 'imported row')}** wait for a touchpoint (no column, placement rule or "
        "sure model placed them). They are stored; placing one makes it a signal, routed like any new one."
    )
    ids = [row["id"] for row in rows]
    key = table_key(ids, prefix=TABLE_KEY, generation_key=GENERATION_KEY)
    st.session_state[TABLE_KEY_NOW] = key
    chosen = chosen_ids(ids, key, set(), choices_key=CHOICES_KEY)
    where = {held_id: position for position, held_id in enumerate(ids)}
    st.dataframe(
        unplaced_frame(rows, ctx),
        key=key,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        selection_default={"selection": {"rows": [where[i] for i in chosen]}},
        width="stretch",
        height=min(38 + 35 * len(rows), 560 if presenting else 420),
        column_config={
            "#": st.column_config.NumberColumn(width=60, format="%d"),
            "What happened": st.column_config.TextColumn(width=400),
        },
    )
    if len(rows) < count:
        st.caption(f"The oldest {len(rows):,} shown.")
    if not ctx.actor.can("import_signals"):
        return
    versions = {row["id"]: seen_version(ENTITY, row["id"], row["version"]) for row in rows}
    target, apply = st.columns([6, 2], vertical_alignment="bottom")
    touchpoint = target.selectbox(
        "Place the ticked rows at",
        [tp.id for tp in ctx.journey.touchpoints if not tp.archived],
        index=None,
        format_func=ctx.journey.where,
        key="council_unplaced_touchpoint",
        placeholder="Choose the touchpoint",
    )
    if apply.button(
        f"Place {plural(len(chosen), 'row')}",
        type="primary",
        disabled=not chosen or touchpoint is None,
        width="stretch",
        key="council_unplaced_apply",
    ):
        assert touchpoint is not None
        run_write(
            lambda: place_rows(
                ctx.store, items=[(i, versions[i]) for i in chosen], touchpoint_id=touchpoint, actor=ctx.actor
            ),
            done=lambda result: (
                f"Placed {plural(len(result.placed), 'row')} at {md_escape(ctx.journey.where(touchpoint))}."
                if result.placed
                else None
            ),
            show="flash",
            rows=[(ENTITY, i) for i in chosen],
            after=_clear_choices,
            rerun="fragment",
        )


def _clear_choices(result: PlaceResult) -> None:
    """Each refused row said with its reason; the ticks are cleared and the table is a new one."""
    for row_id, why in result.refused:
        flash("error", f"Unplaced row #{row_id:d} refused — {md_escape(why)}")
    st.session_state.pop(CHOICES_KEY, None)
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
