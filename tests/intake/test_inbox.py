"""The inbox: stored raw first, then one signal per item through the one door, failures kept with a reason."""

import json

import pytest
from sqlmodel import func, select

from cxos.errors import NotAllowed, ValidationFailed
from cxos.intake import inbox
from cxos.intake.mapping import check_fields
from cxos.intake.tokens import create_token
from cxos.journey.editor import add_touchpoint
from cxos.journey.map import touchpoint_options
from cxos.models import InboxItem, Signal
from cxos.signals.writes import create_signal
from cxos.vocabulary import Component, InboxState, IntakeChannel, TokenScope
from tests.conftest import ADMIN, COUNCIL


@pytest.fixture
def bridge(journey_store):
    return create_token(journey_store, name="Zendesk bridge", scope=TokenScope.WRITE, actor=ADMIN).token


def _body(**fields) -> bytes:
    return json.dumps({"title": "Export times out", "source": "ticket"} | fields).encode()


def _receive(store, token, body: bytes, key: str | None = None):
    return inbox.receive(store, channel=IntakeChannel.API, body=body, token=token, idempotency_key=key)


def _signals(store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(Signal)).one()


def test_an_item_becomes_one_signal_by_the_token(journey_store, bridge, touchpoint_id):
    item, new = _receive(journey_store, bridge, _body(touchpoint_id=touchpoint_id))
    assert new and item.state == InboxState.PENDING
    outcome = inbox.process(journey_store, item_id=item.id)
    assert outcome.signal.created_by == "Zendesk bridge" and outcome.item.state == InboxState.PROCESSED
    assert outcome.item.signal_id == outcome.signal.id
    again = inbox.process(journey_store, item_id=item.id)  # a second processor finds it done
    assert again.signal.id == outcome.signal.id and _signals(journey_store) == 1


def test_the_raw_body_is_kept_as_it_came(journey_store, bridge, touchpoint_id):
    body = _body(touchpoint_id=touchpoint_id, description="naïve café\n  spaced  ")
    item, _ = _receive(journey_store, bridge, body)
    with journey_store.read() as session:
        assert session.get(InboxItem, item.id).payload == body.decode()


def test_a_repeated_idempotency_key_returns_the_first_item(journey_store, bridge, touchpoint_id):
    first, new = _receive(journey_store, bridge, _body(touchpoint_id=touchpoint_id), key="k-1")
    second, again = _receive(journey_store, bridge, _body(touchpoint_id=touchpoint_id), key="k-1")
    assert new and not again and second.id == first.id
    with journey_store.read() as session:
        assert session.exec(select(func.count()).select_from(InboxItem)).one() == 1


def test_a_touchpoint_by_name_is_resolved_when_processed(journey_store, bridge):
    with journey_store.read() as session:
        place = touchpoint_options(session)[2]
    item, _ = _receive(journey_store, bridge, _body(touchpoint=place.name.upper()))
    assert inbox.process(journey_store, item_id=item.id).signal.touchpoint_id == place.id


def test_a_payload_that_fails_to_map_stays_with_its_reason_and_is_retried(journey_store, bridge):
    item, _ = _receive(journey_store, bridge, _body(touchpoint="Partner portal"))
    failed = inbox.process(journey_store, item_id=item.id)
    assert failed.signal is None and "touchpoint" in failed.problems
    assert [i.id for i in inbox.failed_items(journey_store)] == [item.id]
    assert "Partner portal" in inbox.failed_items(journey_store)[0].reason
    with journey_store.read() as session:
        stage_id = touchpoint_options(session)[0].stage_id
    add_touchpoint(
        journey_store, stage_id=stage_id, name="Partner portal", component=Component.ONBOARDING, actor=ADMIN
    )
    retried = inbox.retry(journey_store, item_id=item.id, actor=ADMIN)
    assert retried.signal is not None and retried.item.attempts == 2
    assert inbox.failed_items(journey_store) == [] and _signals(journey_store) == 1


def test_only_admins_retry(journey_store, bridge):
    item, _ = _receive(journey_store, bridge, _body(touchpoint="Nowhere"))
    inbox.process(journey_store, item_id=item.id)
    with pytest.raises(NotAllowed):
        inbox.retry(journey_store, item_id=item.id, actor=COUNCIL)


def test_an_item_left_pending_is_processed_by_the_sweep_exactly_once(journey_store, bridge, touchpoint_id):
    """The state a crash leaves: stored and acknowledged, no signal yet; or the signal made and not yet marked."""
    left, _ = _receive(journey_store, bridge, _body(touchpoint_id=touchpoint_id, title="Left pending"))
    half, _ = _receive(journey_store, bridge, _body(touchpoint_id=touchpoint_id, title="Made, not marked"))
    create_signal(
        journey_store,
        signal_in=json.loads(half.payload) | {"client_token": inbox.client_token(half.id)},
        actor=ADMIN,
    )
    assert inbox.process_left_behind(journey_store, everything=True) == 2
    assert inbox.process_left_behind(journey_store, everything=True) == 0
    with journey_store.read() as session:
        titles = sorted(session.exec(select(Signal.title)).all())
        states = set(session.exec(select(InboxItem.state)).all())
    assert titles == ["Left pending", "Made, not marked"] and states == {InboxState.PROCESSED}


def test_the_sweep_leaves_a_fresh_item_to_its_request(journey_store, bridge, touchpoint_id):
    _receive(journey_store, bridge, _body(touchpoint_id=touchpoint_id))
    assert inbox.process_left_behind(journey_store) == 0
    assert inbox.state_counts(journey_store) == {InboxState.PENDING.value: 1}


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"title": "ok title", "source": "ticket"}, {"touchpoint_id"}),
        ({"title": "x", "source": "fax", "touchpoint_id": 1}, {"title", "source"}),
        ({"title": "ok title", "source": "ticket", "touchpoint_id": 1, "colour": "red"}, {"colour"}),
        (
            {"title": "ok title", "source": "ticket", "touchpoint_id": 1, "client_token": "t"},
            {"client_token"},
        ),
        ({"title": "ok title", "source": "ticket", "touchpoint": "A", "touchpoint_id": 1}, {"touchpoint"}),
        ({"title": "ok title", "source": "ticket", "touchpoint_id": 1, "arr": -5}, {"arr"}),
    ],
)
def test_bad_fields_are_each_named_before_anything_is_stored(payload, fields):
    with pytest.raises(ValidationFailed) as refused:
        check_fields(payload)
    assert set(refused.value.problems) == fields
