"""The Integrations page: an admin makes a token (shown once), revokes it, and retries what failed to map."""

import json

from cxos.intake import inbox
from cxos.intake.tokens import authenticate, create_token
from cxos.journey.editor import add_touchpoint
from cxos.journey.map import touchpoint_options
from cxos.models import IntegrationToken
from cxos.store.store import Store
from cxos.vocabulary import Component, InboxState, IntakeChannel, TokenScope
from tests.conftest import ADMIN
from tests.test_pages import open_page

PAGE = "pages/Integrations.py"


def test_an_admin_makes_a_token_that_is_shown_once_and_works(demo_db):
    at = open_page(PAGE, name="Dana Kim")
    next(t for t in at.text_input if t.label == "Integration name").set_value("Forum bot")
    next(b for b in at.button if b.label == "Make a token").click()
    at.run()
    secret = next(c.value for c in at.code if c.value.startswith("cxos_"))
    store = Store.open(demo_db)
    assert authenticate(store, secret).name == "Forum bot"
    at.run()
    assert not [c for c in at.code if c.value.startswith("cxos_")]  # never shown again


def test_an_admin_revokes_a_token(demo_db):
    store = Store.open(demo_db)
    made = create_token(store, name="Old bridge", scope=TokenScope.WRITE, actor=ADMIN)
    at = open_page(PAGE, name="Dana Kim")
    next(b for b in at.button if b.label == "Revoke").click()
    at.run()
    with store.read() as session:
        assert session.get(IntegrationToken, made.token.id).revoked_by == "Dana Kim"
    assert authenticate(store, made.secret) is None


def test_a_failed_item_is_shown_with_its_reason_and_retried_once_fixed(demo_db):
    store = Store.open(demo_db)
    token = create_token(store, name="Survey tool", scope=TokenScope.WRITE, actor=ADMIN).token
    body = json.dumps(
        {"title": "NPS comment: export", "source": "survey", "touchpoint": "Exit survey"}
    ).encode()
    item, _ = inbox.receive(store, channel=IntakeChannel.API, body=body, token=token, idempotency_key=None)
    inbox.process(store, item_id=item.id)
    at = open_page(PAGE, name="Dana Kim")
    assert any("Exit survey" in c.value for c in at.caption)
    with store.read() as session:
        stage_id = touchpoint_options(session)[-1].stage_id
    add_touchpoint(store, stage_id=stage_id, name="Exit survey", component=Component.LIFECYCLE, actor=ADMIN)
    next(b for b in at.button if b.label == "Retry").click()
    at.run()
    assert inbox.state_counts(store) == {InboxState.PROCESSED.value: 1}
    assert not at.exception


def test_people_who_are_not_admins_see_tokens_but_cannot_make_them(demo_db):
    at = open_page(PAGE, name="Priya Shah")
    assert not at.exception
    assert not [b for b in at.button if b.label in {"Make a token", "Revoke"}]
