"""The in-app backtest: how routing would have done on the store's own history since a cut-off date."""

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components.common.data import Journey, get_store
from components.common.safe import md_escape
from cxos import clock
from cxos.routing.backtest import BacktestReport, BadInput, backtest_store
from cxos.signals.queries import start_of
from cxos.vocabulary import plural

RESULT_KEY = "routing_backtest_result"
DEFAULT_DAYS_BACK = 91  # "how would routing have done last quarter?"


@st.fragment
def backtest_panel(journey: Journey, threshold: float) -> None:
    st.markdown("#### Backtest on our own history")
    st.caption(
        "Learns only from routes confirmed before the cut-off, then routes every confirmed signal logged "
        "after it — today's rules first, then the model — and compares with the owner the council kept."
    )
    with st.form("routing_backtest", border=False):
        cutoff_column, rules_column, run_column = st.columns([2, 2, 1], vertical_alignment="bottom")
        cutoff = cutoff_column.date_input(
            "Cut-off",
            value=clock.today() - timedelta(days=DEFAULT_DAYS_BACK),
            max_value=clock.today(),
            format="YYYY-MM-DD",
        )
        use_rules = rules_column.toggle("Today's rules first", value=True)
        if run_column.form_submit_button("Run backtest", icon=":material/history:", width="stretch"):
            with st.spinner("Training on the history before the cut-off…"):
                try:
                    report = backtest_store(
                        get_store(), cutoff=start_of(cutoff), threshold=threshold, use_rules=use_rules
                    )
                    st.session_state[RESULT_KEY] = (cutoff, report)
                except BadInput as refused:
                    st.session_state.pop(RESULT_KEY, None)
                    st.warning(md_escape(refused))
    if RESULT_KEY in st.session_state:
        ran_cutoff, report = st.session_state[RESULT_KEY]
        show_report(report, journey, since=ran_cutoff)


def show_report(report: BacktestReport, journey: Journey, *, since: date) -> None:
    st.markdown(
        f"**Since {since:%d %b %Y}:** {plural(report.test_rows, 'signal')} routed, learned from "
        f"{plural(report.train_rows, 'confirmed route')} in {report.training_seconds:.1f} s."
    )
    accuracy, coverage, auto, rules, model, triage = st.columns(6)
    accuracy.metric("Accuracy", f"{report.accuracy:.1%}", border=True, help="Top answer right, every signal")
    coverage.metric(
        "Auto-routed",
        f"{report.coverage:.1%}",
        border=True,
        help=f"By a rule, or by the model at ≥ {report.threshold:.0%} confidence",
    )
    auto.metric("Right when automatic", f"{report.auto_accuracy:.1%}", border=True)
    rules.metric("By rules", f"{report.count('rule'):,}", border=True)
    model.metric("By the model", f"{report.count('model'):,}", border=True)
    triage.metric(
        "Left in triage",
        f"{report.count('triage'):,}",
        border=True,
        help=f"Owner among the three suggestions for {report.triage_top3:.0%} of them",
    )
    frame = pd.DataFrame(
        [
            {
                "Team": journey.team_name(row["owner"]) or f"team #{row['owner']}",
                "Signals": row["rows"],
                "Answered": row["answered"],
                "Precision": 100 * row["precision"],
                "Recall": 100 * row["recall"],
            }
            for row in report.per_owner()
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Precision": st.column_config.ProgressColumn(
                format="%.0f%%",
                min_value=0,
                max_value=100,
                help="Of the signals it sent to this team, the share that were right",
            ),
            "Recall": st.column_config.ProgressColumn(
                format="%.0f%%",
                min_value=0,
                max_value=100,
                help="Of this team's signals, the share it sent there",
            ),
        },
    )
    for note in report.notes:
        st.caption(f"Note: {md_escape(note)}")
