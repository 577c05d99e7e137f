"""Imported rows waiting for a touchpoint (the unplaced_row table): hold them, list them, place them in bulk.

A row that no column, placement rule or confident model placed is held here, in the import's own transaction,
so what the import acknowledged is stored and visible. The council places rows in bulk, each against the
version it saw (a second person placing the same row is refused as stale); placing stores the row's signal
through cxos/signals/writes.py, routed on arrival like any new signal, and keeps the held row with the
signal's id: nothing is deleted.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.errors import CxosError, ValidationFailed
from cxos.identity import Actor, require
from cxos.importers.placement import Placement
from cxos.models import Event, Touchpoint, UnplacedRow, table_of
from cxos.signals import writes as signals
from cxos.signals.arrival import ArrivalRouter, arrival_router
from cxos.store.audit import editing, event_row, record_event, touch
from cxos.store.bulk import among, insert_many
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity

HELD, EVENTS = table_of(UnplacedRow), table_of(Event)
LIST_LIMIT = 500  # the council places a screenful at a time; the count says how many more wait


def held_row(
    *, number: int, fields: dict[str, Any], created_at: datetime, placement: Placement, label: str, actor: Actor,
    at: datetime,
) -> dict[str, Any]:  # fmt: skip
    """Every column of one held row, from a prepared import row whose placement found no touchpoint."""
    kept = {name: value for name, value in fields.items() if name != "touchpoint_id"}
    return {
        "created_at": at,
        "created_by": actor.name,
        "updated_at": at,
        "updated_by": actor.name,
        "version": 1,
        "import_label": label,
        "row_number": number,
        "title": fields["title"],
        "source": str(fields["source"]),
        "external_ref": fields.get("external_ref"),
        "fields": json.dumps(kept, default=str),
        "reported_at": created_at,
        "guess_touchpoint_id": placement.guess,
        "guess_confidence": placement.confidence,
        "placed_signal_id": None,
    }


def hold(session: Session, *, rows: list[dict[str, Any]], actor: Actor, sqlite: bool) -> list[int]:
    """Store held rows and their 'created' events inside the import's transaction; returns their ids."""
    if not rows:
        return []
    ids = _reserve_ids(session, len(rows), sqlite)
    events = [
        event_row(
            at=row["created_at"],
            actor=actor,
            entity=EventEntity.UNPLACED_ROW,
            entity_id=held_id,
            action=EventAction.CREATED,
            to_value=row["title"],
            note=_why(row),
        )
        for row, held_id in zip(rows, ids, strict=True)
    ]
    connection = session.connection()
    insert_many(connection, HELD, [row | {"id": held_id} for row, held_id in zip(rows, ids, strict=True)])
    insert_many(connection, EVENTS, events)
    return ids


def _why(row: dict[str, Any]) -> str:
    where = (
        f"imported from {row['import_label']}, row {row['row_number']}" if row["import_label"] else "imported"
    )
    if row["guess_confidence"] is None:
        return f"{where}: unplaced (no column names its touchpoint, no placement rule matched, no model yet)"
    return f"{where}: unplaced (no placement rule matched; the placement model was {row['guess_confidence']:.0%} sure)"


def _reserve_ids(session: Session, count: int, sqlite: bool) -> list[int]:
    connection = session.connection()
    if (
        sqlite
    ):  # the import's write transaction began IMMEDIATE: nobody else takes these ids before it commits
        start = connection.execute(select(func.coalesce(func.max(HELD.c.id), 0))).scalar_one() + 1
        return list(range(start, start + count))
    return list(
        connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence('unplaced_row', 'id')) FROM generate_series(1, :count)"
            ),
            {"count": count},
        ).scalars()
    )


def held_references(session: Session, references: Iterable[str]) -> dict[str, int]:
    """Of these external references, the ones a waiting held row has → its id (a re-run holds a row once)."""
    refs = [ref for ref in references if ref]
    if not refs:
        return {}
    postgres = session.get_bind().dialect.name == "postgresql"
    query = select(HELD.c.external_ref, HELD.c.id).where(
        among(HELD.c.external_ref, refs, postgres=postgres), HELD.c.placed_signal_id.is_(None)
    )
    return {ref: held_id for ref, held_id in session.execute(query).all()}


def count_unplaced(store: Store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).where(col(UnplacedRow.placed_signal_id).is_(None))).one()


def list_unplaced(store: Store, *, limit: int = LIST_LIMIT) -> list[dict[str, Any]]:
    """The oldest waiting rows first, as plain dicts (id and version for placing them)."""
    with store.read() as session:
        rows = session.exec(
            select(UnplacedRow)
            .where(col(UnplacedRow.placed_signal_id).is_(None))
            .order_by(col(UnplacedRow.id))
            .limit(limit)
        ).all()
        return [
            {
                "id": row.id,
                "version": row.version,
                "title": row.title,
                "source": row.source,
                "import_label": row.import_label,
                "row_number": row.row_number,
                "reported_at": row.reported_at,
                "guess_touchpoint_id": row.guess_touchpoint_id,
                "guess_confidence": row.guess_confidence,
            }
            for row in rows
        ]


@dataclass
class PlaceResult:
    placed: dict[int, int] = field(default_factory=dict)  # held row id → its new signal's id
    refused: list[tuple[int, str]] = field(default_factory=list)  # (held row id, why)


def place_rows(
    store: Store, *, items: Sequence[tuple[int, int]], touchpoint_id: int, actor: Actor
) -> PlaceResult:
    """Place held rows, each seen at a version `(id, version)`, at one touchpoint; a refusal stops only its row."""
    require(actor, "import_signals")
    with store.read() as session:
        touchpoint = session.get(Touchpoint, touchpoint_id)
        if touchpoint is None or touchpoint.archived:
            raise ValidationFailed({"touchpoint_id": "pick a touchpoint of the journey"})
    router = arrival_router(store)  # read once, before the write transactions
    result = PlaceResult()
    with store.batched():
        for held_id, version in items:
            try:
                result.placed[held_id] = place_row(
                    store, held_id=held_id, expected_version=version, touchpoint_id=touchpoint_id,
                    actor=actor, router=router,
                )  # fmt: skip
            except CxosError as refusal:
                result.refused.append((held_id, str(refusal)))
    return result


def place_row(
    store: Store,
    *,
    held_id: int,
    expected_version: int,
    touchpoint_id: int,
    actor: Actor,
    router: ArrivalRouter | None = None,
) -> int:
    """Store one held row as a signal at `touchpoint_id`, routed on arrival; returns the signal's id."""
    require(actor, "import_signals")
    router = router or arrival_router(store)
    try:
        with editing(store, UnplacedRow, held_id, expected_version, actor) as (session, held):
            if held.placed_signal_id is not None:
                raise ValidationFailed(
                    {"touchpoint_id": f"row #{held_id} is signal #{held.placed_signal_id} now"}
                )
            fields = json.loads(held.fields) | {"touchpoint_id": touchpoint_id}
            now = utcnow()
            decision = router.decide(fields)
            row = signals.new_signal_row(
                fields=fields, created_at=held.reported_at, decision=decision, actor=actor, at=now
            )
            (signal_id,) = signals.reserve_ids(session, count=1, sqlite=store.is_sqlite)
            where = (
                f"imported from {held.import_label}, row {held.row_number}"
                if held.import_label
                else "imported"
            )
            signals.insert_batch(
                session,
                rows=[row | {"id": signal_id}],
                events=signals.arrival_events(
                    signal_id=signal_id, row=row, decision=decision, actor=actor, at=now,
                    note=f"{where}; placed by {actor.name} from the Unplaced list",
                ),
            )  # fmt: skip
            record_event(
                session,
                actor=actor,
                entity=EventEntity.UNPLACED_ROW,
                entity_id=held_id,
                action=EventAction.PLACED,
                field="touchpoint_id",
                to_value=touchpoint_id,
                note=f"signal #{signal_id}",
            )
            held.placed_signal_id = signal_id
            touch(held, actor)
            session.add(held)
            return signal_id
    except IntegrityError as clash:
        if signals.is_reference_clash(clash):
            raise ValidationFailed(
                {"external_ref": f"row #{held_id}: a signal of its source already has this reference"}
            ) from None
        raise
