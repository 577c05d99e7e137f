"""The routing model's panels: its training status, and the triage queue with one-click 'assign to suggestion'."""

import streamlit as st

from components.common.data import Journey, get_store, refresh_after_write, versioned
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import run_write, show_refusal
from cxos.errors import CxosError
from cxos.identity import Actor
from cxos.models import Signal
from cxos.routing import owner_model as suggestions
from cxos.routing.model_records import request_training
from cxos.routing.suggestion_queue import WaitingSignal, triage_with_suggestions
from cxos.signals.writes import assign_owner
from cxos.vocabulary import ModelState, RoutedBy, plural

QUEUE_ROWS = 15


def current_status() -> suggestions.ModelStatus:
    """The stored model's status; the model is read once per process per version, never trained here."""
    return suggestions.model_status(get_store())


@versioned(Signal)
def load_waiting(model_version: object, limit: int) -> tuple[int, list[WaitingSignal]]:
    """Keyed by the stored model's version, so a retrain shows new suggestions at once."""
    store = get_store()
    return triage_with_suggestions(store, suggestions.model_status(store).model, limit=limit)


def model_status_panel(status: suggestions.ModelStatus, threshold: float, actor: Actor) -> None:
    info = status.info
    trained, rows, owners, seconds, limit = st.columns(5)
    trained.metric(
        "Trained",
        f"{info.trained_at:%d %b %H:%M}" if info and info.trained_at else "not yet",
        border=True,
        help="UTC. Trained in the background and stored in the database: every app process uses this one.",
    )
    rows.metric(
        "Confirmed routes",
        f"{status.confirmed_routes:,}" if status.last else "—",
        border=True,
        help="Owners the council set, corrected or kept: the training data (see cxos/routing/owner_model.py)",
    )
    owners.metric("Teams it knows", info.teams if info else 0, border=True)
    seconds.metric(
        "Training time",
        f"{info.training_seconds:.1f} s" if info and info.training_seconds else "—",
        border=True,
        help="Wall time of the last fit, in a background process at low priority: longer on a busy server.",
    )
    limit.metric(
        "Auto-route at",
        f"≥ {threshold:.0%}",
        border=True,
        help="Set by CXOS_ROUTING_CONFIDENCE. Below it a signal waits in triage with three suggestions.",
    )
    if info is None:
        st.info(_no_model_yet(status))
    note, button = st.columns([4, 1], vertical_alignment="center")
    note.caption(training_note(status))
    if actor.can("route_signals") and button.button(
        "Retrain now",
        icon=":material/model_training:",
        width="stretch",
        disabled=status.retraining_since is not None,
    ):
        run_write(
            lambda: request_training(get_store(), by=actor.name),
            done="Retrain asked for: the background worker starts it within seconds.",
        )


def _no_model_yet(status: suggestions.ModelStatus) -> str:
    needs = (
        f"{suggestions.MIN_ROWS} confirmed routes across at least two teams, each with "
        f"{suggestions.MIN_ROWS_PER_OWNER} or more"
    )
    if status.retraining_since is not None:
        return "The first model is being trained in the background; reload this page in a minute to see it."
    if status.last is not None and status.last.state is ModelState.UNTRAINED:
        return (
            f"Not enough confirmed history to learn from yet: the model needs {needs}. Until then every signal "
            "no rule catches waits in triage."
        )
    return (
        f"No model stored yet. The background worker trains one shortly after the app starts, once there are "
        f"{needs} (`python -m cxos train` does the same). Until then every signal no rule catches waits in triage."
    )


def training_note(status: suggestions.ModelStatus) -> str:
    """'Trained at …, on N routes; retraining…': what the caption under the figures says."""
    info, parts = status.info, []
    if info and info.trained_at:
        parts.append(
            f"Trained at {info.trained_at:%d %b %H:%M} UTC on {plural(info.rows, 'route')}"
            + (
                f" (the newest of {info.confirmed_routes:,} confirmed)"
                if info.rows < info.confirmed_routes
                else ""
            )
        )
        accuracy = info.metrics.get("holdout_accuracy")
        if accuracy is not None:
            parts.append(f"{accuracy:.0%} right on routes it did not learn from")
    if status.refused:
        parts.append(f"not used by this app, so signals wait in triage: {md_escape(status.refused)}")
    if status.retraining_since is not None:
        parts.append(f"retraining… (asked for at {status.retraining_since:%H:%M} UTC)")
    elif status.last and status.last.state is ModelState.FAILED:
        parts.append(f"the last retrain failed: {md_escape(status.last.note)}")
    parts.append(
        "retrained in the background when confirmed routes change; text is title, details and touchpoint"
    )
    return "; ".join(parts) + "."


def triage_queue_panel(
    status: suggestions.ModelStatus, threshold: float, journey: Journey, actor: Actor
) -> None:
    total, waiting = load_waiting(status.info.version if status.info else None, QUEUE_ROWS)
    st.markdown(f"#### Triage queue · {plural(total, 'signal')} waiting")
    if not waiting:
        st.success("Nothing waits in triage: every signal has an owner.")
        return
    can_assign = actor.can("assign_owner")
    st.caption(
        f"Oldest first{f', the first {QUEUE_ROWS}' if total > QUEUE_ROWS else ''}. "
        + (
            "Click a suggestion to make that team the owner (recorded as routed by the model)."
            if can_assign
            else "The council can assign a suggestion with one click."
        )
    )
    for signal in waiting:
        _waiting_row(signal, threshold, journey, can_assign, actor)


def _waiting_row(
    signal: WaitingSignal, threshold: float, journey: Journey, can_assign: bool, actor: Actor
) -> None:
    with st.container(border=True):
        what, *slots = st.columns([4, 1.3, 1.3, 1.3], vertical_alignment="center")
        what.markdown(f"**#{signal.id}** {md_escape(signal.title)}")
        confident = " · confident enough to auto-route" if signal.confident(threshold) else ""
        what.caption(
            f"{md_escape(journey.where(signal.touchpoint_id))} · logged {signal.created_at:%d %b %Y}{confident}"
        )
        # The version on screen when the row was first drawn, not the one a rerun fetched at the click.
        seen = seen_version("signal", signal.id, signal.version)
        if not signal.suggestions:
            slots[0].caption("No suggestion yet")
        for slot, (team_id, confidence) in zip(slots, signal.suggestions, strict=False):
            label = f"{md_escape(journey.team_name(team_id) or f'team #{team_id}')} · {percent(confidence)}"
            if not can_assign:
                slot.markdown(label)
            elif slot.button(
                label,
                key=f"assign_{signal.id}_{team_id}",
                width="stretch",
                type="primary" if confidence >= threshold else "secondary",
            ):
                _assign(signal, seen, team_id, actor, journey)


def percent(confidence: float) -> str:
    """Rounded as people read it: never '0%' for a small chance, never '100%' for a near-certainty."""
    if confidence < 0.005:
        return "<1%"
    return ">99%" if confidence > 0.995 else f"{confidence:.0%}"


def _assign(signal: WaitingSignal, seen: int, team_id: int, actor: Actor, journey: Journey) -> None:
    run_write(
        lambda: assign_owner(
            get_store(),
            signal_id=signal.id,
            expected_version=seen,
            team_id=team_id,
            actor=actor,
            routed_by=RoutedBy.model(),
        ),
        done=f"Signal #{signal.id} now belongs to {md_escape(journey.team_name(team_id))}.",
        rows=[("signal", signal.id)],
        on_refusal=_refused,
    )


def _refused(refused: CxosError) -> None:
    """Said where the click was; the caches are cleared so the next run shows the queue as it is now."""
    show_refusal(refused)
    refresh_after_write()
