"""One signal in full: its fields, the actions the person's role allows, and its whole timeline."""

from collections.abc import Callable
from typing import Any

import streamlit as st

from components.common.data import Journey
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import remember_seen, seen_version
from components.common.writes import run_write
from cxos.kpis.cx_score import cx_score
from cxos.models import Event, Signal
from cxos.signals import queries
from cxos.signals.drivers import how_set
from cxos.signals.lifecycle import next_statuses
from cxos.signals.writes import assign_owner, set_status, update_signal
from cxos.vocabulary import (
    DRIVERS,
    Decider,
    EventAction,
    EventEntity,
    RoutedBy,
    Severity,
    Source,
    Status,
    label,
    plural,
)

ENTITY = "signal"
NO_OWNER = 0  # the "back to triage" choice in the owner picker
FIELD_NAMES = {
    "owner_team_id": "owner",
    "touchpoint_id": "where",
    "failure_mode_id": "failure mode",
    "duplicate_of_id": "duplicate of",
    "status_reason": "reason",
    "external_ref": "link",
    "arr": "ARR",
} | DRIVERS


def signal_detail(ctx: PageContext, signal_id: int) -> None:
    with ctx.store.read() as session:
        signal = queries.get_signal(session, signal_id)
        events = queries.timeline(session, EventEntity.SIGNAL, signal_id)
    if signal is None:
        st.warning(f"Signal #{signal_id} does not exist.")
        return
    # The version this person is looking at: every action is checked against it, so a change made by
    # someone else meanwhile is refused instead of silently overwritten.
    seen = seen_version(ENTITY, signal_id, signal.version)
    if signal.version != seen:
        with st.container(border=True):
            st.warning(
                f"{md_escape(signal.updated_by)} changed this signal at {signal.updated_at:%d %b %Y %H:%M} UTC "
                "after you opened it. What you see below is their version; reload to act on it."
            )
            if st.button("Reload", type="primary"):
                remember_seen(ENTITY, signal_id, signal.version)
                _forget_choices(signal_id)
                st.rerun()

    st.markdown(f"## #{signal.id} · {md_escape(signal.title)}")
    st.caption(
        f"{_status_label(signal.status)} · owner: {md_escape(ctx.journey.team_name(signal.owner_team_id) or 'none (triage)')}"
        f" · {md_escape(ctx.journey.where(signal.touchpoint_id))} · logged {signal.created_at:%d %b %Y %H:%M} UTC "
        f"by {md_escape(signal.created_by)}"
    )
    fields, actions = st.columns([3, 2], gap="large")
    with fields:
        _fields(signal, ctx.journey)
    with actions:
        _actions(ctx, signal, seen)
    with st.container(border=True):
        st.markdown(f"#### Timeline · {plural(len(events), 'event')}")
        for event in events:
            st.markdown(describe_event(event, ctx.journey))


def _fields(signal: Signal, journey: Journey) -> None:
    with st.container(border=True):
        st.markdown("#### Details")
        st.markdown(md_escape(signal.description) if signal.description else "_No details given._")
        rows = [
            ("Source", label(Source, signal.source)),
            ("Where", journey.where(signal.touchpoint_id)),
            ("Severity", label(Severity, signal.severity)),
            ("Account", signal.account or "—"),
            ("ARR", f"${signal.arr:,}" if signal.arr is not None else "—"),
            ("Reported by", signal.reporter or "—"),
            ("Link", signal.external_ref or "—"),
            ("CX drivers", _drivers_line(signal)),
            ("CX score", _score_line(signal)),
            (
                "Status",
                _status_label(signal.status) + (f" — {signal.status_reason}" if signal.status_reason else ""),
            ),
            ("Owner", journey.team_name(signal.owner_team_id) or "none: in the triage queue"),
            ("Routed by", routed_by_label(signal.routed_by)),
            ("Root-cause layer", signal.root_cause or "—"),
            ("Failure mode", f"#{signal.failure_mode_id}" if signal.failure_mode_id else "—"),
            ("Duplicate of", f"#{signal.duplicate_of_id}" if signal.duplicate_of_id else "—"),
            (
                "Last change",
                f"{signal.updated_at:%d %b %Y %H:%M} UTC by {signal.updated_by} (version {signal.version})",
            ),
        ]
        st.markdown("\n".join(f"- **{label}:** {md_escape(value)}" for label, value in rows))
        if signal.external_ref and signal.external_ref.lower().startswith(("http://", "https://")):
            st.link_button("Open the ticket or thread", signal.external_ref, icon=":material/open_in_new:")


def _drivers_line(signal: Signal) -> str:
    """Each driver with how it was set: 'Customer effort (detected: “still waiting”)', 'Policy feedback (by hand)'."""
    told = how_set(signal)
    shown = [f"{DRIVERS[driver]} ({why})" for driver, why in told.items() if getattr(signal, driver)]
    cleared = [f"{DRIVERS[driver]} ({why})" for driver, why in told.items() if not getattr(signal, driver)]
    return "; ".join(shown + cleared) or "—"


def _score_line(signal: Signal) -> str:
    score = cx_score(signal)
    return f"{score.value:g} of 5 — " + ", ".join(score.reasons)


def _actions(ctx: PageContext, signal: Signal, seen: int) -> None:
    # Widgets carry keys tied to the signal: when someone else changes it meanwhile, the forms keep what
    # this person chose (instead of resetting), so their submit reaches the version check and is refused.
    actor = ctx.actor
    can_edit = actor.can("edit_signal") or (actor.can("edit_own_signal") and signal.created_by == actor.name)
    if not (actor.can("assign_owner") or actor.can("set_status") or can_edit):
        st.info(f"Your role ({actor.role.value}) can read signals but not change them.")
        return
    if actor.can("assign_owner"):
        with st.form(f"owner_{signal.id}", border=True):
            st.markdown("#### Owner")
            options = [NO_OWNER, *(team_id for team_id, _ in ctx.journey.teams)]
            current = signal.owner_team_id or NO_OWNER
            team = st.selectbox(
                "Upstream owner",
                options,
                index=options.index(current) if current in options else 0,
                key=f"owner_choice_{signal.id}",
                format_func=lambda t: "— no owner (triage)" if t == NO_OWNER else ctx.journey.team_name(t),
            )
            if st.form_submit_button("Assign owner"):
                _run(
                    signal.id,
                    lambda: assign_owner(
                        ctx.store,
                        signal_id=signal.id,
                        expected_version=seen,
                        team_id=team or None,
                        actor=actor,
                    ),
                )
    if actor.can("set_status"):
        with st.form(f"status_{signal.id}", border=True):
            st.markdown("#### Status")
            targets = next_statuses(Status(signal.status))
            target = st.selectbox(
                "Move to",
                targets,
                format_func=lambda s: s.label,
                index=None,
                placeholder=f"now: {_status_label(signal.status)}",
                key=f"status_choice_{signal.id}",
            )
            reason = st.text_input(
                "Reason (won't fix) or question (needs info)",
                max_chars=2000,
                key=f"status_reason_{signal.id}",
            )
            original = st.number_input(
                "Duplicate of signal #", min_value=1, step=1, value=None, key=f"status_original_{signal.id}"
            )
            if st.form_submit_button("Change status"):
                if target is None:
                    st.error("Pick a status to move to.")
                else:
                    _run(
                        signal.id,
                        lambda: set_status(
                            ctx.store,
                            signal_id=signal.id,
                            expected_version=seen,
                            status=target,
                            reason=reason or None,
                            duplicate_of_id=int(original) if original else None,
                            actor=actor,
                        ),
                    )
    if can_edit:
        with st.expander("Edit fields"), st.form(f"edit_{signal.id}", border=False):
            changes = _edit_fields(signal, ctx.journey)
            if st.form_submit_button("Save changes"):
                edited = {k: v for k, v in changes.items() if v != getattr(signal, k)}
                if not edited:
                    st.info("Nothing changed.")
                else:
                    _run(
                        signal.id,
                        lambda: update_signal(
                            ctx.store, signal_id=signal.id, expected_version=seen, changes=edited, actor=actor
                        ),
                    )


def _edit_fields(signal: Signal, journey: Journey) -> dict[str, Any]:
    touchpoints = [tp.id for tp in journey.touchpoints if not tp.archived or tp.id == signal.touchpoint_id]
    sources, severities = list(Source), list(Severity)

    def key(field: str) -> str:
        return f"edit_{field}_{signal.id}"

    changes: dict[str, Any] = {
        "title": st.text_input("What happened", signal.title, max_chars=200, key=key("title")),
        "description": st.text_area("Details", signal.description, key=key("description")),
        "touchpoint_id": st.selectbox(
            "Where",
            touchpoints,
            index=touchpoints.index(signal.touchpoint_id),
            format_func=journey.where,
            key=key("touchpoint_id"),
        ),
        "source": st.selectbox(
            "Source",
            sources,
            index=sources.index(Source(signal.source)),
            format_func=lambda s: s.label,
            key=key("source"),
        ),
        "severity": st.selectbox(
            "Severity", severities, index=severities.index(Severity(signal.severity)), key=key("severity")
        ),
        "account": st.text_input("Account", signal.account or "", key=key("account")) or None,
        "arr": st.number_input("ARR ($)", min_value=0, step=1000, value=signal.arr, key=key("arr")),
        "reporter": st.text_input("Reported by", signal.reporter or "", key=key("reporter")) or None,
        "external_ref": st.text_input("Link", signal.external_ref or "", key=key("external_ref")) or None,
    }
    drivers = st.multiselect(
        "CX drivers",
        list(DRIVERS),
        [k for k in DRIVERS if getattr(signal, k)],
        format_func=DRIVERS.get,
        key=key("drivers"),
    )
    changes |= {name: name in drivers for name in DRIVERS}
    return {k: (str(v) if k in {"source", "severity"} else v) for k, v in changes.items()}


def _forget_choices(signal_id: int) -> None:
    """Drop this signal's widget state so the forms show the stored values again."""
    for name in [
        k
        for k in st.session_state
        if str(k).endswith(f"_{signal_id}") and str(k).startswith(("edit_", "owner_choice_", "status_"))
    ]:
        del st.session_state[name]


def _run(signal_id: int, change: Callable[[], Signal]) -> None:
    """Do one service call; a refusal stays seen against the old version until the person reloads (the
    banner above says who changed it), a success redraws the signal as it is now with the forms reset."""
    run_write(change, rows=[(ENTITY, signal_id)], after=lambda _: _forget_choices(signal_id))


def routed_by_label(routed_by: str | None) -> str:
    """'person:Priya' → 'Priya, by hand'; 'rule:4' → 'rule #4'; 'model' → 'the routing model'."""
    if not routed_by:
        return "—"
    routed = RoutedBy.parse(routed_by)
    if routed is None:
        return routed_by
    return {
        Decider.PERSON: f"{routed.detail}, by hand",
        Decider.RULE: f"rule #{routed.detail}",
        Decider.MODEL: "the routing model",
    }[routed.kind]


def _status_label(status: str) -> str:
    return label(Status, status)


def describe_event(event: Event, journey: Journey) -> str:
    """One timeline line: when · who · what, from → to. Every user-typed part is escaped."""
    when = f"{event.at:%d %b %Y %H:%M}"
    who = md_escape(event.actor)
    if event.action == EventAction.CREATED:
        what = "logged it"
    elif event.action == EventAction.REFUSED:
        what = f":red[change refused] — {md_escape(event.note)}"
    else:
        field = FIELD_NAMES.get(event.field or "", (event.field or "").replace("_", " "))
        what = f"{md_escape(field)}: {_value(event.field, event.from_value, journey)} → {_value(event.field, event.to_value, journey)}"
        if event.note and event.action == EventAction.OWNER:
            what += f" ({md_escape(routed_by_label(event.note))})"
    return f"**{when}** · {who} · {what}"


def _value(field: str | None, value: str | None, journey: Journey) -> str:
    if value is None or value == "":
        return "_none_"
    if field == "owner_team_id":
        return md_escape(journey.team_name(int(value)) or f"team #{value}")
    if field == "touchpoint_id":
        return md_escape(journey.where(int(value)))
    if field == "status":
        return md_escape(_status_label(value))
    if field in {"failure_mode_id", "duplicate_of_id"}:
        return f"\\#{md_escape(value)}"
    text = value if len(value) <= 120 else value[:117] + "…"
    return f"“{md_escape(text)}”"
