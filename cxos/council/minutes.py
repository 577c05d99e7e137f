"""The council's minutes as Markdown to paste into chat or a wiki: attendees, what was reviewed, decisions, actions."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.council.sessions import Decision, actions_of, attendees_of, decisions_of
from cxos.inputs import md_inline
from cxos.models import CouncilAction, CouncilSession, Event, saved_id
from cxos.vocabulary import EventAction, EventEntity, Status

# ((label for one, label for several), entity, condition on the event): what the room did during the session,
# counted per distinct row; the minutes say "1 fix planned", "2 fixes planned".
REVIEWED: list[tuple[tuple[str, str], EventEntity, Callable[[], ColumnElement[bool]]]] = [
    (
        ("signal whose owner the council confirmed", "signals whose owner the council confirmed"),
        EventEntity.SIGNAL,
        lambda: col(Event.action) == EventAction.CONFIRMED,
    ),
    (
        ("signal given a different owner", "signals given a different owner"),
        EventEntity.SIGNAL,
        lambda: col(Event.field) == "owner_team_id",
    ),
    (
        ("signal linked to a failure mode", "signals linked to a failure mode"),
        EventEntity.SIGNAL,
        lambda: col(Event.field) == "failure_mode_id",
    ),
    (
        ("signal marked needs info", "signals marked needs info"),
        EventEntity.SIGNAL,
        lambda: (col(Event.field) == "status") & (col(Event.to_value) == Status.NEEDS_INFO),
    ),
    (
        ("failure mode given a cause, layer or owner", "failure modes given a cause, layer or owner"),
        EventEntity.FAILURE_MODE,
        lambda: col(Event.action) == EventAction.UPDATED,
    ),
    (("fix planned", "fixes planned"), EventEntity.FIX, lambda: col(Event.action) == EventAction.CREATED),
    (
        ("fix update recorded", "fix updates recorded"),
        EventEntity.FIX,
        lambda: col(Event.action) == EventAction.UPDATE,
    ),
    (("fix moved on", "fixes moved on"), EventEntity.FIX, lambda: col(Event.field) == "status"),
    (
        ("loop notice drafted", "loop notices drafted"),
        EventEntity.LOOP_NOTICE,
        lambda: col(Event.action) == EventAction.DRAFTED,
    ),
    (
        ("loop notice sent", "loop notices sent"),
        EventEntity.LOOP_NOTICE,
        lambda: col(Event.action) == EventAction.SENT,
    ),
]
AUTOMATIC_ACTORS = ("cxos-routing", "cxos-demo")


@dataclass(frozen=True)
class MinutesInput:
    held_on: date
    attendees: list[str]
    reviewed: list[tuple[str, int]]
    decisions: list[Decision]
    actions: list[CouncilAction]
    pulse_line: str = ""


def reviewed_during(
    session: Session, council: CouncilSession, *, now: datetime | None = None
) -> list[tuple[str, int]]:
    """What people changed while the session was open, as (what, how many); automatic routing is left out."""
    end = council.closed_at or now or utcnow()
    out = []
    for (one, several), entity, condition in REVIEWED:
        query = select(func.count(func.distinct(col(Event.entity_id)))).where(
            Event.entity == entity,
            condition(),
            Event.at >= council.created_at,
            Event.at <= end,
            Event.action != EventAction.REFUSED,
            col(Event.actor).not_in(AUTOMATIC_ACTORS),
        )
        count = session.exec(query).one()
        if count:
            out.append((one if count == 1 else several, count))
    return out


def minutes_input(
    session: Session, council: CouncilSession, *, pulse_line: str = "", now: datetime | None = None
) -> MinutesInput:
    return MinutesInput(
        held_on=council.held_on,
        attendees=attendees_of(council),
        reviewed=reviewed_during(session, council, now=now),
        decisions=decisions_of(council),
        actions=actions_of(session, session_ids=[saved_id(council)]),
        pulse_line=pulse_line,
    )


def render_minutes(record: MinutesInput, *, top_heading: int = 1) -> str:
    """Markdown; people's text shows as written (md_inline: no live links, images, HTML or table pipes).

    `top_heading` sets the level of the title (the sections one below it), for a screen that nests the minutes.
    """
    title, section = "#" * top_heading, "#" * (top_heading + 1)
    lines = [f"{title} Experience Council — {record.held_on:%A %d %B %Y}", ""]
    lines.append("**Attendees:** " + (", ".join(md_inline(a) for a in record.attendees) or "not recorded"))
    lines.append("")
    if record.pulse_line:
        lines += [f"**Since the last council:** {record.pulse_line}", ""]
    lines.append(f"{section} What we reviewed")
    lines += [f"- {count:,} {what}" for what, count in record.reviewed] or [
        "- Nothing was changed during the session."
    ]
    lines += ["", f"{section} Decisions"]
    lines += [
        f"{n}. {md_inline(d.text)} — **owner:** {md_inline(d.owner)}"
        + (f", **due** {d.due:%d %b %Y}" if d.due else "")
        for n, d in enumerate(record.decisions, 1)
    ] or ["No decisions beyond the actions below."]
    lines += ["", f"{section} Actions", ""]
    if record.actions:
        lines += ["| # | Action | Owner | Due | Status |", "|---|---|---|---|---|"]
        lines += [
            f"| {a.id} | {md_inline(a.text)} | {md_inline(a.owner)} | {a.due_on:%d %b %Y} | {md_inline(a.status)} |"
            if a.due_on
            else f"| {a.id} | {md_inline(a.text)} | {md_inline(a.owner)} | — | {md_inline(a.status)} |"
            for a in record.actions
        ]
    else:
        lines.append("No actions recorded.")
    return "\n".join(lines) + "\n"
