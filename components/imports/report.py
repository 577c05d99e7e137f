"""The import report card: counts that add up to the rows read, and the reported rows, downloadable as CSV."""

import pandas as pd
import streamlit as st

from components.common.safe import md_escape
from cxos.importers.report import ImportReport, problems_csv

SHOWN_ROWS = 1_000


def report_card(report: ImportReport, *, key: str = "import") -> None:
    with st.container(border=True):
        st.markdown("**Dry run: nothing was stored**" if report.dry_run else "**Import done**")
        st.caption(md_escape(report.summary()))
        cells = st.columns(6)
        cells[0].metric("Rows read", f"{report.rows_read:,}", border=True)
        cells[1].metric("Would import" if report.dry_run else "Imported", f"{report.imported:,}", border=True)
        cells[2].metric("Duplicates", f"{report.count('duplicate'):,}", border=True)
        cells[3].metric("Skipped", f"{report.count('skipped'):,}", border=True)
        cells[4].metric("Errors", f"{report.count('error'):,}", border=True)
        cells[5].metric(
            "Unplaced",
            f"{report.unplaced:,}",
            border=True,
            help="Rows no column, placement rule or sure model placed at a touchpoint: stored, and waiting "
            "in the council's Unplaced list (Council › Triage) to be placed.",
        )
        for note in report.notes:
            st.caption(md_escape(note))
        if not report.problems and not report.row_notes:
            return
        rows = sorted([*report.problems, *report.row_notes], key=lambda p: p.row)
        frame = pd.DataFrame(
            [{"Row": p.row, "Outcome": p.outcome, "Why": p.message} for p in rows[:SHOWN_ROWS]]
        )
        st.dataframe(frame, hide_index=True, width="stretch", height=min(38 + 35 * len(frame), 420))
        if len(rows) > SHOWN_ROWS:
            st.caption(f"The first {SHOWN_ROWS:,} of {len(rows):,} reported rows; download them all.")
        st.download_button(
            "Download reported rows (CSV)",
            problems_csv(report),
            file_name="import-report.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"{key}_report_download",
        )
