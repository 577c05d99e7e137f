"""The OS fit score's pieces: the sub-score table, the weakest component's advice, the self-assessment form."""

import pandas as pd
import streamlit as st

from components.common.data import get_store
from components.common.safe import md_escape
from components.common.writes import run_write
from cxos.identity import Actor
from cxos.kpis.fit_score import QUESTIONS, ComponentFit, record_self_assessment
from cxos.models import SelfAssessment

NO_DATA = "no data yet"


def subscore_table(fits: list[ComponentFit]) -> pd.DataFrame:
    """One row per component: its score and each sub-score as a percentage, or 'no data yet'."""
    rows = []
    for fit in fits:
        row = {
            "Component": fit.component.label,
            "Fit score": NO_DATA if fit.score is None else str(fit.score),
        }
        for sub in fit.subscores:
            row[sub.name] = NO_DATA if sub.value is None else f"{round(100 * sub.value)}%"
        rows.append(row)
    return pd.DataFrame(rows)


def weakest_component(fits: list[ComponentFit]) -> None:
    scored = [f for f in fits if f.score is not None]
    if not scored:
        st.info("No component has data yet: log friction and route it, and the score fills in.")
        return
    weakest = min(scored, key=lambda f: f.score)
    sub = weakest.weakest
    with st.container(border=True):
        st.markdown(f"#### Weakest: {weakest.component.label} · {weakest.score}")
        if sub:
            st.markdown(f"**What would raise it:** {md_escape(sub.advice)}")
            st.caption(f"Its lowest part is {md_escape(sub.name.lower())}: {md_escape(sub.detail)}.")


def component_details(fits: list[ComponentFit]) -> None:
    for fit in fits:
        with st.expander(f"{fit.component.label} · {NO_DATA if fit.score is None else fit.score}"):
            for sub in fit.subscores:
                value = NO_DATA if sub.value is None else f"{round(100 * sub.value)}%"
                st.markdown(
                    f"**{md_escape(sub.name)}: {value}** — {md_escape(sub.detail)}  \n{md_escape(sub.advice)}"
                )


def self_assessment(actor: Actor, latest: dict[tuple[str, str], SelfAssessment]) -> None:
    """The method's questions per component, rated 1–5; every save is kept as history."""
    components = list(QUESTIONS)
    component = st.selectbox("Component", components, format_func=lambda c: c.label, key="assess_component")
    with st.form(f"assess_{component.value}"):
        ratings = {}
        for question in QUESTIONS[component]:
            previous = latest.get((component.value, question))
            ratings[question] = st.slider(
                question,
                1,
                5,
                previous.rating if previous else 3,
                help="1: we can't answer this today · 5: we answer it with data, every week",
            )
            if previous:
                st.caption(
                    f"Last rated {previous.rating} by {md_escape(previous.assessed_by)} on "
                    f"{previous.assessed_at:%d %b %Y}"
                )
        note = st.text_input("Note (optional)", max_chars=2000)
        if st.form_submit_button("Save ratings", disabled=not actor.can("self_assess")):
            run_write(
                lambda: record_self_assessment(
                    get_store(), component=component.value, ratings=ratings, actor=actor, note=note
                ),
                done="Ratings saved.",
            )
    if not actor.can("self_assess"):
        st.caption(f"Rating needs the council role; yours is {actor.role.value}.")
