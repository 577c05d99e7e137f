"""The store contract for signal writes, run on SQLite, PostgreSQL and Google Sheets (the offline fake):
events, versions, roles, idempotency."""

import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from cxos.errors import NotAllowed, NotFound, StaleWrite, ValidationFailed
from cxos.models import Event, Signal
from cxos.signals import queries
from cxos.signals.writes import assign_owner, create_signal, set_status, update_signal
from tests.conftest import ADMIN, BACKENDS, CONTRIBUTOR, COUNCIL, VIEWER, open_test_store
from tests.factories import log_signal, signal_input


@pytest.fixture(params=[*BACKENDS, "sheets"])
def store(request, tmp_path):
    yield from open_test_store(request, tmp_path)


def _count(store, model, *where) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _events(store, signal_id: int) -> list[Event]:
    with store.read() as session:
        return queries.timeline(session, "signal", signal_id)


def test_logging_a_signal_stores_it_with_one_created_event(journey_store, touchpoint_id):
    signal = create_signal(
        journey_store,
        signal_in=signal_input(touchpoint_id=touchpoint_id, arr=120_000, driver_effort=True),
        actor=CONTRIBUTOR,
    )
    with journey_store.read() as session:
        stored = session.get(Signal, signal.id)
    assert (stored.title, stored.status, stored.owner_team_id, stored.version) == (
        "SSO users missing after sync",
        "new",
        None,
        1,
    )
    assert stored.arr == 120_000 and stored.driver_effort and stored.created_by == CONTRIBUTOR.name
    assert [(e.action, e.actor, e.to_value) for e in _events(journey_store, signal.id)] == [
        ("created", CONTRIBUTOR.name, "SSO users missing after sync")
    ]


def test_invalid_signal_is_refused_per_field_and_stores_nothing(journey_store, touchpoint_id):
    with pytest.raises(ValidationFailed) as refused:
        create_signal(
            journey_store,
            signal_in={"title": "x", "source": "fax", "touchpoint_id": touchpoint_id, "arr": -5},
            actor=CONTRIBUTOR,
        )
    assert set(refused.value.problems) == {"title", "source", "arr"}
    assert _count(journey_store, Signal) == 0 and _count(journey_store, Event, Event.entity == "signal") == 0


def test_unknown_touchpoint_is_refused(journey_store):
    with pytest.raises(ValidationFailed) as refused:
        create_signal(journey_store, signal_in=signal_input(touchpoint_id=99_999), actor=CONTRIBUTOR)
    assert "touchpoint_id" in refused.value.problems
    assert _count(journey_store, Signal) == 0


def test_same_client_token_twice_gives_one_signal(journey_store, touchpoint_id):
    first = create_signal(
        journey_store,
        signal_in=signal_input(touchpoint_id=touchpoint_id, client_token="form-1"),
        actor=CONTRIBUTOR,
    )
    second = create_signal(
        journey_store,
        signal_in=signal_input(touchpoint_id=touchpoint_id, client_token="form-1"),
        actor=CONTRIBUTOR,
    )
    assert first.id == second.id
    assert _count(journey_store, Signal) == 1 and _count(journey_store, Event, Event.entity == "signal") == 1


def test_concurrent_submits_of_one_form_give_one_signal(journey_store, touchpoint_id):
    ids, errors = [], []

    def submit():
        try:
            ids.append(
                create_signal(
                    journey_store,
                    signal_in=signal_input(touchpoint_id=touchpoint_id, client_token="same"),
                    actor=CONTRIBUTOR,
                ).id
            )
        except Exception as error:  # noqa: BLE001 - the test reports any failure below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(ids)) == 1 and _count(journey_store, Signal) == 1


def test_nul_characters_from_pasted_exports_are_dropped_not_fatal(journey_store, touchpoint_id):
    signal = create_signal(
        journey_store,
        signal_in=signal_input(touchpoint_id=touchpoint_id, title="Import\x00 fails", description="a\x00b"),
        actor=CONTRIBUTOR,
    )
    assert (signal.title, signal.description) == ("Import fails", "ab")


def test_assigning_an_owner_routes_the_signal_and_records_who(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    routed = assign_owner(journey_store, signal_id=signal.id, expected_version=1, team_id=2, actor=COUNCIL)
    assert (routed.owner_team_id, routed.status, routed.routed_by, routed.version) == (
        2,
        "routed",
        "person:Priya Shah",
        2,
    )
    changes = [(e.action, e.field, e.from_value, e.to_value) for e in _events(journey_store, signal.id)][1:]
    assert changes == [("owner", "owner_team_id", None, "2"), ("status", "status", "new", "routed")]


def test_stale_write_is_refused_naming_who_changed_it_and_is_logged(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    assign_owner(journey_store, signal_id=signal.id, expected_version=1, team_id=2, actor=COUNCIL)
    with pytest.raises(StaleWrite, match="changed by Priya Shah at .* UTC"):
        update_signal(
            journey_store, signal_id=signal.id, expected_version=1, changes={"title": "Mine now"}, actor=ADMIN
        )
    with journey_store.read() as session:
        assert session.get(Signal, signal.id).title == "SSO users missing after sync"
    refused = [e for e in _events(journey_store, signal.id) if e.action == "refused"]
    assert len(refused) == 1 and refused[0].actor == ADMIN.name


def test_two_writers_with_one_version_exactly_one_wins(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    outcomes = []

    def edit(title):
        try:
            update_signal(
                journey_store,
                signal_id=signal.id,
                expected_version=1,
                changes={"title": title},
                actor=COUNCIL,
            )
            outcomes.append("saved")
        except StaleWrite:
            outcomes.append("refused")

    threads = [threading.Thread(target=edit, args=(f"Edit number {i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 3 + ["saved"]


def test_every_mutation_writes_its_event_in_the_same_transaction(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    signal = update_signal(
        journey_store,
        signal_id=signal.id,
        expected_version=1,
        changes={"title": "Renamed", "severity": "high"},
        actor=CONTRIBUTOR,
    )
    signal = assign_owner(
        journey_store, signal_id=signal.id, expected_version=signal.version, team_id=1, actor=COUNCIL
    )
    signal = set_status(
        journey_store,
        signal_id=signal.id,
        expected_version=signal.version,
        status="wont_fix",
        reason="Works as designed",
        actor=COUNCIL,
    )
    fields = [(e.action, e.field) for e in _events(journey_store, signal.id)]
    assert fields == [
        ("created", None),
        ("updated", "title"),
        ("updated", "severity"),
        ("owner", "owner_team_id"),
        ("status", "status"),
        ("status", "status"),
        ("status", "status_reason"),
    ]
    assert signal.version == 4


def test_a_failed_change_leaves_neither_row_nor_event(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    with pytest.raises(ValidationFailed):
        set_status(journey_store, signal_id=signal.id, expected_version=1, status="fixed", actor=COUNCIL)
    with pytest.raises(ValidationFailed, match="Reason"):
        set_status(journey_store, signal_id=signal.id, expected_version=1, status="wont_fix", actor=COUNCIL)
    assert len(_events(journey_store, signal.id)) == 1
    with journey_store.read() as session:
        assert session.get(Signal, signal.id).version == 1


@pytest.mark.parametrize(
    "actor, change",
    [
        (VIEWER, "log"),
        (CONTRIBUTOR, "assign"),
        (CONTRIBUTOR, "status"),
        (CONTRIBUTOR, "edit_other"),
    ],
)
def test_roles_refuse_what_they_may_not_do(journey_store, touchpoint_id, actor, change):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL)
    calls = {
        "log": lambda: create_signal(
            journey_store, signal_in=signal_input(touchpoint_id=touchpoint_id), actor=actor
        ),
        "assign": lambda: assign_owner(
            journey_store, signal_id=signal.id, expected_version=1, team_id=1, actor=actor
        ),
        "status": lambda: set_status(
            journey_store,
            signal_id=signal.id,
            expected_version=1,
            status="needs_info",
            reason="?",
            actor=actor,
        ),
        "edit_other": lambda: update_signal(
            journey_store, signal_id=signal.id, expected_version=1, changes={"title": "Hijacked"}, actor=actor
        ),
    }
    with pytest.raises(NotAllowed, match="role"):
        calls[change]()
    assert _count(journey_store, Signal) == 1
    assert _count(journey_store, Event, Event.entity == "signal") == 1


def test_contributor_may_edit_what_they_logged(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    edited = update_signal(
        journey_store, signal_id=signal.id, expected_version=1, changes={"account": "Acme"}, actor=CONTRIBUTOR
    )
    assert edited.account == "Acme" and edited.version == 2


def test_duplicate_needs_an_existing_original(journey_store, touchpoint_id):
    first = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    second = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    with pytest.raises(NotFound):
        set_status(
            journey_store,
            signal_id=second.id,
            expected_version=1,
            status="duplicate",
            duplicate_of_id=9_999,
            actor=COUNCIL,
        )
    merged = set_status(
        journey_store,
        signal_id=second.id,
        expected_version=1,
        status="duplicate",
        duplicate_of_id=first.id,
        actor=COUNCIL,
    )
    assert (merged.status, merged.duplicate_of_id) == ("duplicate", first.id)


def test_an_owned_signal_cannot_be_left_without_owner(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=CONTRIBUTOR)
    signal = assign_owner(journey_store, signal_id=signal.id, expected_version=1, team_id=1, actor=COUNCIL)
    back = assign_owner(
        journey_store, signal_id=signal.id, expected_version=signal.version, team_id=None, actor=COUNCIL
    )
    assert (back.owner_team_id, back.status) == (None, "new")  # back in the triage queue, not lost
    with journey_store.read() as session:
        assert queries.triage_count(session) == 1
