"""The intake API over real HTTP, against the app as `make run` serves it (pages and API on one port)."""

import json
import urllib.error
import urllib.request

import pytest
from sqlmodel import func, select

from api.all_routes import ROUTES
from cxos.intake.tokens import create_token, revoke_token
from cxos.journey.map import touchpoint_options
from cxos.models import Event, InboxItem, Signal
from cxos.signals.queries import SignalFilter, count_signals
from cxos.vocabulary import InboxState, TokenScope
from tests.conftest import ADMIN
from tests.intake.conftest import MAX_BODY, RATE_LIMIT, call


@pytest.fixture
def write_token(served, request) -> str:
    return create_token(
        served["store"], name=f"bridge {request.node.name}", scope=TokenScope.WRITE, actor=ADMIN
    ).secret


@pytest.fixture
def touchpoint(served):
    with served["store"].read() as session:
        return touchpoint_options(session)[1]


def inbox_rows(served) -> int:
    with served["store"].read() as session:
        return session.exec(select(func.count()).select_from(InboxItem)).one()


def signal_fields(touchpoint, **fields) -> dict:
    return {"title": "Invoice PDF is blank", "source": "ticket", "touchpoint_id": touchpoint.id} | fields


def test_a_posted_signal_is_stored_routed_and_logged_by_the_integration(served, write_token, touchpoint):
    status, headers, signal = call(
        served, "POST", "/api/v1/signals", token=write_token, body=signal_fields(touchpoint)
    )
    assert status == 201 and headers["Location"] == f"/api/v1/signals/{signal['id']}"
    with served["store"].read() as session:
        stored = session.get(Signal, signal["id"])
        created = session.exec(
            select(Event).where(Event.entity == "signal", Event.entity_id == stored.id)
        ).first()
        item = session.get(InboxItem, signal["inbox_id"])
    assert stored.title == "Invoice PDF is blank" and stored.touchpoint_id == touchpoint.id
    assert (
        created.actor
        == stored.created_by
        == f"bridge {test_a_posted_signal_is_stored_routed_and_logged_by_the_integration.__name__}"
    )
    assert item.state == InboxState.PROCESSED and item.signal_id == stored.id
    assert (stored.owner_team_id is not None) == (
        stored.status == "routed"
    )  # routed on arrival, or in triage


def test_a_retried_request_returns_the_first_signal(served, write_token, touchpoint):
    key = {"Idempotency-Key": "order-7731"}
    first = call(
        served, "POST", "/api/v1/signals", token=write_token, body=signal_fields(touchpoint), headers=key
    )
    again = call(
        served, "POST", "/api/v1/signals", token=write_token, body=signal_fields(touchpoint), headers=key
    )
    assert (first[0], again[0]) == (201, 200) and again[1]["Idempotent-Replayed"] == "true"
    assert again[2]["id"] == first[2]["id"] and again[2]["inbox_id"] == first[2]["inbox_id"]


def test_bad_fields_are_each_named_and_nothing_is_stored(served, write_token):
    before = inbox_rows(served)
    status, _, body = call(
        served,
        "POST",
        "/api/v1/signals",
        token=write_token,
        body={"title": "x", "source": "fax", "mood": "bad"},
    )
    assert status == 422 and set(body["fields"]) == {"title", "source", "mood", "touchpoint_id"}
    status, _, body = call(served, "POST", "/api/v1/signals", token=write_token, body=b"{not json")
    assert status == 422 and "body" in body["fields"]
    assert inbox_rows(served) == before


def test_an_oversized_body_gets_413_and_nothing_is_stored(served, write_token, touchpoint):
    before = inbox_rows(served)
    huge = signal_fields(touchpoint, description="x" * (MAX_BODY + 1))
    status, _, body = call(served, "POST", "/api/v1/signals", token=write_token, body=huge)
    assert status == 413 and "larger than" in body["error"]
    assert inbox_rows(served) == before


@pytest.mark.parametrize("token", [None, "cxos_wrong", "not-even-ours"])
def test_a_missing_or_wrong_token_gets_401_and_nothing_is_stored(served, token, touchpoint):
    before = inbox_rows(served)
    status, headers, _ = call(served, "POST", "/api/v1/signals", token=token, body=signal_fields(touchpoint))
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert call(served, "GET", "/api/v1/signals", token=token)[0] == 401
    assert inbox_rows(served) == before


def test_a_revoked_token_gets_401(served, touchpoint):
    made = create_token(served["store"], name="soon revoked", scope=TokenScope.WRITE, actor=ADMIN)
    assert call(served, "GET", "/api/v1/signals?limit=1", token=made.secret)[0] == 200
    revoke_token(served["store"], token_id=made.token.id, actor=ADMIN)
    before = inbox_rows(served)
    assert (
        call(served, "POST", "/api/v1/signals", token=made.secret, body=signal_fields(touchpoint))[0] == 401
    )
    assert inbox_rows(served) == before


def test_a_read_token_may_read_but_not_write(served, touchpoint):
    reader = create_token(served["store"], name="dashboard", scope=TokenScope.READ, actor=ADMIN).secret
    assert call(served, "POST", "/api/v1/signals", token=reader, body=signal_fields(touchpoint))[0] == 403
    assert call(served, "GET", "/api/v1/signals?limit=1", token=reader)[0] == 200


def test_past_the_rate_limit_the_answer_is_429_with_retry_after(served):
    reader = create_token(served["store"], name="hasty", scope=TokenScope.READ, actor=ADMIN).secret
    answers = [call(served, "GET", "/api/v1/signals?limit=1", token=reader) for _ in range(RATE_LIMIT * 3)]
    limited = [headers for status, headers, _ in answers if status == 429]
    assert limited and int(limited[0]["Retry-After"]) >= 1
    assert sum(1 for status, _, _ in answers if status == 200) >= RATE_LIMIT  # the whole minute's burst first


def test_a_payload_that_fails_to_map_stays_in_the_inbox_with_its_reason(served, write_token):
    body = {"title": "Webinar link dead", "source": "community", "touchpoint": "No such place"}
    status, _, answer = call(served, "POST", "/api/v1/signals", token=write_token, body=body)
    assert status == 422 and "touchpoint" in answer["fields"]
    with served["store"].read() as session:
        item = session.get(InboxItem, answer["inbox_id"])
    assert (
        item.state == InboxState.FAILED
        and "No such place" in item.reason
        and json.loads(item.payload) == body
    )


def test_signals_are_listed_with_the_logs_filters_page_by_page(served, write_token):
    seen, cursor = [], None
    while True:
        path = "/api/v1/signals?source=ticket,slack&limit=7" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = call(served, "GET", path, token=write_token)
        assert status == 200 and len(page["signals"]) <= 7
        seen += page["signals"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    with served["store"].read() as session:
        expected = count_signals(session, SignalFilter(sources=("ticket", "slack")))
    assert len({s["id"] for s in seen}) == len(seen) == expected > 7
    assert all(s["source"] in {"ticket", "slack"} for s in seen)


def test_an_unreadable_filter_is_named(served, write_token):
    status, _, body = call(served, "GET", "/api/v1/signals?status=lost&limit=0", token=write_token)
    assert status == 400 and set(body["fields"]) == {"status", "limit"}


def test_one_signal_by_its_number(served, write_token):
    status, _, signal = call(served, "GET", "/api/v1/signals/3", token=write_token)
    assert status == 200 and signal["id"] == 3
    assert call(served, "GET", "/api/v1/signals/999999", token=write_token)[0] == 404
    assert call(served, "GET", "/api/v1/signals/abc", token=write_token)[0] == 404


def test_the_openapi_description_names_every_route(served):
    status, _, document = call(served, "GET", "/api/v1/openapi.json")
    assert status == 200 and document["openapi"].startswith("3.")
    served_paths = {getattr(route, "path", "") for route in ROUTES}
    assert set(document["paths"]) == served_paths - {"/api/v1/openapi.json"}
    assert "title" in document["components"]["schemas"]["SignalIn"]["properties"]


def test_the_pages_are_served_on_the_same_port(served):
    with urllib.request.urlopen(served["url"] + "/Friction_log", timeout=30) as response:
        assert response.status == 200 and b'<div id="root">' in response.read()
