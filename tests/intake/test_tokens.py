"""Integration tokens: made and revoked by admins, stored only as a hash, naming the integration as the actor."""

from datetime import timedelta

import pytest
from sqlmodel import select

from cxos.errors import NotAllowed, ValidationFailed
from cxos.intake.tokens import (
    actor_of,
    authenticate,
    create_token,
    list_tokens,
    note_used,
    revoke_token,
    token_hash,
)
from cxos.models import Event, IntegrationToken
from cxos.vocabulary import EventAction, Role, TokenScope
from tests.conftest import ADMIN, COUNCIL


def test_a_token_is_stored_only_as_its_hash(store):
    made = create_token(store, name="Zendesk bridge", scope=TokenScope.WRITE, actor=ADMIN)
    with store.read() as session:
        row = session.exec(select(IntegrationToken)).one()
    assert made.secret.startswith("cxos_") and made.secret not in row.model_dump_json()
    assert row.token_hash == token_hash(made.secret) and row.hint == made.secret[-4:]
    assert authenticate(store, made.secret).name == "Zendesk bridge"


def test_only_admins_make_tokens(store):
    with pytest.raises(NotAllowed):
        create_token(store, name="Bridge", scope=TokenScope.WRITE, actor=COUNCIL)


def test_two_integrations_cannot_share_a_name(store):
    create_token(store, name="Intercom", scope=TokenScope.WRITE, actor=ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        create_token(store, name="Intercom", scope=TokenScope.READ, actor=ADMIN)
    assert "name" in refused.value.problems


def test_a_revoked_token_no_longer_authenticates_and_the_revocation_is_an_event(store):
    made = create_token(store, name="Forum bot", scope=TokenScope.WRITE, actor=ADMIN)
    revoke_token(store, token_id=made.token.id, actor=ADMIN)
    revoke_token(store, token_id=made.token.id, actor=ADMIN)  # twice: still one revocation
    assert authenticate(store, made.secret) is None
    with store.read() as session:
        actions = [e.action for e in session.exec(select(Event).where(Event.entity == "integration_token"))]
    assert actions == [EventAction.CREATED, EventAction.REVOKED]
    assert list_tokens(store)[0].revoked_by == ADMIN.name


def test_an_unknown_or_malformed_secret_is_nobody(store):
    create_token(store, name="Survey tool", scope=TokenScope.READ, actor=ADMIN)
    assert authenticate(store, "cxos_not-a-token") is None
    assert authenticate(store, "Bearer something") is None


def test_last_used_moves_at_most_once_a_minute(store):
    made = create_token(store, name="Agent", scope=TokenScope.WRITE, actor=ADMIN)
    token = authenticate(store, made.secret)
    assert note_used(store, token) is True
    first = authenticate(store, made.secret).last_used_at
    assert note_used(store, token, now=first + timedelta(seconds=30)) is False
    assert note_used(store, token, now=first + timedelta(minutes=2)) is True
    assert authenticate(store, made.secret).last_used_at == first + timedelta(minutes=2)


def test_the_token_acts_under_its_name_with_its_scope():
    write = actor_of(IntegrationToken(name="Bridge", scope="write", token_hash="x"))
    read = actor_of(IntegrationToken(name="Reader", scope="read", token_hash="y"))
    assert (write.name, write.role, read.role) == ("Bridge", Role.CONTRIBUTOR, Role.VIEWER)
