"""Failure-mode services and live figures on SQLite and PostgreSQL: no signal is ever lost, every change has its event."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from cxos.clock import utcnow
from cxos.errors import NotAllowed, StaleWrite, ValidationFailed
from cxos.failure_modes.figures import failure_mode_figures
from cxos.failure_modes.writes import (
    accept_failure_mode,
    create_failure_mode,
    link_signals,
    merge_failure_modes,
    split_failure_mode,
    unlink_signals,
    update_failure_mode,
)
from cxos.identity import Actor
from cxos.journey.map import teams
from cxos.models import Event, FailureMode, Fix, Signal
from cxos.vocabulary import Role
from tests.conftest import CONTRIBUTOR, COUNCIL
from tests.factories import as_seen, log_signal, routed_signal


def _team(store, name: str = "Engineering") -> int:
    with store.read() as session:
        return next(team.id for team in teams(session) if team.name == name)


@pytest.fixture
def engineering(journey_store) -> int:
    """The team signals are routed to here: a failure mode is made of owned signals."""
    return _team(journey_store)


def _signal(store, signal_id: int) -> Signal:
    with store.read() as session:
        return session.get(Signal, signal_id)


def _mode(store, mode_id: int) -> FailureMode:
    with store.read() as session:
        return session.get(FailureMode, mode_id)


def _events(store, entity: str, entity_id: int) -> list[Event]:
    with store.read() as session:
        return list(
            session.exec(
                select(Event).where(Event.entity == entity, Event.entity_id == entity_id).order_by(Event.id)
            )
        )


def _members(store, mode_id: int) -> set[int]:
    with store.read() as session:
        return set(session.exec(select(Signal.id).where(Signal.failure_mode_id == mode_id)))


def _signal_count(store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(Signal)).one()


def test_linking_moves_an_owned_signal_to_linked_and_leaves_a_triage_signal_where_it_is(
    journey_store, touchpoint_id, engineering
):
    routed = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id
    in_triage = log_signal(journey_store, touchpoint_id=touchpoint_id).id
    mode = create_failure_mode(
        journey_store,
        name="SCIM skips users",
        signals_seen=as_seen(journey_store, [routed, in_triage]),
        actor=COUNCIL,
        status="accepted",
        root_cause="Unclear product behaviour",
    )
    assert (_signal(journey_store, routed).status, _signal(journey_store, in_triage).status) == (
        "linked",
        "new",
    )
    assert _signal(journey_store, in_triage).owner_team_id is None  # still in the triage queue, visible
    assert _members(journey_store, mode.id) == {routed, in_triage}
    linked = [
        (e.action, e.field, e.to_value)
        for e in _events(journey_store, "signal", routed)
        if e.action == "linked"
    ]
    assert linked == [
        ("linked", "failure_mode_id", str(mode.id)),
        ("linked", "status", "linked"),
        ("linked", "root_cause", "Unclear product behaviour"),
    ]
    assert [e.action for e in _events(journey_store, "failure_mode", mode.id)] == ["created"]


def test_only_the_council_changes_failure_modes(journey_store, touchpoint_id, engineering):
    with pytest.raises(NotAllowed):
        create_failure_mode(
            journey_store,
            name="Mine",
            signals_seen=as_seen(
                journey_store,
                [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id],
            ),
            actor=CONTRIBUTOR,
        )


def test_accepting_a_candidate_records_it(journey_store, touchpoint_id, engineering):
    mode = create_failure_mode(
        journey_store,
        name="SCIM",
        signals_seen=as_seen(
            journey_store, [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id]
        ),
        actor=COUNCIL,
    )
    accepted = accept_failure_mode(journey_store, failure_mode_id=mode.id, expected_version=1, actor=COUNCIL)
    assert (accepted.status, accepted.version) == ("accepted", 2)
    assert [(e.action, e.to_value) for e in _events(journey_store, "failure_mode", mode.id)][-1] == (
        "accepted",
        "accepted",
    )


def test_rename_owner_layer_and_cause_are_saved_with_one_event_each(
    journey_store, touchpoint_id, engineering
):
    mode = create_failure_mode(
        journey_store,
        name="SCIM",
        signals_seen=as_seen(
            journey_store, [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id]
        ),
        actor=COUNCIL,
    )
    update_failure_mode(
        journey_store,
        failure_mode_id=mode.id,
        expected_version=1,
        actor=COUNCIL,
        changes={
            "name": "  SCIM provisioning skips alias domains ",
            "owner_team_id": _team(journey_store),
            "root_cause": "Unclear product behaviour",
            "upstream_cause": "SCIM ignores secondary domains.",
        },
    )
    stored = _mode(journey_store, mode.id)
    assert (stored.name, stored.root_cause, stored.version) == (
        "SCIM provisioning skips alias domains",
        "Unclear product behaviour",
        2,
    )
    fields = [e.field for e in _events(journey_store, "failure_mode", mode.id) if e.action == "updated"]
    assert fields == ["name", "owner_team_id", "root_cause", "upstream_cause"]


def test_renaming_a_stale_copy_is_refused_and_logged(journey_store, touchpoint_id, engineering):
    mode = create_failure_mode(
        journey_store,
        name="SCIM",
        signals_seen=as_seen(
            journey_store, [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id]
        ),
        actor=COUNCIL,
    )
    update_failure_mode(
        journey_store, failure_mode_id=mode.id, expected_version=1, changes={"name": "First"}, actor=COUNCIL
    )
    with pytest.raises(StaleWrite):
        update_failure_mode(
            journey_store,
            failure_mode_id=mode.id,
            expected_version=1,
            changes={"name": "Second"},
            actor=COUNCIL,
        )
    assert _mode(journey_store, mode.id).name == "First"
    assert _events(journey_store, "failure_mode", mode.id)[-1].action == "refused"


def test_unknown_root_cause_layer_empty_name_and_missing_team_are_refused(
    journey_store, touchpoint_id, engineering
):
    mode = create_failure_mode(
        journey_store,
        name="SCIM",
        signals_seen=as_seen(
            journey_store, [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id]
        ),
        actor=COUNCIL,
    )
    with pytest.raises(ValidationFailed) as refused:
        update_failure_mode(
            journey_store,
            failure_mode_id=mode.id,
            expected_version=1,
            actor=COUNCIL,
            changes={"name": " ", "root_cause": "Bad luck", "owner_team_id": 9_999},
        )
    assert set(refused.value.problems) == {"name", "root_cause", "owner_team_id"}
    assert _mode(journey_store, mode.id).version == 1


def test_merging_moves_every_signal_with_an_event_and_keeps_the_merged_mode(
    journey_store, touchpoint_id, engineering
):
    source = create_failure_mode(
        journey_store,
        name="A",
        actor=COUNCIL,
        status="accepted",
        signals_seen=as_seen(
            journey_store,
            [
                routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id
                for _ in range(3)
            ],
        ),
    )
    target = create_failure_mode(
        journey_store,
        name="B",
        actor=COUNCIL,
        status="accepted",
        signals_seen=as_seen(
            journey_store,
            [
                routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id
                for _ in range(2)
            ],
        ),
    )
    moved, kept = _members(journey_store, source.id), _members(journey_store, target.id)
    total = _signal_count(journey_store)
    merge_failure_modes(
        journey_store,
        source_id=source.id,
        source_version=1,
        target_id=target.id,
        target_version=target.version,
        actor=COUNCIL,
    )
    assert _members(journey_store, target.id) == moved | kept
    assert _members(journey_store, source.id) == set() and _signal_count(journey_store) == total
    merged = _mode(journey_store, source.id)
    assert (merged.status, merged.merged_into_id) == ("merged", target.id)
    for signal_id in moved:
        last = [e for e in _events(journey_store, "signal", signal_id) if e.field == "failure_mode_id"][-1]
        assert (last.from_value, last.to_value) == (str(source.id), str(target.id))
    assert _events(journey_store, "failure_mode", target.id)[-1].action == "merged"


def test_a_merged_failure_mode_cannot_be_merged_again_or_renamed(journey_store, touchpoint_id, engineering):
    source = create_failure_mode(
        journey_store,
        name="A",
        actor=COUNCIL,
        signals_seen=as_seen(
            journey_store, [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id]
        ),
    )
    target = create_failure_mode(
        journey_store,
        name="B",
        actor=COUNCIL,
        signals_seen=as_seen(
            journey_store, [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id]
        ),
    )
    merged = merge_failure_modes(
        journey_store,
        source_id=source.id,
        source_version=1,
        target_id=target.id,
        target_version=target.version,
        actor=COUNCIL,
    )
    with pytest.raises(ValidationFailed):
        merge_failure_modes(
            journey_store,
            source_id=target.id,
            source_version=merged.version,
            target_id=source.id,
            target_version=_mode(journey_store, source.id).version,
            actor=COUNCIL,
        )
    with pytest.raises(ValidationFailed):
        update_failure_mode(
            journey_store, failure_mode_id=source.id, expected_version=2, changes={"name": "C"}, actor=COUNCIL
        )


def test_splitting_moves_the_chosen_signals_into_a_new_mode_and_loses_none(
    journey_store, touchpoint_id, engineering
):
    signal_ids = [
        routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id for _ in range(4)
    ]
    origin = create_failure_mode(
        journey_store,
        name="Import fails",
        actor=COUNCIL,
        status="accepted",
        signals_seen=as_seen(journey_store, signal_ids),
        owner_team_id=_team(journey_store),
    )
    new = split_failure_mode(
        journey_store,
        failure_mode_id=origin.id,
        expected_version=1,
        signal_ids=signal_ids[:2],
        name="Dates swapped after import",
        actor=COUNCIL,
    )
    assert _members(journey_store, new.id) == set(signal_ids[:2])
    assert _members(journey_store, origin.id) == set(signal_ids[2:])
    assert (new.status, new.owner_team_id) == ("accepted", _team(journey_store))
    assert _mode(journey_store, origin.id).version == 2  # an open copy of the origin is now stale
    assert [e.action for e in _events(journey_store, "failure_mode", origin.id)][-1] == "split"
    assert all(_signal(journey_store, s).status == "linked" for s in signal_ids)


def test_splitting_signals_of_another_mode_is_refused(journey_store, touchpoint_id, engineering):
    origin = create_failure_mode(
        journey_store,
        name="A",
        actor=COUNCIL,
        signals_seen=as_seen(
            journey_store, [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id]
        ),
    )
    stranger = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id
    with pytest.raises(ValidationFailed):
        split_failure_mode(
            journey_store,
            failure_mode_id=origin.id,
            expected_version=1,
            signal_ids=[stranger],
            name="B",
            actor=COUNCIL,
        )
    assert _signal(journey_store, stranger).failure_mode_id is None


def test_unlinking_sends_a_linked_signal_back_to_its_owner_as_routed(
    journey_store, touchpoint_id, engineering
):
    signal_id = routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id
    mode = create_failure_mode(
        journey_store, name="A", actor=COUNCIL, signals_seen=as_seen(journey_store, [signal_id])
    )
    assert unlink_signals(journey_store, signals_seen=as_seen(journey_store, [signal_id]), actor=COUNCIL) == 1
    signal = _signal(journey_store, signal_id)
    assert (signal.failure_mode_id, signal.status, signal.owner_team_id) == (
        None,
        "routed",
        _team(journey_store),
    )
    assert (
        link_signals(
            journey_store,
            failure_mode_id=mode.id,
            signals_seen=as_seen(journey_store, [signal_id]),
            actor=COUNCIL,
        )
        == 1
    )
    assert _signal(journey_store, signal_id).status == "linked"


def test_live_figures_count_signals_accounts_arr_and_weeks(journey_store, touchpoint_id, engineering):
    now = utcnow()
    spec = [
        ("Acme", 100_000, 1),
        ("Acme", 150_000, 3),
        ("Globex", 50_000, 10),
        (None, None, 20),
        ("Acme", 120_000, 100),
    ]
    ids = [
        routed_signal(
            journey_store, touchpoint_id=touchpoint_id, team_id=engineering, account=account, arr=arr
        ).id
        for account, arr, _ in spec
    ]
    with journey_store.write() as session:  # back-date them: 1, 3, 10, 20 and 100 days ago
        for signal_id, (_, _, days) in zip(ids, spec, strict=True):
            session.get(Signal, signal_id).created_at = now - timedelta(days=days)
    mode = create_failure_mode(
        journey_store, name="A", actor=COUNCIL, status="accepted", signals_seen=as_seen(journey_store, ids)
    )
    with journey_store.write() as session:
        session.add(Fix(failure_mode_id=mode.id, title="Secondary domains provisioned", status="shipped"))
    with journey_store.read() as session:
        (figures,) = failure_mode_figures(session, now=now)
    assert (figures.signals, figures.accounts, figures.arr) == (5, 2, 150_000 + 50_000)
    assert figures.first_seen == now - timedelta(days=100) and figures.last_seen == now - timedelta(days=1)
    assert figures.weekly == (0,) * 9 + (1, 1, 2)  # 20 days ago: week -3; 10: week -2; 1 and 3: this week
    assert (figures.recurrence, figures.priority) == (4, 4 * 200_000)
    assert (figures.fix_title, figures.fix_status) == ("Secondary domains provisioned", "shipped")


def test_failure_modes_are_ranked_by_recurrence_times_arr(journey_store, touchpoint_id, engineering):
    small = create_failure_mode(
        journey_store,
        name="Small",
        actor=COUNCIL,
        status="accepted",
        signals_seen=as_seen(
            journey_store,
            [
                routed_signal(
                    journey_store, touchpoint_id=touchpoint_id, team_id=engineering, account="A", arr=1_000
                ).id
                for _ in range(5)
            ],
        ),
    )
    large = create_failure_mode(
        journey_store,
        name="Large",
        actor=COUNCIL,
        status="accepted",
        signals_seen=as_seen(
            journey_store,
            [
                routed_signal(
                    journey_store, touchpoint_id=touchpoint_id, team_id=engineering, account="B", arr=90_000
                ).id
            ],
        ),
    )
    with journey_store.read() as session:
        ranked = [f.id for f in failure_mode_figures(session, now=utcnow() + timedelta(seconds=1))]
    assert ranked == [large.id, small.id]


def test_a_merge_into_a_target_renamed_since_it_was_seen_is_refused_and_moves_nothing(
    journey_store, touchpoint_id, engineering
):
    source, target = (
        create_failure_mode(
            journey_store,
            name=name,
            actor=COUNCIL,
            signals_seen=as_seen(
                journey_store,
                [routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=engineering).id],
            ),
        )
        for name in ("Exports time out", "Exports are slow")
    )
    renamed = update_failure_mode(
        journey_store,
        failure_mode_id=target.id,
        expected_version=target.version,
        changes={"name": "SSO redirect loop"},
        actor=Actor("Marco Rossi", Role.COUNCIL),
    )
    moved = _members(journey_store, source.id)
    with pytest.raises(StaleWrite, match="changed by"):
        merge_failure_modes(
            journey_store,
            source_id=source.id,
            source_version=source.version,
            target_id=target.id,
            target_version=target.version,  # as it was on screen, before the rename
            actor=COUNCIL,
        )
    assert (
        _members(journey_store, source.id) == moved and _mode(journey_store, source.id).status == "candidate"
    )
    assert renamed.version == target.version + 1
