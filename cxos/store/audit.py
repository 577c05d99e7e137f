"""Writing the append-only event history, and the edit path that checks a row's version first."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.errors import NotFound, StaleWrite
from cxos.identity import Actor
from cxos.models import Event, StoredRow, Versioned, saved_id, table_of
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity


def event_row(
    *,
    actor: Actor | str,
    entity: EventEntity,
    entity_id: int,
    action: EventAction,
    field: str | None = None,
    from_value: Any = None,
    to_value: Any = None,
    note: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One Event's columns, built here only: bulk paths insert the dicts, the others `record_event`."""
    return {
        "at": at or utcnow(),
        "actor": actor if isinstance(actor, str) else actor.name,
        "entity": str(entity),
        "entity_id": entity_id,
        "action": str(action),
        "field": field,
        "from_value": _text(from_value),
        "to_value": _text(to_value),
        "note": None if note is None else str(note),
    }


def record_event(
    session: Session,
    *,
    actor: Actor | str,
    entity: EventEntity,
    entity_id: int,
    action: EventAction,
    field: str | None = None,
    from_value: Any = None,
    to_value: Any = None,
    note: str | None = None,
    at: datetime | None = None,
) -> Event:
    """Add one Event to the caller's transaction."""
    event = Event(
        **event_row(
            actor=actor,
            entity=entity,
            entity_id=entity_id,
            action=action,
            field=field,
            from_value=from_value,
            to_value=to_value,
            note=note,
            at=at,
        )
    )
    session.add(event)
    return event


def _text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


_Row = TypeVar("_Row", bound=Versioned)
_NewRow = TypeVar("_NewRow", bound=StoredRow)


def add_created(
    session: Session,
    row: _NewRow,
    *,
    actor: Actor,
    entity: EventEntity,
    field: str | None = None,
    to_value: Any = None,
    note: str | None = None,
) -> _NewRow:
    """Store a new row and its 'created' event in the caller's transaction (flushed, so its id is known)."""
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor,
        entity=entity,
        entity_id=saved_id(row),
        action=EventAction.CREATED,
        field=field,
        to_value=to_value,
        note=note,
    )
    return row


def stale_write(row: Versioned, *, what: str | None = None, change: str = "") -> StaleWrite:
    """The refusal of a change made against a stale copy of `row`: what moved on, who moved it and when.

    Every versioned write refuses with this one message, so a person reads the same sentence everywhere.
    """
    table = table_of(type(row))
    row_id = _id(row)
    label = what or f"{table.name.replace('_', ' ').capitalize()} #{row_id}"
    return stale_refusal(
        label, by=row.updated_by, at=row.updated_at, entity=table.name, entity_id=row_id, change=change
    )


def stale_refusal(
    what: str, *, by: str | None, at: datetime | None, entity: str, entity_id: int, change: str = ""
) -> StaleWrite:
    """The one wording of a stale refusal; `stale_write` fills it from a row, a vanished row from its event."""
    when = f" at {at:%Y-%m-%d %H:%M} UTC" if at is not None else ""
    return StaleWrite(
        f"{what} was changed by {by or 'someone'}{when} after you opened it{f' ({change})' if change else ''}. "
        "Nothing was saved: "
        "reload to see their change, then try again.",
        entity=entity,
        entity_id=entity_id,
    )


def _id(row: Versioned) -> int:
    """A versioned row's id: every Versioned model is a table with an `id` key (Versioned itself declares none)."""
    return saved_id(cast(StoredRow, row))


def check_version(row: Versioned, expected_version: int, *, what: str | None = None) -> None:
    """Refuse (StaleWrite) when `row` is no longer at the version the person saw."""
    if row.version != expected_version:
        raise stale_write(row, what=what)


def locked_row(session: Session, model: type[_Row], row_id: int) -> _Row:
    """One row, locked for the rest of the transaction (so nobody changes it between the check and the write)."""
    table = table_of(model)
    row = session.exec(select(model).where(table.c.id == row_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"{table.name.replace('_', ' ').capitalize()} #{row_id} does not exist.")
    return row


def neighbour_as_seen(
    session: Session, ordered: Sequence[_Row], index: int, direction: int, seen: tuple[int, int], *, what: str
) -> _Row:
    """The row next to `ordered[index]` (direction -1 before, +1 after), refused unless it is the neighbour the
    person saw, `seen` = (id, version): a move swaps with what was on screen, never with a row that came since.
    `what` names the order in the refusal ("The rule order")."""
    other = ordered[index + direction]
    seen_id, seen_version = seen
    if _id(other) == seen_id:
        check_version(other, seen_version)  # the same neighbour, edited since: it names itself
        return other
    model = type(other)
    moved = session.get(model, seen_id)
    if moved is not None:  # it was moved (or archived) meanwhile: whoever did that changed the order
        raise stale_write(moved, what=what)
    raise vanished_refusal(session, model, seen_id, what=what)


def vanished_refusal(session: Session, model: type[Any], row_id: int, *, what: str) -> StaleWrite:
    """The stale refusal for a row the person saw that is gone now, naming who deleted it (its last event)."""
    entity = table_of(model).name
    gone = session.exec(
        select(Event)
        .where(Event.entity == entity, Event.entity_id == row_id)
        .order_by(col(Event.id).desc())
        .limit(1)
    ).first()
    return stale_refusal(
        what,
        by=gone.actor if gone else None,
        at=gone.at if gone else None,
        entity=entity,
        entity_id=row_id,
    )


@contextmanager
def versioned_write(
    store: Store, actor: Actor, *, entity: EventEntity | None = None, entity_id: int | None = None
) -> Iterator[Session]:
    """A write transaction whose stale refusals are recorded as events.

    A StaleWrite raised inside (by `check_version`) rolls the change back; the refused attempt is then
    recorded on the row that had moved on, in a transaction of its own. `entity`/`entity_id` name the row
    for a refusal that does not name one itself (a Sheets store refusing at commit).
    """
    try:
        with store.write() as session:
            yield session
    except StaleWrite as stale:
        on_entity = stale.entity or (str(entity) if entity is not None else None)
        on_id = stale.entity_id if stale.entity_id is not None else entity_id
        if on_entity is not None and on_id is not None:
            with store.write() as session:
                record_refusal(session, actor, EventEntity(on_entity), on_id, stale)
        raise


def record_refusal(
    session: Session, actor: Actor, entity: EventEntity, row_id: int, stale: StaleWrite
) -> None:
    """The refused attempt, recorded on the row that had moved on (in the session given: its own transaction
    when the refused write is rolled back, the batch's when the rest of a batch goes on)."""
    record_event(
        session, actor=actor, entity=entity, entity_id=row_id, action=EventAction.REFUSED, note=str(stale)
    )


@contextmanager
def editing(
    store: Store, model: type[_Row], row_id: int, expected_version: int, actor: Actor
) -> Iterator[tuple[Session, _Row]]:
    """Open a write transaction on one row that the caller read at `expected_version`.

    A stale copy is refused with who changed the row and when; the refused attempt is itself
    recorded as an event (in its own transaction, since the edit's transaction is rolled back).
    """
    entity = EventEntity(table_of(model).name)
    with versioned_write(store, actor, entity=entity, entity_id=row_id) as session:
        row = locked_row(session, model, row_id)
        if row.version != expected_version:  # say what the other person changed, not only who and when
            raise stale_write(row, change=last_change(session, entity, row_id))
        yield session, row


def last_change(session: Session, entity: EventEntity, row_id: int, *, window_s: float = 2.0) -> str:
    """What the row's newest change did, in words ("status → needs_info, owner team → 4"): its events, those
    by the same person within a moment of the newest one, so a refusal can say what the other person changed."""
    events = session.exec(
        select(Event)
        .where(Event.entity == entity, Event.entity_id == row_id, Event.action != EventAction.REFUSED)
        .order_by(Event.id.desc())  # type: ignore[union-attr]
        .limit(10)
    ).all()
    if not events:
        return ""
    newest = events[0]
    batch = [e for e in events if e.actor == newest.actor and (newest.at - e.at).total_seconds() <= window_s]
    words: list[str] = []
    for event in reversed(batch):
        if event.field and event.field.endswith("_id"):  # an id means nothing to a person: say what moved
            words.append(f"{event.field.removesuffix('_id').replace('_', ' ')} changed")
        elif event.field:
            name = event.field.replace("_", " ")
            value = " ".join((event.to_value or "").split())
            words.append(f"{name} → {value[:60]}" if value else f"{name} cleared")
        else:
            words.append(event.action)
    return ", ".join(dict.fromkeys(words))


def apply_changes(
    session: Session,
    row: Any,
    actor: Actor,
    changes: dict[str, Any],
    *,
    action: EventAction = EventAction.UPDATED,
) -> list[str]:
    """Set the fields that really change, one event per field, then bump the row's version."""
    changed = []
    for field, new in changes.items():
        old = getattr(row, field)
        if old == new:
            continue
        setattr(row, field, new)
        record_event(
            session,
            actor=actor,
            entity=EventEntity(table_of(type(row)).name),
            entity_id=saved_id(row),
            action=action,
            field=field,
            from_value=old,
            to_value=new,
        )
        changed.append(field)
    if changed:
        touch(row, actor)
        session.add(row)
    return changed


def touch(row: Any, actor: Actor) -> None:
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = actor.name
