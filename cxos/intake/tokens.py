"""Integration tokens: created and revoked by admins, stored as a hash, checked on every intake request."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update

from cxos.clock import utcnow
from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import storable_name
from cxos.models import IntegrationToken, saved_id
from cxos.store.audit import add_created, record_event
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, Role, TokenScope

TOKEN_PREFIX = "cxos_"  # so a token pasted into the wrong place (a log, a chat) is recognisable and greppable
NAME_MAX = 80
HINT_CHARS = 4
# "Last used" is a day-to-day fact for an admin deciding what to revoke, not an audit trail: writing it on every
# request would make each read a write, so it moves at most once a minute per token.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just created: the only moment its secret exists outside the caller's hands."""

    token: IntegrationToken
    secret: str


def token_hash(secret: str) -> str:
    """What is stored and looked up: a SHA-256 of the token (a random 256-bit token needs no slow hash)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def actor_of(token: IntegrationToken) -> Actor:
    """The integration as the actor of what it does: its name on every event, a write token as a contributor."""
    role = Role.CONTRIBUTOR if token.scope == TokenScope.WRITE else Role.VIEWER
    return Actor(token.name, role)


def create_token(store: Store, *, name: str, scope: TokenScope, actor: Actor) -> NewToken:
    """A new token for one integration; its secret is returned once and never stored."""
    require(actor, "manage_integrations")
    clean = storable_name(name).strip()
    if not clean:
        raise ValidationFailed({"name": "is required"})
    if len(clean) > NAME_MAX:
        raise ValidationFailed({"name": f"is too long (at most {NAME_MAX} characters)"})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = IntegrationToken(
        name=clean,
        scope=TokenScope(scope).value,
        token_hash=token_hash(secret),
        hint=secret[-HINT_CHARS:],
        created_by=actor.name,
        updated_by=actor.name,
    )
    try:
        with store.write() as session:
            add_created(session, row, actor=actor, entity=EventEntity.INTEGRATION_TOKEN, to_value=clean)
    except IntegrityError:
        raise ValidationFailed({"name": f"an integration called {clean!r} has a token already"}) from None
    return NewToken(row, secret)


def revoke_token(store: Store, *, token_id: int, actor: Actor) -> IntegrationToken:
    """Stop a token from working, at once and for good (a revoked token is revoked, whoever did it first)."""
    require(actor, "manage_integrations")
    with store.write() as session:
        row = session.get(IntegrationToken, token_id)
        if row is None:
            raise NotFound(f"There is no integration token #{token_id}.")
        if row.revoked_at is None:
            now = utcnow()
            row.revoked_at, row.revoked_by = now, actor.name
            row.updated_at, row.updated_by, row.version = now, actor.name, row.version + 1
            session.add(row)
            record_event(
                session,
                actor=actor,
                entity=EventEntity.INTEGRATION_TOKEN,
                entity_id=saved_id(row),
                action=EventAction.REVOKED,
                to_value=row.name,
            )
        return row


def list_tokens(store: Store) -> list[IntegrationToken]:
    """Every token, live ones first, newest first."""
    with store.read() as session:
        rows = session.exec(select(IntegrationToken).order_by(col(IntegrationToken.id).desc())).all()
    return sorted(rows, key=lambda row: row.revoked_at is not None)


def authenticate(store: Store, secret: str) -> IntegrationToken | None:
    """The live token this secret is, or None (unknown, revoked or malformed look the same to the caller)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    with store.read() as session:
        row = session.exec(
            select(IntegrationToken).where(IntegrationToken.token_hash == token_hash(secret))
        ).first()
    if row is None or row.revoked_at is not None:
        return None
    return row


def note_used(store: Store, token: IntegrationToken, *, now: datetime | None = None) -> bool:
    """Move the token's "last used" to now, unless it moved within the last minute. Whether it wrote."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return False
    with store.write() as session:
        session.exec(
            update(IntegrationToken).where(col(IntegrationToken.id) == token.id).values(last_used_at=now)
        )
    token.last_used_at = now
    return True
