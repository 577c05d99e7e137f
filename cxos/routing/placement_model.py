"""The placement model: which touchpoint an imported row belongs to, learned from the store's own placed signals.

Every stored signal is anchored to a touchpoint, so each one is a training example (title + description →
touchpoint id). The classifier and its calibration are the owner model's (cxos/routing/owner_model.py:
hashed TF-IDF words and characters, a linear SVM, one temperature fitted on a holdout), stored the same way
in its own table (placement_model) and trained only by the worker or `python -m cxos train`, never on a
request: an import only reads the stored model.
"""

import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from cxos import config
from cxos.clock import utcnow
from cxos.models import PlacementModelRecord, Signal, Touchpoint
from cxos.routing.model_records import (
    claim_training,
    load_model,
    newest_finished,
    newest_ready,
    pending,
)
from cxos.routing.model_training import TrainingResult, train_claimed
from cxos.routing.owner_model import MAX_TRAINING_ROWS, MIN_ROWS, OwnerModel, join_text, train_owner_model
from cxos.store.store import Store
from cxos.vocabulary import ModelState, Status

RECORD = PlacementModelRecord
RETRAIN_AFTER = timedelta(minutes=15)
WORKER = "cxos-model-worker"
# A duplicate repeats its original's place; the original alone teaches it.
_LEARN_FROM = col(Signal.status) != Status.DUPLICATE.value


def placement_confidence() -> float:
    """The model places a row on its own only at or above this (CXOS_PLACEMENT_CONFIDENCE, default 0.8)."""
    return config.placement_confidence()


def fingerprint(session: Session) -> tuple[int, str]:
    """How many placed signals there are, and a text that changes when one is added or edited."""
    count, newest_id, newest_change = session.exec(
        select(func.count(), func.max(Signal.id), func.max(Signal.updated_at)).where(_LEARN_FROM)
    ).one()
    return (
        count,
        f"{count}:{newest_id or 0}:{newest_change.isoformat() if newest_change is not None else '-'}",
    )


def placed_examples(store: Store, *, limit: int = MAX_TRAINING_ROWS) -> tuple[list[str], list[int]]:
    """The newest `limit` placed signals' texts and touchpoint ids (live touchpoints only), oldest first."""
    query = (
        select(col(Signal.title), col(Signal.description), col(Signal.touchpoint_id))
        .join(Touchpoint, col(Touchpoint.id) == col(Signal.touchpoint_id))
        .where(_LEARN_FROM, col(Touchpoint.archived) == False)  # noqa: E712
        .order_by(col(Signal.created_at).desc(), col(Signal.id).desc())
        .limit(limit)
    )
    with store.read() as session:
        rows = list(reversed(session.exec(query).all()))
    return [join_text(title, description) for title, description, _ in rows], [tp for _, _, tp in rows]


def needs_training(store: Store, *, now: datetime | None = None) -> bool:
    """A retrain asked for, no model yet, or the placed signals changed (looked at every RETRAIN_AFTER)."""
    now = now or utcnow()
    with store.read() as session:
        waiting = pending(session, RECORD)
        if waiting is not None:
            return waiting.state is ModelState.REQUESTED or waiting.abandoned(now)
        last = newest_finished(session, RECORD)
        if last is None:
            return True
        if last.trained_at is not None and now - last.trained_at < RETRAIN_AFTER:
            return False
        return fingerprint(session)[1] != last.fingerprint


def train_and_store(store: Store, *, if_stale: bool = False, by: str = WORKER) -> TrainingResult:
    """Train on the newest placed signals and store the model for every process (the owner model's job)."""
    if if_stale and not needs_training(store):
        return TrainingResult(None)
    version = claim_training(store, by=by, record=RECORD)
    if version is None:
        return TrainingResult(None)

    def fit() -> tuple[int, str, OwnerModel[int] | None]:
        with store.read() as session:
            count, print_ = fingerprint(session)
        texts, touchpoints = placed_examples(store)
        try:
            model = train_owner_model(texts, touchpoints) if len(texts) >= MIN_ROWS else None
        except ValueError:  # fewer than two touchpoints with enough signals
            model = None
        return count, print_, model

    return train_claimed(
        store,
        version=version,
        fit=fit,
        too_little=f"fewer than {MIN_ROWS} placed signals across two touchpoints",
        threshold=placement_confidence(),
        record=RECORD,
    )


_loaded: dict[str, tuple[int, Any]] = {}  # store URL → (model version, model)
_load_lock = threading.Lock()


def placement_model(store: Store) -> OwnerModel[int] | None:
    """The stored placement model, read once per process for each new version; None until one is trained,
    and when this process cannot compute its features (trained with an embedding block it lacks)."""
    with store.read() as session:
        info = newest_ready(session, RECORD)
    if info is None:
        return None
    with _load_lock:
        version, model = _loaded.get(store.url, (None, None))
        if version != info.version:
            with store.read() as session:
                model = load_model(session, info.version, RECORD)
            if model is not None:
                _loaded[store.url] = (info.version, model)
        return model if model is None or model.usable else None


def forget(store: Store | None = None) -> None:
    """Drop the models this process read: the next use reads the stored one again."""
    with _load_lock:
        if store is None:
            _loaded.clear()
        else:
            _loaded.pop(store.url, None)
