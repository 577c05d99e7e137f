"""Zendesk and Intercom webhooks over HTTP: signed events become one signal per ticket, later ones update it."""

import base64
import hashlib
import hmac
import json
import time
import uuid

from sqlmodel import func, select

from cxos.importers.mapping import Profile
from cxos.importers.profiles import save_profile
from cxos.journey.map import touchpoint_options
from cxos.models import InboxItem, Signal
from tests.conftest import ADMIN
from tests.intake.conftest import INTERCOM_SECRET, ZENDESK_SECRET, call


def _zendesk(
    ticket: dict, *, secret: str = ZENDESK_SECRET, invocation: str | None = None
) -> tuple[bytes, dict]:
    """A Zendesk trigger's webhook body and headers, signed as Zendesk signs them."""
    body = json.dumps({"ticket": ticket}).encode()
    # The app checks the signature's time against its own clock, the real one (it runs outside the suite's).
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    signature = base64.b64encode(
        hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    )
    return body, {
        "X-Zendesk-Webhook-Signature": signature.decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Invocation-Id": invocation or uuid.uuid4().hex,
    }


def _intercom(
    conversation_id: str, *, notification: str, secret: str = INTERCOM_SECRET
) -> tuple[bytes, dict]:
    """An Intercom conversation.user.created notification in the shape Intercom documents, signed."""
    body = json.dumps(
        {
            "type": "notification_event",
            "app_id": "ahg3x2kq",
            "id": notification,
            "topic": "conversation.user.created",
            "data": {
                "type": "notification_event_data",
                "item": {
                    "type": "conversation",
                    "id": conversation_id,
                    "title": None,
                    "source": {
                        "type": "conversation",
                        "subject": "",
                        "body": "<p>The <b>CSV export</b> button does nothing &amp; no error shows</p>",
                        "author": {"type": "user", "name": "Lee Park", "email": "lee@northwind.example"},
                        "url": None,
                    },
                },
            },
        }
    ).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return body, {"X-Hub-Signature": f"sha1={digest}"}


def _by_reference(served, reference: str) -> list[Signal]:
    with served["store"].read() as session:
        return list(session.exec(select(Signal).where(Signal.external_ref == reference)))


def _inbox_rows(served) -> int:
    with served["store"].read() as session:
        return session.exec(select(func.count()).select_from(InboxItem)).one()


def test_a_zendesk_ticket_becomes_one_signal_that_later_events_update(served):
    ticket = {
        "id": "48213",
        "url": "https://acme.zendesk.com/agent/tickets/48213",
        "title": "SSO login loops back to the start",
        "description": "Since Monday every Okta user loops.",
        "requester": "it@northwind.example",
        "organization": "Northwind",
    }
    body, headers = _zendesk(ticket)
    status, _, first = call(served, "POST", "/hooks/zendesk", body=body, headers=headers)
    assert status == 200 and first["signal_id"]
    body, headers = _zendesk(ticket | {"title": "SSO login loops for Okta users"})
    status, _, later = call(served, "POST", "/hooks/zendesk", body=body, headers=headers)
    assert status == 200 and later["signal_id"] == first["signal_id"]
    [signal] = _by_reference(served, ticket["url"])
    assert signal.title == "SSO login loops for Okta users" and signal.account == "Northwind"
    assert signal.reporter == "it@northwind.example" and signal.created_by == "Zendesk"


def test_an_unsigned_or_wrongly_signed_zendesk_call_gets_401_and_nothing_is_stored(served):
    before = _inbox_rows(served)
    body, headers = _zendesk({"id": "1", "title": "forged ticket"}, secret="not the secret")
    assert call(served, "POST", "/hooks/zendesk", body=body, headers=headers)[0] == 401
    assert call(served, "POST", "/hooks/zendesk", body=body)[0] == 401
    assert _inbox_rows(served) == before


def test_an_intercom_conversation_becomes_a_signal_once_however_often_it_is_delivered(served):
    body, headers = _intercom("1911149811", notification="notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3")
    first = call(served, "POST", "/hooks/intercom", body=body, headers=headers)
    again = call(served, "POST", "/hooks/intercom", body=body, headers=headers)
    assert first[0] == again[0] == 200 and first[2]["signal_id"] == again[2]["signal_id"]
    [signal] = _by_reference(
        served, "https://app.intercom.com/a/apps/ahg3x2kq/inbox/inbox/conversation/1911149811"
    )
    assert signal.title == "The CSV export button does nothing & no error shows"
    assert signal.reporter == "lee@northwind.example"


def test_an_intercom_call_with_a_wrong_signature_gets_401_and_nothing_is_stored(served):
    before = _inbox_rows(served)
    body, headers = _intercom("42", notification="notif_forged", secret="guessed")
    assert call(served, "POST", "/hooks/intercom", body=body, headers=headers)[0] == 401
    assert _inbox_rows(served) == before


def test_a_zendesk_webhook_may_be_mapped_by_an_edited_import_profile(served):
    with served["store"].read() as session:
        place = next(tp for tp in touchpoint_options(session) if tp.name == "Billing & invoices")
    mapping = {"ticket.subject": "title", "ticket.link": "external_ref", "ticket.priority": "severity"}
    save_profile(
        served["store"],
        profile=Profile(
            "Zendesk trigger", "csv", mapping, default_source="ticket", default_touchpoint_id=place.id
        ),
        actor=ADMIN,
    )
    ticket = {
        "subject": "Card declined at renewal",
        "link": "https://acme.zendesk.com/agent/tickets/9",
        "priority": "high",
    }
    body, headers = _zendesk(ticket)
    status, _, answer = call(
        served, "POST", "/hooks/zendesk?profile=Zendesk%20trigger", body=body, headers=headers
    )
    assert status == 200 and answer["state"] == "processed", answer
    [signal] = _by_reference(served, ticket["link"])
    assert (signal.title, signal.severity, signal.touchpoint_id) == (
        "Card declined at renewal",
        "high",
        place.id,
    )
