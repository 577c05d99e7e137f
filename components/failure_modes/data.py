"""Cached loaders for the failure modes page: ranked figures, one mode's signals and history, clustering runs."""

from datetime import datetime
from typing import Any

from sqlmodel import select

from components.common.data import get_store, versioned
from cxos.failure_modes.clustering import Clustering, cluster_signals
from cxos.failure_modes.figures import FailureModeFigures, failure_mode_figures, signals_of
from cxos.models import Event, FailureMode, Fix, RootCauseLayer, Signal
from cxos.signals import queries
from cxos.vocabulary import EventEntity


@versioned(FailureMode, Signal, Fix)
def load_failure_modes(
    now: datetime, statuses: tuple[str, ...] = ("accepted", "candidate")
) -> list[FailureModeFigures]:
    with get_store().read() as session:
        return failure_mode_figures(session, now=now, statuses=statuses)


@versioned(FailureMode, Signal, Fix)
def load_failure_mode(failure_mode_id: int, now: datetime) -> FailureModeFigures | None:
    """One failure mode with its figures, whatever its status (a merged one says where it went)."""
    with get_store().read() as session:
        found = failure_mode_figures(session, now=now, ids=(failure_mode_id,))
    return found[0] if found else None


@versioned(Signal, FailureMode)
def load_failure_mode_signals(failure_mode_id: int) -> list[dict[str, Any]]:
    with get_store().read() as session:
        return signals_of(session, failure_mode_id)


@versioned(FailureMode)
def load_failure_mode_timeline(failure_mode_id: int) -> list[Event]:
    with get_store().read() as session:
        return queries.timeline(session, EventEntity.FAILURE_MODE, failure_mode_id)


@versioned(RootCauseLayer)
def load_root_cause_layers() -> list[str]:
    with get_store().read() as session:
        return list(
            session.exec(
                select(RootCauseLayer.name)
                .where(RootCauseLayer.archived == False)  # noqa: E712
                .order_by(RootCauseLayer.position)
            )
        )


@versioned(Signal, FailureMode, show_spinner="Clustering recent signals…")
def load_clustering(run_at: datetime) -> Clustering:
    """One clustering run, kept until its signals or failure modes change, or the next run."""
    with get_store().read() as session:
        return cluster_signals(session, now=run_at)
