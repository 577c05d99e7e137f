"""Team-editable settings (the Setting table): read with a default and the version seen, write with its event.

A setting is written against the version the person saw (0: it was never saved); a stale copy is refused,
naming who saved it and when, as every other edit is. The role a key needs is checked here, not by callers.
"""

from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.identity import Actor, require
from cxos.inputs import storable_field
from cxos.models import Setting
from cxos.store.audit import add_created, apply_changes, check_version, versioned_write
from cxos.store.store import Store
from cxos.vocabulary import EventEntity

NOTICE_TEMPLATE = "notice_template"
CONNECTED_SHEET = "connected_sheet"
# The action each key needs (identity.PERMISSIONS); a key not listed is an admin's (manage_settings).
KEY_ACTIONS = {NOTICE_TEMPLATE: "send_notices", CONNECTED_SHEET: "import_signals"}
# How a refusal names the setting to a person.
KEY_LABELS = {
    NOTICE_TEMPLATE: "The loop-notice template",
    CONNECTED_SHEET: "The connected sheet",
    "cost_live_contact": "The cost per live contact",
    "cost_self_service_contact": "The cost per self-service contact",
    "cost_per_ticket": "The cost per ticket",
}
NEVER_SAVED = 0  # the version of a setting nobody saved yet


def read_setting(session: Session, key: str) -> str | None:
    row = session.exec(select(Setting).where(Setting.key == key)).first()
    return row.value if row is not None else None


def setting_version(session: Session, key: str) -> int:
    """The version to send back with a change of `key`: NEVER_SAVED when nobody saved it yet."""
    version = session.exec(select(Setting.version).where(Setting.key == key)).first()
    return NEVER_SAVED if version is None else version


def read_float(session: Session, key: str, default: float) -> float:
    raw = read_setting(session, key)
    try:
        return float(raw) if raw not in (None, "") else default
    except ValueError:
        return default


def action_for(key: str) -> str:
    """The permission (identity.PERMISSIONS) needed to change `key`."""
    return KEY_ACTIONS.get(key, "manage_settings")


def write_setting(store: Store, *, key: str, value: str, expected_version: int, actor: Actor) -> Setting:
    """Create or change one setting that the person read at `expected_version`."""
    return write_settings(store, values={key: (value, expected_version)}, actor=actor)[key]


def write_settings(
    store: Store, *, values: Mapping[str, tuple[str, int]], actor: Actor
) -> dict[str, Setting]:
    """Create or change several settings in one transaction: {key: (value, version seen)}; all or nothing."""
    for key in values:
        require(actor, action_for(key))
    values = {key: (storable_field(key, value), seen) for key, (value, seen) in values.items()}
    try:
        return _write(store, values, actor)
    except IntegrityError:
        # Two first saves of a key at once (PostgreSQL): the other one created the row, so this copy is
        # stale. Trying again meets that row and is refused with its author, like any stale copy.
        return _write(store, values, actor)


def _write(store: Store, values: Mapping[str, tuple[str, int]], actor: Actor) -> dict[str, Setting]:
    with versioned_write(store, actor) as session:
        rows = {
            row.key: row
            for row in session.exec(
                select(Setting).where(col(Setting.key).in_(sorted(values))).with_for_update()
            )
        }
        for key, (_, expected_version) in values.items():
            if key in rows:
                check_version(rows[key], expected_version, what=KEY_LABELS.get(key, f"Setting {key!r}"))
        for key, (value, _) in values.items():
            if key in rows:
                apply_changes(session, rows[key], actor, {"value": value})
                continue
            # A key nobody saved: whatever version the person saw, nothing of anyone's is overwritten.
            now = utcnow()
            rows[key] = add_created(
                session,
                Setting(
                    key=key,
                    value=value,
                    created_at=now,
                    updated_at=now,
                    created_by=actor.name,
                    updated_by=actor.name,
                ),
                actor=actor,
                entity=EventEntity.SETTING,
                field=key,
                to_value=value,
            )
        return rows
