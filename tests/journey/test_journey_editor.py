"""Reshaping the journey: every edit is an event, nothing a signal points at can vanish, YAML round-trips."""

import pytest
from sqlmodel import select

from cxos.errors import NotAllowed, StaleWrite, ValidationFailed
from cxos.journey import editor
from cxos.journey.map import touchpoint_options
from cxos.journey.yaml_files import export_journey_yaml, import_journey_yaml
from cxos.models import Event, Signal, Stage, Touchpoint
from tests.conftest import ADMIN, COUNCIL
from tests.factories import log_signal


def _tp(store, touchpoint_id) -> Touchpoint:
    with store.read() as session:
        return session.get(Touchpoint, touchpoint_id)


def test_renaming_a_touchpoint_keeps_its_signals_and_writes_an_event(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id)
    editor.update_touchpoint(
        journey_store,
        touchpoint_id=touchpoint_id,
        expected_version=1,
        changes={"name": "Handoff call"},
        actor=ADMIN,
    )
    with journey_store.read() as session:
        assert session.get(Signal, signal.id).touchpoint_id == touchpoint_id
        options = {tp.id: tp.label for tp in touchpoint_options(session)}
        events = session.exec(
            select(Event).where(Event.entity == "touchpoint", Event.action == "updated")
        ).all()
    assert options[touchpoint_id].endswith("› Handoff call")
    assert [(e.field, e.to_value) for e in events] == [("name", "Handoff call")]


def test_removing_a_touchpoint_with_signals_is_refused_until_they_are_moved(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id)
    other = next(tp.id for tp in touchpoint_options_of(journey_store) if tp.id != touchpoint_id)
    with pytest.raises(ValidationFailed, match="1 signals"):
        editor.remove_touchpoint(journey_store, touchpoint_id=touchpoint_id, expected_version=1, actor=ADMIN)
    assert (
        editor.move_signals(
            journey_store, from_touchpoint_id=touchpoint_id, to_touchpoint_id=other, actor=ADMIN
        )
        == 1
    )
    editor.remove_touchpoint(journey_store, touchpoint_id=touchpoint_id, expected_version=1, actor=ADMIN)
    with journey_store.read() as session:
        moved = session.get(Signal, signal.id)
        history = session.exec(
            select(Event).where(Event.entity == "signal", Event.entity_id == signal.id)
        ).all()
        assert session.get(Touchpoint, touchpoint_id) is None
    assert (moved.touchpoint_id, moved.version) == (other, 2)
    assert history[-1].field == "touchpoint_id" and history[-1].to_value == str(other)


def touchpoint_options_of(store):
    with store.read() as session:
        return touchpoint_options(session)


def test_archiving_hides_a_touchpoint_from_pickers_but_keeps_its_signals(journey_store, touchpoint_id):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id)
    editor.archive(journey_store, entity=Touchpoint, row_id=touchpoint_id, expected_version=1, actor=ADMIN)
    assert touchpoint_id not in {tp.id for tp in touchpoint_options_of(journey_store)}
    with journey_store.read() as session:
        assert session.get(Signal, signal.id).touchpoint_id == touchpoint_id
        assert touchpoint_id in {tp.id for tp in touchpoint_options(session, include_archived=True)}
    with pytest.raises(ValidationFailed):  # no new signal on an archived touchpoint
        log_signal(journey_store, touchpoint_id=touchpoint_id)


def test_a_stage_with_active_touchpoints_cannot_be_archived(journey_store):
    with pytest.raises(ValidationFailed, match="active touchpoints"):
        editor.archive(journey_store, entity=Stage, row_id=1, expected_version=1, actor=ADMIN)


def test_reordering_swaps_neighbours_and_records_positions(journey_store):
    before = [tp.id for tp in touchpoint_options_of(journey_store) if tp.stage_id == 1]
    editor.move(
        journey_store,
        entity=Touchpoint,
        row_id=before[1],
        expected_version=1,
        direction=-1,
        neighbour=(before[0], 1),
        actor=ADMIN,
    )
    after = [tp.id for tp in touchpoint_options_of(journey_store) if tp.stage_id == 1]
    assert after == [before[1], before[0], *before[2:]]
    editor.move(  # already first: no-op
        journey_store, entity=Stage, row_id=1, expected_version=1, direction=-1, neighbour=(0, 0), actor=ADMIN
    )
    assert [tp.stage_id for tp in touchpoint_options_of(journey_store)][0] == 1


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": "  "}, "name"),
        ({"component": "vibes"}, "component"),
        ({"team_id": 999}, "team_id"),
        ({"name": "Kickoff call", "stage_id": 2}, "name"),
        ({"stage_id": 999}, "stage_id"),
        ({"version": 9}, "version"),
    ],
)
def test_touchpoint_edits_are_validated(journey_store, touchpoint_id, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        editor.update_touchpoint(
            journey_store, touchpoint_id=touchpoint_id, expected_version=1, changes=changes, actor=ADMIN
        )
    assert field in refused.value.problems


def test_only_admins_reshape_the_journey_and_stale_edits_are_refused(journey_store, touchpoint_id):
    with pytest.raises(NotAllowed):
        editor.add_stage(journey_store, name="Expand", actor=COUNCIL)
    editor.update_touchpoint(
        journey_store,
        touchpoint_id=touchpoint_id,
        expected_version=1,
        changes={"tool": "HubSpot"},
        actor=ADMIN,
    )
    with pytest.raises(StaleWrite):
        editor.update_touchpoint(
            journey_store,
            touchpoint_id=touchpoint_id,
            expected_version=1,
            changes={"tool": "Salesforce"},
            actor=ADMIN,
        )
    assert _tp(journey_store, touchpoint_id).tool == "HubSpot"


def test_new_stage_and_touchpoint_are_added_at_the_end(journey_store):
    stage = editor.add_stage(journey_store, name="Expand", actor=ADMIN)
    tp = editor.add_touchpoint(
        journey_store,
        stage_id=stage.id,
        name="QBR",
        component="customer_marketing_lifecycle",
        team_id=1,
        tool="Gainsight",
        actor=ADMIN,
    )
    assert touchpoint_options_of(journey_store)[-1].id == tp.id
    with pytest.raises(ValidationFailed, match="already"):
        editor.add_stage(journey_store, name="Expand", actor=ADMIN)


def test_yaml_export_then_import_changes_nothing_and_a_merge_adds_and_updates(journey_store):
    with journey_store.read() as session:
        text = export_journey_yaml(session)
    assert import_journey_yaml(journey_store, text=text, actor=ADMIN) == {
        "created": [],
        "updated": [],
        "kept": [],
    }
    edited = text.replace("tool: Zoom\n", "tool: Google Meet\n", 1).replace(
        "stages:\n",
        "stages:\n- name: Discover\n  touchpoints:\n  - {name: Website chat, team: Product, tool: Drift,"
        " component: intelligence_orchestration}\n",
        1,
    )
    report = import_journey_yaml(journey_store, text=edited, actor=ADMIN)
    assert report["created"] == ["stage Discover", "Discover › Website chat"]
    assert report["updated"] == ["Onboard › Kickoff call"]


def test_a_broken_journey_file_is_refused_with_where_and_why(journey_store):
    with pytest.raises(ValidationFailed) as refused:
        import_journey_yaml(
            journey_store,
            text="stages:\n- name: X\n  touchpoints:\n  - {name: Y, component: nope}\n",
            actor=ADMIN,
        )
    assert refused.value.problems["line 4"].startswith("X › Y: component must be one of")
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        import_journey_yaml(journey_store, text="stages: [\n", actor=ADMIN)
