"""Team-editable settings (the Setting table): read with a default, write with its event."""

from sqlmodel import Session, select

from cxos.clock import utcnow
from cxos.identity import Actor
from cxos.models import Setting, saved_id
from cxos.store.audit import apply_changes, record_event
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity


def read_setting(session: Session, key: str) -> str | None:
    row = session.exec(select(Setting).where(Setting.key == key)).first()
    return row.value if row is not None else None


def read_float(session: Session, key: str, default: float) -> float:
    raw = read_setting(session, key)
    try:
        return float(raw) if raw not in (None, "") else default
    except ValueError:
        return default


def write_setting(store: Store, *, key: str, value: str, actor: Actor) -> Setting:
    """Create or change one setting; the caller has checked the actor's permission for this key."""
    with store.write() as session:
        row = session.exec(select(Setting).where(Setting.key == key).with_for_update()).first()
        if row is None:
            now = utcnow()
            row = Setting(
                key=key,
                value=value,
                created_at=now,
                updated_at=now,
                created_by=actor.name,
                updated_by=actor.name,
            )
            session.add(row)
            session.flush()
            record_event(
                session,
                actor=actor,
                entity=EventEntity.SETTING,
                entity_id=saved_id(row),
                action=EventAction.CREATED,
                field=key,
                to_value=value,
            )
        else:
            apply_changes(session, row, actor, {"value": value})
        return row
