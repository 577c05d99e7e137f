"""The stored owner model (the owner_model table): ask for a training, claim one, store its result, read it back.

One row per training. The placement model (cxos/importers/placement_model.py) is kept the same way in its own
table: each function takes `record`, the table's class, the owner model's by default. The newest READY row is the model every process predicts with; a REQUESTED or TRAINING
row newer than it means a retrain is on its way. Only the newest ready row keeps its serialized model.
The model is a pickle: it is read back only from the app's own database, which is as trusted as the code.
"""

import json
import pickle
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.models import ModelRecordFields, OwnerModelRecord, saved_id
from cxos.store.store import Store
from cxos.vocabulary import ModelState

FINISHED = (ModelState.READY, ModelState.UNTRAINED, ModelState.FAILED)
PENDING = (ModelState.REQUESTED, ModelState.TRAINING)
# A training that has not finished in this long died with its process: another worker may take over.
ABANDONED_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class ModelInfo:
    """What a page shows about one training, without the serialized model."""

    version: int
    state: ModelState
    trained_at: datetime | None
    confirmed_routes: int
    rows: int
    teams: int
    training_seconds: float | None
    fingerprint: str
    metrics: dict[str, Any]
    note: str


Record = type[ModelRecordFields]


def _info(row: Any) -> ModelInfo:  # a row of a record table
    return ModelInfo(
        saved_id(row),
        ModelState(row.state),
        row.trained_at,
        row.confirmed_routes,
        row.rows,
        row.teams,
        row.training_seconds,
        row.fingerprint,
        json.loads(row.metrics) if row.metrics else {},
        row.note,
    )


def _newest(session: Session, states: tuple[ModelState, ...], record: Record = OwnerModelRecord) -> Any:
    table: Any = record  # a table class: it has an id column (the base declares none)
    return session.exec(
        select(table)
        .options(defer(table.model))
        .where(col(table.state).in_([s.value for s in states]))
        .order_by(col(table.id).desc())
        .limit(1)
    ).first()


def newest_ready(session: Session, record: Record = OwnerModelRecord) -> ModelInfo | None:
    """The model predictions come from (its metadata): one indexed row, no blob."""
    row = _newest(session, (ModelState.READY,), record)
    return _info(row) if row else None


def newest_finished(session: Session, record: Record = OwnerModelRecord) -> ModelInfo | None:
    """The last training that ended, however it ended (the worker compares its fingerprint)."""
    row = _newest(session, FINISHED, record)
    return _info(row) if row else None


@dataclass(frozen=True)
class Pending:
    """A retrain asked for (REQUESTED) or under way (TRAINING) after the last one that finished."""

    state: ModelState
    requested_at: datetime
    started_at: datetime | None

    def abandoned(self, now: datetime) -> bool:
        return self.state is ModelState.TRAINING and (
            self.started_at is None or now - self.started_at >= ABANDONED_AFTER
        )


def pending(session: Session, record: Record = OwnerModelRecord) -> Pending | None:
    row, finished = _newest(session, PENDING, record), _newest(session, FINISHED, record)
    if row is None or (finished is not None and saved_id(finished) > saved_id(row)):
        return None
    return Pending(ModelState(row.state), row.requested_at, row.started_at)


def pending_since(session: Session) -> datetime | None:
    """When the retrain on its way was asked for (None when nothing is pending)."""
    waiting = pending(session)
    return waiting.requested_at if waiting else None


def load_model(session: Session, version: int, record: Record = OwnerModelRecord) -> Any:
    """The serialized model of one ready row, unpacked (None when its blob was pruned meanwhile)."""
    table: Any = record
    blob = session.exec(select(table.model).where(col(table.id) == version)).first()
    return pickle.loads(zlib.decompress(blob)) if blob else None


def pack(model: Any) -> bytes:
    return zlib.compress(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL), 6)


def request_training(store: Store, *, by: str) -> bool:
    """Ask the worker for a retrain; False when one is already asked for or under way."""
    with store.write() as session:
        if pending_since(session) is not None:
            return False
        session.add(
            OwnerModelRecord(state=ModelState.REQUESTED.value, requested_by=by, requested_at=utcnow())
        )
        return True


def claim_training(store: Store, *, by: str, record: Record = OwnerModelRecord) -> int | None:
    """Take the pending request (or start a new training): its row id, or None when another process is
    training right now. Serialised by the write transaction, so two replicas never train at once."""
    now = utcnow()
    with store.write() as session:
        waiting = pending(session, record)
        if waiting is not None and waiting.state is ModelState.TRAINING and not waiting.abandoned(now):
            return None
        row: Any = _newest(session, PENDING, record) if waiting is not None else None
        if row is None:
            row = record(state=ModelState.TRAINING.value, requested_by=by, requested_at=now)
        row.state, row.started_at = ModelState.TRAINING.value, now
        session.add(row)
        session.flush()
        return saved_id(row)


def finish_training(
    store: Store,
    *,
    version: int,
    state: ModelState,
    fingerprint: str,
    confirmed_routes: int,
    model: Any = None,
    rows: int = 0,
    teams: int = 0,
    training_seconds: float | None = None,
    metrics: dict[str, Any] | None = None,
    note: str = "",
    record: Record = OwnerModelRecord,
) -> None:
    """Store how a claimed training ended; a new ready model drops the blobs of the older ones."""
    blob = pack(model) if model is not None else None
    table: Any = record
    with store.write() as session:
        row = session.get(table, version)
        if row is None:
            return
        row.state, row.trained_at, row.fingerprint = state.value, utcnow(), fingerprint
        row.confirmed_routes, row.rows, row.teams = confirmed_routes, rows, teams
        row.training_seconds, row.metrics, row.note, row.model = (
            training_seconds,
            json.dumps(metrics or {}),
            note,
            blob,
        )
        session.add(row)
        if blob is not None:
            session.execute(
                update(table).where(col(table.id) < version, col(table.model).is_not(None)).values(model=None)
            )
