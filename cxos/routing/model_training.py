"""Training the owner model outside any page request, and storing it: the job the worker and `python -m cxos train` run.

The training data's *fingerprint* (count, newest id and newest routed_at of the confirmed routes) says whether
anything the model learns from changed: every owner change moves `routed_at`, every new route adds a row.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, select

from cxos.clock import utcnow
from cxos.models import OwnerModelRecord, Signal
from cxos.routing.model_records import (
    Record,
    claim_training,
    finish_training,
    newest_finished,
    pending,
)
from cxos.routing.owner_model import (
    MIN_ROWS,
    OwnerModel,
    confidence_threshold,
    confirmed_condition,
    confirmed_routes,
    train_on_routes,
)
from cxos.store.store import Store
from cxos.vocabulary import ModelState

RETRAIN_AFTER = timedelta(minutes=15)  # at most this often when confirmed routes keep changing
WORKER = "cxos-model-worker"


def fingerprint(session: Session, *, now: datetime | None = None) -> tuple[int, str]:
    """How many confirmed routes there are, and a text that changes whenever they do."""
    count, newest_id, newest_route = session.exec(
        select(func.count(), func.max(Signal.id), func.max(Signal.routed_at)).where(
            confirmed_condition(now or utcnow())
        )
    ).one()
    return count, f"{count}:{newest_id or 0}:{newest_route.isoformat() if newest_route else '-'}"


def needs_training(store: Store, *, now: datetime | None = None) -> bool:
    """A retrain was asked for, there is no model yet, or the confirmed routes changed (looked at no more
    often than every RETRAIN_AFTER)."""
    now = now or utcnow()
    with store.read() as session:
        waiting = pending(session)
        if waiting is not None:  # asked for, or a training that died; not one another process is running
            return waiting.state is ModelState.REQUESTED or waiting.abandoned(now)
        last = newest_finished(session)
        if last is None:
            return True
        if last.trained_at is not None and now - last.trained_at < RETRAIN_AFTER:
            return False
        return fingerprint(session, now=now)[1] != last.fingerprint


@dataclass(frozen=True)
class TrainingResult:
    """What one run of the job did: trained (a version), found too little history, or skipped."""

    state: ModelState | None  # None: nothing to do, or another process is training
    version: int | None = None
    confirmed_routes: int = 0
    rows: int = 0
    seconds: float | None = None
    metrics: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value if self.state else "skipped",
            "version": self.version,
            "confirmed_routes": self.confirmed_routes,
            "rows": self.rows,
            "seconds": self.seconds,
            "metrics": self.metrics or {},
        }


def train_and_store(store: Store, *, if_stale: bool = False, by: str = WORKER) -> TrainingResult:
    """Train on the newest confirmed routes and store the model for every process; with `if_stale`, only
    when `needs_training` says so."""
    if if_stale and not needs_training(store):
        return TrainingResult(None)
    version = claim_training(store, by=by)
    if version is None:
        return TrainingResult(None)

    def fit() -> tuple[int, str, OwnerModel[int] | None]:
        now = utcnow()
        with store.read() as session:
            count, print_ = fingerprint(session, now=now)
        return count, print_, train_on_routes(confirmed_routes(store, now=now))

    return train_claimed(
        store,
        version=version,
        fit=fit,
        too_little=f"fewer than {MIN_ROWS} confirmed routes across two teams",
        threshold=confidence_threshold(),
    )


def train_claimed(
    store: Store,
    *,
    version: int,
    fit: Callable[[], tuple[int, str, OwnerModel[Any] | None]],
    too_little: str,
    threshold: float,
    record: Record = OwnerModelRecord,
) -> TrainingResult:
    """The rest of a training job whose `version` is claimed, for either model: `fit` gives (rows counted,
    their fingerprint, the model or None for too little history); the outcome is stored either way."""
    try:
        count, print_, model = fit()
    except Exception as error:  # stored, so the page says why instead of "retraining…" for ever
        finish_training(
            store, version=version, state=ModelState.FAILED, fingerprint="", confirmed_routes=0,
            note=str(error), record=record,
        )  # fmt: skip
        raise
    if model is None:
        finish_training(
            store, version=version, state=ModelState.UNTRAINED, fingerprint=print_, confirmed_routes=count,
            note=too_little, record=record,
        )  # fmt: skip
        return TrainingResult(ModelState.UNTRAINED, version, count)
    metrics = holdout_metrics(model, threshold)
    finish_training(
        store,
        version=version,
        state=ModelState.READY,
        fingerprint=print_,
        confirmed_routes=count,
        model=model,
        rows=model.rows,
        teams=len(model.classes),
        training_seconds=model.training_seconds,
        metrics=metrics,
        record=record,
    )
    return TrainingResult(ModelState.READY, version, count, model.rows, model.training_seconds, metrics)


def holdout_metrics(model: OwnerModel[Any], threshold: float) -> dict[str, Any]:
    """Accuracy on the rows kept aside for calibration, and coverage / precision at the auto-route threshold."""
    confidence, correct = model.classifier.holdout_
    if not len(confidence):
        return {}
    confident = confidence >= threshold
    return {
        "holdout_rows": int(len(confidence)),
        "holdout_accuracy": round(float(np.mean(correct)), 4),
        "threshold": threshold,
        "coverage": round(float(np.mean(confident)), 4),
        "precision": round(float(np.mean(correct[confident])), 4) if confident.any() else None,
    }
