"""The journey's stages, touchpoints, order and YAML: two admins changing them from the same copy never lose the
first change."""

import pytest
import yaml
from hypothesis import given

from cxos.journey import editor
from cxos.journey.yaml_files import export_journey_yaml, import_journey_yaml
from cxos.models import Stage, Touchpoint
from cxos.vocabulary import Component
from tests.conftest import ADMIN
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair, unique


def _stage(store) -> int:
    return editor.add_stage(store, name=unique("Stage"), actor=ADMIN).id


def _touchpoint(store) -> int:
    return editor.add_touchpoint(
        store, stage_id=_stage(store), name=unique("Touchpoint"), component=Component.ONBOARDING, actor=ADMIN
    ).id


def _get(store, model, row_id):
    with store.read() as session:
        return session.get(model, row_id)


def _version(model):
    return lambda store, row_id: _get(store, model, row_id).version


def _retool(store, touchpoint_id, actor, seen, value):
    return editor.update_touchpoint(
        store, touchpoint_id=touchpoint_id, expected_version=seen, changes={"tool": value}, actor=actor
    )


def _tool(store, touchpoint_id: int) -> str:
    return _get(store, Touchpoint, touchpoint_id).tool


def _three_touchpoints(store) -> tuple[int, int, int]:
    stage_id = _stage(store)
    return tuple(
        editor.add_touchpoint(
            store, stage_id=stage_id, name=name, component=Component.ONBOARDING, actor=ADMIN
        ).id
        for name in "abc"
    )


def _order(store, ids) -> list[str]:
    rows = [_get(store, Touchpoint, i) for i in ids]
    return [row.name for row in sorted(rows, key=lambda row: (row.position, row.id))]


def _move(store, ids, actor, seen, *, row: int, direction: int, neighbour: int):
    editor.move(
        store,
        entity=Touchpoint,
        row_id=ids[row],
        expected_version=seen[ids[row]],
        direction=direction,
        neighbour=(ids[neighbour], seen[ids[neighbour]]),
        actor=actor,
    )


def _exported_with_tool(text: str, touchpoint: Touchpoint, stage: Stage, tool: str) -> str:
    """The exported journey file, edited offline: one touchpoint's tool changed."""
    spec = yaml.safe_load(text)
    for stage_spec in spec["stages"]:
        for tp in stage_spec.get("touchpoints") or []:
            if stage_spec["name"] == stage.name and tp["name"] == touchpoint.name:
                tp["tool"] = tool
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


def _export(store, touchpoint_id):
    with store.read() as session:
        return {
            "version": _get(store, Touchpoint, touchpoint_id).version,
            "file": export_journey_yaml(session),
        }


def _import_edited(store, touchpoint_id, actor, seen, value):
    touchpoint = _get(store, Touchpoint, touchpoint_id)
    edited = _exported_with_tool(seen["file"], touchpoint, _get(store, Stage, touchpoint.stage_id), value)
    return import_journey_yaml(store, text=edited, actor=actor)


PATHS = [
    WritePath(
        service="cxos.journey.editor.update_stage",
        prepare=_stage,
        load=_version(Stage),
        save=lambda store, stage_id, actor, seen, value: editor.update_stage(
            store, stage_id=stage_id, expected_version=seen, changes={"description": value}, actor=actor
        ),
        read=lambda store, stage_id: _get(store, Stage, stage_id).description,
    ),
    WritePath(
        service="cxos.journey.editor.update_touchpoint",
        prepare=_touchpoint,
        load=_version(Touchpoint),
        save=_retool,
        read=_tool,
    ),
    WritePath(
        service="cxos.journey.editor.archive",
        prepare=_touchpoint,
        load=_version(Touchpoint),
        first_save=_retool,
        save=lambda store, touchpoint_id, actor, seen, value: editor.archive(
            store, entity=Touchpoint, row_id=touchpoint_id, expected_version=seen, actor=actor
        ),
        read=lambda store, touchpoint_id: (
            _tool(store, touchpoint_id),
            _get(store, Touchpoint, touchpoint_id).archived,
        ),
        expected=lambda value: (value, False),
    ),
    WritePath(
        service="cxos.journey.editor.remove_touchpoint",
        prepare=_touchpoint,
        load=_version(Touchpoint),
        first_save=_retool,
        save=lambda store, touchpoint_id, actor, seen, value: editor.remove_touchpoint(
            store, touchpoint_id=touchpoint_id, expected_version=seen, actor=actor
        ),
        read=_tool,
    ),
    WritePath(  # both saw a, b, c: the first moves c above b; the second's "a below b" is no longer what it saw
        service="cxos.journey.editor.move",
        prepare=_three_touchpoints,
        load=lambda store, ids: {i: _get(store, Touchpoint, i).version for i in ids},
        first_save=lambda store, ids, actor, seen, value: _move(
            store, ids, actor, seen, row=2, direction=-1, neighbour=1
        ),
        save=lambda store, ids, actor, seen, value: _move(
            store, ids, actor, seen, row=0, direction=1, neighbour=1
        ),
        read=_order,
        expected=lambda value: ["a", "c", "b"],
    ),
    WritePath(  # the file was exported, edited offline, and imported after someone changed that touchpoint
        service="cxos.journey.yaml_files.import_journey_yaml",
        prepare=_touchpoint,
        load=_export,
        first_save=lambda store, touchpoint_id, actor, seen, value: _retool(
            store, touchpoint_id, actor, seen["version"], value
        ),
        save=_import_edited,
        read=_tool,
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.service.rsplit(".", 1)[-1])
def test_the_second_of_two_admins_on_the_journey_is_refused_and_the_first_kept(journey_store, path):
    @PAIRS
    @given(writers=WRITERS, text=WORDS)
    def pair(writers, text):
        check_pair(journey_store, path, *writers, text)

    pair()


def test_a_journey_file_without_versions_is_applied_as_written(journey_store):
    touchpoint_id = _touchpoint(journey_store)
    seen = _export(journey_store, touchpoint_id)
    _retool(journey_store, touchpoint_id, ADMIN, seen["version"], "Zendesk")
    spec = yaml.safe_load(seen["file"])
    for stage_spec in spec["stages"]:
        for tp in stage_spec.get("touchpoints") or []:
            tp.pop("version", None)
    touchpoint = _get(journey_store, Touchpoint, touchpoint_id)
    text = _exported_with_tool(
        yaml.safe_dump(spec), touchpoint, _get(journey_store, Stage, touchpoint.stage_id), "Intercom"
    )
    import_journey_yaml(journey_store, text=text, actor=ADMIN)
    assert _tool(journey_store, touchpoint_id) == "Intercom"
