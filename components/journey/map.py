"""The journey map: stages left to right, each touchpoint a card with its owner, friction, trend and top failure mode."""

from datetime import date

import streamlit as st

from components.common import pages
from components.common.data import Journey
from components.common.safe import md_escape
from cxos.journey.friction import Cell
from cxos.vocabulary import COMPONENT_LABELS, Component, plural

# Share of the busiest touchpoint's count at which a card turns orange, then red.
HOT, WARM = 0.6, 0.3


def friction_colour(count: int, busiest: int) -> str:
    """The badge colour of a touchpoint's friction, relative to the busiest touchpoint in the window."""
    if not count:
        return "gray"
    share = count / busiest if busiest else 0
    return "red" if share >= HOT else "orange" if share >= WARM else "blue"


def journey_map(
    journey: Journey,
    now: list[Cell],
    before: list[Cell],
    top_modes: dict[int, tuple[str, int]],
    *,
    days: int,
    since: date,
) -> None:
    counts = {c.touchpoint_id: c.signals for c in now}
    previous = {c.touchpoint_id: c.signals for c in before}
    busiest = max(counts.values(), default=0)
    columns = st.columns(len(journey.stages) or 1, gap="small")
    for column, (stage_id, stage_name) in zip(columns, journey.stages, strict=False):
        touchpoints = [tp for tp in journey.touchpoints if tp.stage_id == stage_id and not tp.archived]
        with column:
            total = sum(counts.get(tp.id, 0) for tp in touchpoints)
            st.markdown(f"### {md_escape(stage_name)}")
            st.caption(plural(total, "signal"))
            for tp in touchpoints:
                _card(
                    tp,
                    counts.get(tp.id, 0),
                    previous.get(tp.id, 0),
                    busiest,
                    top_modes.get(tp.id),
                    days,
                    since,
                )


def _card(
    tp, count: int, before: int, busiest: int, top: tuple[str, int] | None, days: int, since: date
) -> None:
    with st.container(border=True):
        st.markdown(f"**{md_escape(tp.name)}**")
        change = count - before
        trend = (
            f":red[▲ {change:,}]" if change > 0 else f":green[▼ {-change:,}]" if change < 0 else "no change"
        )
        st.badge(plural(count, "signal"), color=friction_colour(count, busiest))
        st.markdown(f"{trend} vs the {days} days before")
        component = COMPONENT_LABELS.get(Component(tp.component), tp.component)
        st.caption(
            f"{md_escape(tp.team or 'no owner')} · {md_escape(tp.tool or 'no tool')} · {md_escape(component)}"
        )
        if top:
            st.caption(f"Top failure mode: {md_escape(top[0])} ({top[1]:,})")
        st.page_link(
            pages.FRICTION_LOG.path,
            label="Open its signals",
            icon=":material/arrow_forward:",
            query_params={"touchpoint": str(tp.id), "since": since.isoformat()},
        )
