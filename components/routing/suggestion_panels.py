"""The routing model's panels: its training status, and the triage queue with one-click 'assign to suggestion'."""

import streamlit as st

from components.common.data import Journey, get_store, refresh_after_write, versioned
from components.common.safe import md_escape
from components.common.writes import run_write, show_refusal
from cxos.errors import CxosError
from cxos.identity import Actor
from cxos.models import Signal
from cxos.routing import owner_model as suggestions
from cxos.routing.suggestion_queue import WaitingSignal, triage_with_suggestions
from cxos.signals.writes import assign_owner
from cxos.vocabulary import RoutedBy, plural

QUEUE_ROWS = 15


def current_status(*, retrain: bool = False) -> suggestions.ModelStatus:
    """The store's model, kept per process by cxos; training on first use takes a few seconds."""
    with st.spinner("Training the routing model on confirmed routes…"):
        return suggestions.model_status(get_store(), retrain=retrain)


@versioned(Signal)
def load_waiting(trained_at: object, limit: int) -> tuple[int, list[WaitingSignal]]:
    """Keyed by when the model was trained, so a retrain shows new suggestions at once."""
    store = get_store()
    return triage_with_suggestions(store, suggestions.model_status(store).model, limit=limit)


def model_status_panel(status: suggestions.ModelStatus, threshold: float, actor: Actor) -> None:
    model = status.model
    trained, rows, owners, seconds, limit = st.columns(5)
    trained.metric(
        "Trained",
        f"{model.trained_at:%d %b %H:%M}" if model else "not yet",
        border=True,
        help="UTC. The model is kept in memory by each app process.",
    )
    rows.metric(
        "Confirmed routes",
        f"{status.confirmed_routes:,}",
        border=True,
        help="Owners the council set, corrected or kept: the training data (see cxos/routing/owner_model.py)",
    )
    owners.metric("Teams it knows", len(model.classes) if model else 0, border=True)
    seconds.metric("Training time", f"{model.training_seconds:.1f} s" if model else "—", border=True)
    limit.metric(
        "Auto-route at",
        f"≥ {threshold:.0%}",
        border=True,
        help="Set by CXOS_ROUTING_CONFIDENCE. Below it a signal waits in triage with three suggestions.",
    )
    if model is None:
        st.info(
            f"Not enough confirmed history to learn from yet: the model needs {suggestions.MIN_ROWS} confirmed "
            f"routes across at least two teams, each with {suggestions.MIN_ROWS_PER_OWNER} or more. "
            "Until then every signal no rule catches waits in triage."
        )
    note, button = st.columns([4, 1], vertical_alignment="center")
    note.caption(
        "Retrained automatically once a day, and on demand. Trained on "
        f"{plural(model.rows if model else 0, 'signal')}; text is title, details and touchpoint."
    )
    if actor.can("route_signals") and button.button(
        "Retrain now", icon=":material/model_training:", width="stretch"
    ):
        current_status(retrain=True)
        refresh_after_write()
        st.rerun()


def triage_queue_panel(
    status: suggestions.ModelStatus, threshold: float, journey: Journey, actor: Actor
) -> None:
    total, waiting = load_waiting(status.model.trained_at if status.model else None, QUEUE_ROWS)
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
        if not signal.suggestions:
            slots[0].caption("No suggestion yet")
        for slot, (team_id, confidence) in zip(slots, signal.suggestions, strict=False):
            label = f"{journey.team_name(team_id) or f'team #{team_id}'} · {percent(confidence)}"
            if not can_assign:
                slot.markdown(md_escape(label))
            elif slot.button(
                label,
                key=f"assign_{signal.id}_{team_id}",
                width="stretch",
                type="primary" if confidence >= threshold else "secondary",
            ):
                _assign(signal, team_id, actor, journey)


def percent(confidence: float) -> str:
    """Rounded as people read it: never '0%' for a small chance, never '100%' for a near-certainty."""
    if confidence < 0.005:
        return "<1%"
    return ">99%" if confidence > 0.995 else f"{confidence:.0%}"


def _assign(signal: WaitingSignal, team_id: int, actor: Actor, journey: Journey) -> None:
    run_write(
        lambda: assign_owner(
            get_store(),
            signal_id=signal.id,
            expected_version=signal.version,
            team_id=team_id,
            actor=actor,
            routed_by=RoutedBy.model(),
        ),
        done=f"Signal #{signal.id} now belongs to {journey.team_name(team_id)}.",
        on_refusal=_refused,
    )


def _refused(refused: CxosError) -> None:
    """Said where the click was; the caches are cleared so the next run shows the queue as it is now."""
    show_refusal(refused)
    refresh_after_write()
