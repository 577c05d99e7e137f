"""Charts of CX drivers: the mix as bars, the weekly trend as lines, and a CX-score average bar list.

Pure builders (no Streamlit): each takes its font size, so the council's room mode passes ROOM_CHART_FONT_PX
(components/common/presentation_style.py) and the same chart is readable from the back of the room.
"""

from datetime import date

import altair as alt
import pandas as pd

from components.common.charts import FONT_SIZE
from cxos.vocabulary import DRIVERS, REVIEW_DRIVERS

# Review drivers (the conversation went badly) in warm colours, feedback drivers (what to change) in cool ones.
DRIVER_COLOURS = {
    "driver_effort": "#b2182b",
    "driver_emotion": "#e66101",
    "driver_answer_ai": "#8c510a",
    "driver_answer_human": "#d6604d",
    "driver_product": "#2166ac",
    "driver_policy": "#5e3c99",
}
assert set(DRIVER_COLOURS) == set(DRIVERS)
INK = "#1b1b1b"  # chart text in near-black: grey is unreadable across a room (the room test checks contrast)
_LABELS = list(DRIVERS.values())
_SCALE = alt.Scale(domain=_LABELS, range=[DRIVER_COLOURS[d] for d in DRIVERS])


def driver_mix_bars(mix: dict[str, int], *, font_size: int = FONT_SIZE) -> alt.Chart:
    """One horizontal bar per driver: signals with it, and its share of all signals in the range."""
    total = max(1, int(mix.get("signals", 0)))
    rows = [
        {
            "driver": label,
            "signals": int(mix.get(driver, 0)),
            "share": int(mix.get(driver, 0)) / total,
            "review": "flagged for review" if driver in REVIEW_DRIVERS else "feedback",
        }
        for driver, label in DRIVERS.items()
    ]
    data = pd.DataFrame(rows, columns=["driver", "signals", "share", "review"])
    data["text"] = [f"{n:,} · {s:.0%}" for n, s in zip(data["signals"], data["share"], strict=True)]
    top = max(1, int(data["signals"].max()) if len(data) else 1)
    base = alt.Chart(data).encode(
        y=alt.Y("driver:N", sort=_LABELS, title=None, axis=alt.Axis(labelLimit=360)),
        x=alt.X(
            "signals:Q",
            title="signals with the driver",
            scale=alt.Scale(
                domain=[0, top * 1.45], nice=False
            ),  # room right of the longest bar for its label
            axis=alt.Axis(tickMinStep=1, format="d", tickCount=4, labelOverlap=False),
        ),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("driver:N", scale=_SCALE, legend=None),
        tooltip=["driver:N", "signals:Q", alt.Tooltip("share:Q", format=".0%"), "review:N"],
    )
    text = base.mark_text(align="left", dx=4, fontSize=font_size, color="#000000").encode(text="text:N")
    return (
        (bars + text)
        .properties(height=alt.Step(round(font_size * 2.2)))  # a bar per line of text at any font size
        .configure_axis(labelFontSize=font_size, titleFontSize=font_size, labelColor=INK, titleColor=INK)
        .configure_view(strokeWidth=0)
    )


def driver_trend_lines(
    trend: list[tuple[date, str, int]], *, font_size: int = FONT_SIZE, label_angle: int = 0
) -> alt.Chart:
    """Signals with each driver per week (Monday), a line per driver in the mix's colours. No label is
    dropped for lack of room (the room test counts a dropped label as a fault): at room sizes, angle them."""
    # Weeks as ordered labels ("23 Nov"), not a time axis: Vega's week ticks fall on Sundays and in the browser's
    # time zone, so a Monday bucket could be labelled with the day before.
    weeks = sorted({week for week, _, _ in trend})
    names = {week: f"{week:%d %b}" for week in weeks}
    data = pd.DataFrame(
        [(names[week], DRIVERS[driver], n) for week, driver, n in trend],
        columns=["week", "driver", "signals"],
    )
    return (
        alt.Chart(data)
        .mark_line(
            point=alt.OverlayMarkDef(size=font_size * 4), strokeWidth=3 if font_size > FONT_SIZE else 2
        )
        .encode(
            x=alt.X(
                "week:O",
                sort=[names[week] for week in weeks],
                title="week starting",
                axis=alt.Axis(labelAngle=label_angle, labelOverlap=False),
            ),
            y=alt.Y(
                "signals:Q", title="signals", axis=alt.Axis(tickMinStep=1, format="d", labelOverlap=False)
            ),
            color=alt.Color(
                "driver:N",
                scale=_SCALE,
                legend=alt.Legend(
                    orient="bottom", title=None, columns=3, labelLimit=400, symbolSize=font_size * 12
                ),
            ),
            tooltip=["week:O", "driver:N", "signals:Q"],
        )
        # Streamlit fits the whole chart (axes and legend too) into this height: the lines get what is left.
        .properties(height=font_size * 26)
        .configure_axis(labelFontSize=font_size, titleFontSize=font_size, labelColor=INK, titleColor=INK)
        .configure_legend(labelFontSize=font_size, labelColor=INK)
    )


def score_bars(averages: list[tuple[str, float, int]], *, font_size: int = FONT_SIZE) -> alt.Chart:
    """Mean CX score per group (worst first), on the score's own 1–5 axis, with how many signals it averages."""
    data = pd.DataFrame(averages, columns=["group", "score", "signals"])
    data["text"] = [f"{s:.2f} ({n:,})" for s, n in zip(data["score"], data["signals"], strict=True)]
    base = alt.Chart(data).encode(
        y=alt.Y("group:N", sort=None, title=None, axis=alt.Axis(labelLimit=420)),
        x=alt.X(
            "score:Q",
            title="mean CX score (1 worst, 5 best)",
            scale=alt.Scale(domain=[1, 6], zero=False),  # bars start at 1; past 5: room for the last label
            axis=alt.Axis(values=[1, 2, 3, 4, 5], labelOverlap=False),
        ),
    )
    bars = base.mark_bar(color="#1f4e79", clip=True).encode(tooltip=["group:N", "score:Q", "signals:Q"])
    text = base.mark_text(align="left", dx=4, fontSize=font_size, color="#000000").encode(text="text:N")
    return (
        (bars + text)
        .properties(height=alt.Step(round(font_size * 2)))
        .configure_axis(labelFontSize=font_size, titleFontSize=font_size, labelColor=INK, titleColor=INK)
        .configure_view(strokeWidth=0)
    )
