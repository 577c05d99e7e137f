"""Slack's /friction: signed requests become signals with an ephemeral answer; anything unsigned is refused."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlencode

import pytest
from sqlmodel import func, select

from cxos.intake.slack import signature_problem
from cxos.models import InboxItem, Signal, Touchpoint
from tests.intake.conftest import SLACK_SECRET, SLACK_TOUCHPOINT, call

# Slack's own example ("Verifying requests from Slack"): this secret, timestamp and body give this signature.
SLACK_EXAMPLE_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def test_slacks_documented_example_verifies():
    args = {"timestamp": "1531420618", "body": SLACK_EXAMPLE_BODY, "signature": SLACK_EXAMPLE_SIGNATURE}
    assert signature_problem(SLACK_SECRET, now=1531420618 + 10, **args) is None
    assert "five minutes" in signature_problem(SLACK_SECRET, now=1531420618 + 301, **args)
    assert "does not match" in signature_problem("another secret", now=1531420618, **args)
    assert "CXOS_SLACK_SIGNING_SECRET" in signature_problem(None, now=1531420618, **args)


def _command(text: str, *, trigger_id: str | None = None) -> bytes:
    """A slash command's form body, in the fields and order Slack sends them."""
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": "T0001",
            "team_domain": "acme",
            "channel_id": "C2147483705",
            "channel_name": "cs-escalations",
            "user_id": "U2147483697",
            "user_name": "maya",
            "command": "/friction",
            "text": text,
            "response_url": "https://hooks.slack.com/commands/1234/5678",
            "trigger_id": trigger_id or f"13345224609.738474920.{uuid.uuid4().hex}",
        }
    ).encode()


def _signed(body: bytes, *, secret: str = SLACK_SECRET, at: int | None = None) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _post(served, body: bytes, headers: dict[str, str]):
    return call(served, "POST", "/hooks/slack/commands", body=body, headers=headers)


def _signals_titled(served, title: str) -> list[Signal]:
    with served["store"].read() as session:
        return list(session.exec(select(Signal).where(Signal.title == title)))


def _inbox_rows(served) -> int:
    with served["store"].read() as session:
        return session.exec(select(func.count()).select_from(InboxItem)).one()


def test_a_signed_command_is_logged_and_answered_only_to_its_sender(served):
    body = _command("Billing & invoices: invoice PDF shows last month's seats")
    status, _, answer = _post(served, body, _signed(body))
    assert status == 200 and answer["response_type"] == "ephemeral"
    [signal] = _signals_titled(served, "invoice PDF shows last month's seats")
    assert answer["text"].startswith(f"Logged as #{signal.id}, ")
    assert signal.source == "slack" and signal.reporter == signal.created_by == "maya (Slack)"
    assert "#cs-escalations" in signal.description


def test_a_command_naming_no_touchpoint_is_placed_from_its_text_by_the_placement_rules(served):
    body = _command("Nobody can find the SSO setup guide")
    assert _post(served, body, _signed(body))[0] == 200
    [signal] = _signals_titled(served, "Nobody can find the SSO setup guide")
    with served["store"].read() as session:
        assert session.get(Touchpoint, signal.touchpoint_id).name == "SSO & user provisioning"


def test_a_command_nothing_places_goes_to_the_default_touchpoint(served):
    body = _command("Something about the thing felt odd today")
    assert _post(served, body, _signed(body))[0] == 200
    [signal] = _signals_titled(served, "Something about the thing felt odd today")
    with served["store"].read() as session:
        assert session.get(Touchpoint, signal.touchpoint_id).name == SLACK_TOUCHPOINT


def test_slacks_retry_of_one_command_logs_it_once(served):
    body = _command("Billing & invoices: seat count wrong after downgrade", trigger_id="retry-me.1")
    first = _post(served, body, _signed(body))
    again = _post(served, body, _signed(body) | {"X-Slack-Retry-Num": "1"})
    assert first[2]["text"] == again[2]["text"]
    assert len(_signals_titled(served, "seat count wrong after downgrade")) == 1


TAMPERED = {
    "unsigned": lambda body: (body, {}),
    "wrong-secret": lambda body: (body, _signed(body, secret="not the signing secret")),
    "stale-timestamp": lambda body: (body, _signed(body, at=int(time.time()) - 600)),  # a replay
    "body-changed": lambda body: (body.replace(b"never", b"NEVER"), _signed(body)),
}


@pytest.mark.parametrize("tamper", TAMPERED.values(), ids=TAMPERED.keys())
def test_an_unsigned_or_tampered_command_gets_401_and_nothing_is_stored(served, tamper):
    before = _inbox_rows(served)
    sent, headers = tamper(_command("Billing & invoices: should never be stored"))
    assert _post(served, sent, headers)[0] == 401
    assert _inbox_rows(served) == before and not _signals_titled(served, "should NEVER be stored")
    assert not _signals_titled(served, "should never be stored")


def test_a_command_without_a_touchpoint_or_a_default_stays_in_the_inbox_saying_how(
    journey_store, monkeypatch
):
    from cxos.intake import inbox
    from cxos.vocabulary import InboxState, IntakeChannel

    monkeypatch.delenv("CXOS_SLACK_TOUCHPOINT", raising=False)
    body = _command("the export button is greyed out")
    item, _ = inbox.receive(
        journey_store,
        channel=IntakeChannel.SLACK,
        body=body,
        token=None,
        idempotency_key="t-1",
        actor_name="maya",
    )
    outcome = inbox.process(journey_store, item_id=item.id)
    assert outcome.signal is None and outcome.item.state == InboxState.FAILED
    assert "/friction Touchpoint: what happened" in outcome.problems["touchpoint"]
    again, new = inbox.receive(
        journey_store,
        channel=IntakeChannel.SLACK,
        body=body,
        token=None,
        idempotency_key="t-1",
        actor_name="maya",
    )
    assert not new and again.id == item.id  # a retried command with no token is still found by its key


@pytest.fixture
def slack_replies() -> Iterator[dict]:
    """A stand-in for Slack's response_url on 127.0.0.1: every JSON body posted to it, in order."""
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  # the name http.server calls
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/actions/T0001/55/abc", "received": received}
    server.shutdown()


def _shortcut(text: str, response_url: str, *, ts: str = "1512085950.000216") -> bytes:
    """A message shortcut's interactivity request (type message_action), in the shape Slack documents."""
    payload = {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": "1512085957.123456",
        "team": {"id": "T0001", "domain": "acme"},
        "user": {"id": "U0CA5", "username": "ana", "name": "ana", "team_id": "T0001"},
        "channel": {"id": "C2147483705", "name": "customer-voice"},
        "callback_id": "log_as_friction",
        "trigger_id": f"13345224609.738474920.{uuid.uuid4().hex}",
        "message_ts": ts,
        "message": {
            "type": "message",
            "user": "U0G9QF9C6",
            "ts": ts,
            "text": text,
            "user_profile": {"display_name": "jo from Contoso", "real_name": "Jo Doe"},
        },
        "response_url": response_url,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _wait_for(received: list, count: int) -> list:
    deadline = time.monotonic() + 30  # a wait for the reply thread, not a measure of it
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return received


def test_the_message_shortcut_logs_the_message_with_its_author_channel_and_permalink(served, slack_replies):
    text = "Billing & invoices: our invoice still shows 40 seats\nWe downgraded to 25 last week."
    body = _shortcut(text, slack_replies["url"])
    status, _, _ = call(served, "POST", "/hooks/slack/interactions", body=body, headers=_signed(body))
    assert status == 200
    [signal] = _signals_titled(served, "our invoice still shows 40 seats")
    assert signal.external_ref == "https://acme.slack.com/archives/C2147483705/p1512085950000216"
    assert signal.reporter == "jo from Contoso" and signal.created_by == "ana (Slack)"
    assert "We downgraded to 25 last week." in signal.description and "#customer-voice" in signal.description
    [reply] = _wait_for(slack_replies["received"], 1)
    assert reply["response_type"] == "ephemeral" and reply["text"].startswith(f"Logged as #{signal.id}, ")


def test_one_message_logged_twice_is_one_signal(served, slack_replies):
    for _ in range(2):
        body = _shortcut(
            "Data import: CSV upload rejects semicolons", slack_replies["url"], ts="1600000000.000100"
        )
        assert call(served, "POST", "/hooks/slack/interactions", body=body, headers=_signed(body))[0] == 200
    assert len(_signals_titled(served, "CSV upload rejects semicolons")) == 1
    first, second = _wait_for(slack_replies["received"], 2)
    assert first["text"] == second["text"]


def test_an_unsigned_shortcut_gets_401_and_nothing_is_stored(served, slack_replies):
    before = _inbox_rows(served)
    body = _shortcut("Data import: forged", slack_replies["url"])
    assert call(served, "POST", "/hooks/slack/interactions", body=body, headers={})[0] == 401
    assert _inbox_rows(served) == before and slack_replies["received"] == []
