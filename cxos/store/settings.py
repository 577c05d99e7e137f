"""Team-editable settings (the Setting table): read with a default, write with its event."""

from sqlmodel import Session, select

from cxos.clock import utcnow
from cxos.identity import Actor
from cxos.models import Setting
from cxos.store.audit import add_created, apply_changes
from cxos.store.store import Store
from cxos.vocabulary import EventEntity


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
            add_created(
                session,
                row,
                actor=actor,
                entity=EventEntity.SETTING,
                field=key,
                to_value=value,
            )
        else:
            apply_changes(session, row, actor, {"value": value})
        return row
