"""Ticket webhooks underneath, on both backends: one signal per ticket reference, updated by later events."""

import json

import pytest
from sqlmodel import select

from cxos.intake import inbox
from cxos.models import Signal
from cxos.vocabulary import InboxState, IntakeChannel


@pytest.fixture(autouse=True)
def ticket_touchpoint(monkeypatch):
    monkeypatch.setenv("CXOS_ZENDESK_TOUCHPOINT", "Support tickets")
    monkeypatch.setenv("CXOS_INTERCOM_TOUCHPOINT", "AI support agent")


def _zendesk(store, ticket: dict, key: str):
    body = json.dumps({"ticket": ticket}).encode()
    item, _ = inbox.receive(
        store, channel=IntakeChannel.ZENDESK, body=body, token=None, idempotency_key=key, actor_name="Zendesk"
    )
    return inbox.process(store, item_id=item.id)


def test_a_ticket_without_a_link_is_known_by_its_number_and_updated_not_duplicated(journey_store):
    first = _zendesk(journey_store, {"id": 7001, "subject": "Refund not received"}, "a")
    later = _zendesk(journey_store, {"id": 7001, "subject": "Refund not received after 14 days"}, "b")
    assert first.signal.external_ref == "zendesk-7001" and later.signal.id == first.signal.id
    with journey_store.read() as session:
        [signal] = session.exec(select(Signal)).all()
    assert signal.title == "Refund not received after 14 days" and signal.version == 2


def test_a_ticket_without_an_id_stays_in_the_inbox_saying_so(journey_store):
    outcome = _zendesk(journey_store, {"subject": "No id here"}, "c")
    assert outcome.item.state == InboxState.FAILED and "ticket.id" in outcome.problems


def test_an_intercom_notification_that_is_not_a_conversation_is_not_a_signal(journey_store):
    body = json.dumps(
        {"type": "notification_event", "data": {"item": {"type": "contact", "id": "1"}}}
    ).encode()
    item, _ = inbox.receive(
        journey_store, channel=IntakeChannel.INTERCOM, body=body, token=None, idempotency_key=None
    )
    outcome = inbox.process(journey_store, item_id=item.id)
    assert outcome.signal is None and "data.item" in outcome.problems
