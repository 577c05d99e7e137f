"""The intake inbox: every accepted request stored raw first, then turned into a signal through the one door.

A request is acknowledged only once its row is committed here. Turning it into a signal is a separate step,
so a process killed in between leaves a pending item that the next start processes. Each item becomes at most
one signal whatever happens: the signal is created with the client token `inbox-<id>`, and create_signal
returns the first signal for a token it has seen (cxos/signals/writes.py).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from cxos.clock import utcnow
from cxos.errors import CxosError, NotFound, StorageFault, ValidationFailed
from cxos.identity import Actor, require
from cxos.intake.generic import json_signal
from cxos.intake.mapping import api_signal
from cxos.intake.placing import placed
from cxos.intake.slack import shortcut_signal, slash_command_signal
from cxos.intake.tickets import intercom_signal, zendesk_signal
from cxos.intake.tokens import actor_of
from cxos.models import InboxItem, IntegrationToken, Signal, saved_id
from cxos.signals.writes import create_signal, update_signal
from cxos.store.audit import record_event
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, InboxState, IntakeChannel, Role

IDEMPOTENCY_KEY_MAX = 200
# A pending item older than this is one its request left behind (a crash, a restart): the sweep takes it.
LEFT_BEHIND_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 200

# How each door's stored item becomes a signal's fields: (read session, item, client token) → fields.
Mapper = Callable[[Session, InboxItem, str], dict[str, Any]]
MAPPERS: dict[str, Mapper] = {
    IntakeChannel.API.value: api_signal,
    IntakeChannel.SLACK.value: slash_command_signal,
    IntakeChannel.SLACK_SHORTCUT.value: shortcut_signal,
    IntakeChannel.ZENDESK.value: zendesk_signal,
    IntakeChannel.INTERCOM.value: intercom_signal,
    IntakeChannel.JSON.value: json_signal,
}
# Doors whose later events about one ticket update its signal (found by its link) instead of making another.
UPDATED_BY_REFERENCE = {
    IntakeChannel.ZENDESK.value,
    IntakeChannel.INTERCOM.value,
    IntakeChannel.SLACK_SHORTCUT.value,  # one message logged twice: its signal, not a second one
}
UPDATED_FIELDS = ("title", "description")


@dataclass(frozen=True)
class Outcome:
    """What became of one inbox item: its signal, or why it has none yet."""

    item: InboxItem
    signal: Signal | None
    problems: dict[str, str]  # field → what is wrong, when it failed to map


def client_token(item_id: int) -> str:
    return f"inbox-{item_id}"


def receive(
    store: Store,
    *,
    channel: IntakeChannel,
    body: bytes,
    token: IntegrationToken | None,
    idempotency_key: str | None,
    actor_name: str | None = None,
    profile: str = "",
) -> tuple[InboxItem, bool]:
    """Store a request exactly as it came; (the item, whether it is new). A repeated Idempotency-Key from the
    same token returns the first request's item and stores nothing. `actor_name`: who a signed webhook says
    sent it (a token's requests are its integration's)."""
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationFailed({"Idempotency-Key": f"is too long (at most {IDEMPOTENCY_KEY_MAX} characters)"})
    token_id = token.id if token else None
    if idempotency_key is not None:
        first = _by_key(store, token_id, idempotency_key)
        if first is not None:
            return first, False
    actor = token.name if token else (actor_name or channel.value)
    item = InboxItem(
        channel=channel.value,
        token_id=token_id,
        idempotency_key=idempotency_key,
        profile=profile,
        payload=body.decode("utf-8", errors="replace"),
        state=InboxState.PENDING.value,
        created_by=actor,
        updated_by=actor,
    )
    try:
        with store.write() as session:
            session.add(item)
    except IntegrityError:
        # The same key raced in from two requests at once: the other one was stored first.
        first = _by_key(store, token_id, idempotency_key) if idempotency_key is not None else None
        if first is None:
            raise
        return first, False
    return item, True


def process(store: Store, *, item_id: int) -> Outcome:
    """Turn one pending item into its signal (once, whoever else tries at the same moment), or mark it failed
    with the reason. A storage fault leaves it pending for the next sweep."""
    item, token = _item_and_token(store, item_id)
    if item.state == InboxState.PROCESSED:
        return Outcome(item, _signal(store, item.signal_id), {})
    # A signed webhook (Slack) has no token: it logs as the person it names, with a contributor's rights.
    actor = actor_of(token) if token else Actor(item.created_by, Role.CONTRIBUTOR)
    try:
        # A webhook sent with an import profile (?profile=…) is mapped by it, as the admin edited it.
        mapper = json_signal if item.profile else MAPPERS[item.channel]
        with store.read() as session:
            fields = mapper(session, item, client_token(saved_id(item)))
        signal = _made_or_updated(store, item, placed(store, item.channel, fields), actor)
    except ValidationFailed as refused:
        return _failed(store, item, refused.problems)
    except StorageFault:
        raise
    except CxosError as refused:  # a token revoked or a role changed since it was received
        return _failed(store, item, {"request": str(refused)})
    return Outcome(_mark(store, item, state=InboxState.PROCESSED, signal_id=saved_id(signal)), signal, {})


def process_left_behind(store: Store, *, everything: bool = False) -> int:
    """Process the pending items requests left behind (all of them with `everything`, as at start-up).
    How many became signals."""
    cutoff = utcnow() - LEFT_BEHIND_AFTER
    with store.read() as session:
        query = select(InboxItem.id).where(InboxItem.state == InboxState.PENDING.value)
        if not everything:
            query = query.where(col(InboxItem.created_at) <= cutoff)
        ids = list(session.exec(query.order_by(col(InboxItem.id)).limit(SWEEP_BATCH)))
    done = 0
    for item_id in ids:
        if item_id is not None and process(store, item_id=item_id).signal is not None:
            done += 1
    return done


def retry(store: Store, *, item_id: int, actor: Actor) -> Outcome:
    """Try a failed item again (after its cause was fixed: a touchpoint added, a mapping corrected)."""
    require(actor, "manage_integrations")
    with store.write() as session:
        moved = session.exec(
            update(InboxItem)
            .where(col(InboxItem.id) == item_id, col(InboxItem.state) == InboxState.FAILED.value)
            .values(state=InboxState.PENDING.value, updated_by=actor.name, updated_at=utcnow())
        )
        if moved.rowcount:
            record_event(
                session,
                actor=actor,
                entity=EventEntity.INTAKE_INBOX,
                entity_id=item_id,
                action=EventAction.RETRIED,
            )
    return process(store, item_id=item_id)


def failed_items(store: Store, *, limit: int = 200) -> list[InboxItem]:
    """The items that did not become signals, newest first: what an admin has to look at."""
    with store.read() as session:
        query = select(InboxItem).where(InboxItem.state == InboxState.FAILED.value)
        return list(session.exec(query.order_by(col(InboxItem.id).desc()).limit(limit)))


def state_counts(store: Store) -> dict[str, int]:
    """How many items are in each state."""
    with store.read() as session:
        rows = session.exec(select(InboxItem.state, func.count()).group_by(InboxItem.state)).all()
    return {state: count for state, count in rows}


def _made_or_updated(store: Store, item: InboxItem, fields: dict[str, Any], actor: Actor) -> Signal:
    """A new signal through the one door; for a ticket's later event, the signal its first event made."""
    if item.channel not in UPDATED_BY_REFERENCE or not fields.get("external_ref"):
        return create_signal(store, signal_in=fields, actor=actor)
    known = _by_reference(store, fields)
    if known is None:
        try:
            return create_signal(store, signal_in=fields, actor=actor)
        except ValidationFailed as refused:
            known = _by_reference(store, fields) if "external_ref" in refused.problems else None
            if known is None:  # not two events about one new ticket racing: a real refusal
                raise
    return _updated(store, known, fields, actor)


def _by_reference(store: Store, fields: dict[str, Any]) -> Signal | None:
    """The signal an earlier event about the same ticket made (same source, same link), if any."""
    with store.read() as session:
        return session.exec(
            select(Signal).where(
                Signal.source == fields["source"], Signal.external_ref == fields["external_ref"]
            )
        ).first()


def _updated(store: Store, signal: Signal, fields: dict[str, Any], actor: Actor) -> Signal:
    """A later event about a ticket: its signal takes the ticket's title and details as they are now."""
    changes = {name: fields[name] for name in UPDATED_FIELDS if fields[name] != getattr(signal, name)}
    if not changes:
        return signal
    return update_signal(
        store, signal_id=saved_id(signal), expected_version=signal.version, changes=changes, actor=actor
    )


def _by_key(store: Store, token_id: int | None, key: str) -> InboxItem | None:
    # A signed webhook has no token: NULL never equals NULL in SQL, so it is asked for as IS NULL.
    of_token = col(InboxItem.token_id).is_(None) if token_id is None else col(InboxItem.token_id) == token_id
    with store.read() as session:
        return session.exec(select(InboxItem).where(of_token, InboxItem.idempotency_key == key)).first()


def _item_and_token(store: Store, item_id: int) -> tuple[InboxItem, IntegrationToken | None]:
    with store.read() as session:
        item = session.get(InboxItem, item_id)
        if item is None:
            raise NotFound(f"There is no inbox item #{item_id}.")
        token = session.get(IntegrationToken, item.token_id) if item.token_id is not None else None
    return item, token


def _signal(store: Store, signal_id: int | None) -> Signal | None:
    if signal_id is None:
        return None
    with store.read() as session:
        return session.get(Signal, signal_id)


def _failed(store: Store, item: InboxItem, problems: dict[str, str]) -> Outcome:
    reason = "; ".join(f"{field}: {why}" for field, why in problems.items())
    return Outcome(_mark(store, item, state=InboxState.FAILED, reason=reason), None, problems)


def _mark(
    store: Store, item: InboxItem, *, state: InboxState, signal_id: int | None = None, reason: str = ""
) -> InboxItem:
    """Record where the item is now; a processed item stays processed (two processors, one outcome)."""
    with store.write() as session:
        row = session.get(InboxItem, saved_id(item))
        if row is None:
            raise NotFound(f"There is no inbox item #{item.id}.")
        if row.state != InboxState.PROCESSED:
            row.state, row.reason, row.attempts = state.value, reason, row.attempts + 1
            row.signal_id = signal_id if signal_id is not None else row.signal_id
            row.updated_at, row.version = utcnow(), row.version + 1
            session.add(row)
        return row
