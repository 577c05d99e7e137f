"""The journey editor (admins): stages and touchpoints added, renamed, reordered, archived; signals moved; YAML."""

from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlmodel import select

from components.common.data import Journey, get_store
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version
from components.common.writes import run_write
from cxos.inputs import text_file
from cxos.journey import editor
from cxos.journey.map import signals_per_touchpoint
from cxos.journey.yaml_files import export_journey_yaml, import_journey_yaml
from cxos.models import Stage, Touchpoint
from cxos.vocabulary import COMPONENT_LABELS, Component, plural

NO_TEAM = 0


def journey_editor(ctx: PageContext) -> None:
    journey = ctx.journey
    with ctx.store.read() as session:
        stages = {s.id: s for s in session.exec(select(Stage).order_by(Stage.position, Stage.id))}
        touchpoints = {
            t.id: t
            for t in session.exec(select(Touchpoint).order_by(Touchpoint.stage_id, Touchpoint.position))
        }
        signal_counts = signals_per_touchpoint(session)
    stage_panel, touchpoint_panel = st.columns(2, gap="large")
    with stage_panel, st.container(border=True):
        _stage_editor(ctx, stages)
    with touchpoint_panel, st.container(border=True):
        _touchpoint_editor(ctx, journey, stages, touchpoints, signal_counts)
    with st.container(border=True):
        _yaml_panel(ctx)


def _stage_editor(ctx: PageContext, stages: dict[int, Any]) -> None:
    st.markdown("#### Stages")
    stage_id = st.selectbox(
        "Stage",
        list(stages),
        key="edit_stage_pick",
        format_func=lambda i: stages[i].name + (" (archived)" if stages[i].archived else ""),
    )
    if stage_id is not None:
        stage = stages[stage_id]
        seen = _seen("stage", stage)
        with st.form(f"stage_form_{stage_id}"):
            name = st.text_input("Name", stage.name, max_chars=editor.NAME_MAX)
            description = st.text_input("Description", stage.description)
            if st.form_submit_button("Save stage"):
                _do(
                    lambda: editor.update_stage(
                        ctx.store,
                        stage_id=stage_id,
                        expected_version=seen,
                        changes={"name": name, "description": description},
                        actor=ctx.actor,
                    )
                )
        left, right, hide = st.columns(3)
        before, after = _neighbours("stage", stage, [s for s in stages.values() if not s.archived])
        if left.button("◀ Move left", key=f"stage_left_{stage_id}", width="stretch", disabled=before is None):
            _do(lambda: _move(ctx, Stage, stage_id, seen, -1, before))
        if right.button(
            "Move right ▶", key=f"stage_right_{stage_id}", width="stretch", disabled=after is None
        ):
            _do(lambda: _move(ctx, Stage, stage_id, seen, 1, after))
        if hide.button(
            "Restore" if stage.archived else "Archive", key=f"stage_archive_{stage_id}", width="stretch"
        ):
            _do(
                lambda: editor.archive(
                    ctx.store,
                    entity=Stage,
                    row_id=stage_id,
                    expected_version=seen,
                    actor=ctx.actor,
                    archived=not stage.archived,
                )
            )
    with st.form("add_stage", clear_on_submit=True):
        name = st.text_input("New stage", max_chars=editor.NAME_MAX, placeholder="e.g. Expand")
        if st.form_submit_button("Add stage"):
            _do(lambda: editor.add_stage(ctx.store, name=name, actor=ctx.actor))


def _touchpoint_editor(
    ctx: PageContext,
    journey: Journey,
    stages: dict[int, Any],
    touchpoints: dict[int, Any],
    signal_counts: dict[int, int],
) -> None:
    st.markdown("#### Touchpoints")
    active_stages = [i for i, s in stages.items() if not s.archived]
    teams = [NO_TEAM, *(team_id for team_id, _ in journey.teams)]
    team_name = lambda t: "— no owner" if t == NO_TEAM else journey.team_name(t)  # noqa: E731
    tp_id = st.selectbox(
        "Touchpoint",
        list(touchpoints),
        key="edit_tp_pick",
        format_func=lambda i: (
            f"{stages[touchpoints[i].stage_id].name} › {touchpoints[i].name}"
            + (" (archived)" if touchpoints[i].archived else "")
        ),
    )
    if tp_id is not None:
        tp = touchpoints[tp_id]
        seen = _seen("touchpoint", tp)
        count = signal_counts.get(tp_id, 0)
        st.caption(f"{plural(count, 'signal')} logged here.")
        with st.form(f"tp_form_{tp_id}"):
            name = st.text_input("Name", tp.name, max_chars=editor.NAME_MAX)
            stage = st.selectbox(
                "Stage",
                active_stages,
                index=active_stages.index(tp.stage_id) if tp.stage_id in active_stages else 0,
                format_func=lambda i: stages[i].name,
            )
            team = st.selectbox(
                "Owning team", teams, index=teams.index(tp.team_id or NO_TEAM), format_func=team_name
            )
            tool = st.text_input("Tool", tp.tool, max_chars=editor.NAME_MAX)
            component = st.selectbox(
                "Component",
                list(Component),
                index=list(Component).index(Component(tp.component)),
                format_func=COMPONENT_LABELS.get,
            )
            if st.form_submit_button("Save touchpoint"):
                _do(
                    lambda: editor.update_touchpoint(
                        ctx.store,
                        touchpoint_id=tp_id,
                        expected_version=seen,
                        changes={
                            "name": name,
                            "stage_id": stage,
                            "team_id": team or None,
                            "tool": tool,
                            "component": component,
                        },
                        actor=ctx.actor,
                    )
                )
        up, down, hide, remove = st.columns(4)
        siblings = [t for t in touchpoints.values() if t.stage_id == tp.stage_id and not t.archived]
        before, after = _neighbours("touchpoint", tp, siblings)
        if up.button("▲ Up", key=f"tp_up_{tp_id}", width="stretch", disabled=before is None):
            _do(lambda: _move(ctx, Touchpoint, tp_id, seen, -1, before))
        if down.button("▼ Down", key=f"tp_down_{tp_id}", width="stretch", disabled=after is None):
            _do(lambda: _move(ctx, Touchpoint, tp_id, seen, 1, after))
        if hide.button(
            "Restore" if tp.archived else "Archive",
            key=f"tp_archive_{tp_id}",
            width="stretch",
            help="Hidden from the map and the pickers; its signals and history stay.",
        ):
            _do(
                lambda: editor.archive(
                    ctx.store,
                    entity=Touchpoint,
                    row_id=tp_id,
                    expected_version=seen,
                    actor=ctx.actor,
                    archived=not tp.archived,
                )
            )
        if remove.button(
            "Remove",
            key=f"tp_remove_{tp_id}",
            width="stretch",
            help="Only a touchpoint without signals can be removed; move its signals first.",
        ):
            _do(
                lambda: editor.remove_touchpoint(
                    ctx.store, touchpoint_id=tp_id, expected_version=seen, actor=ctx.actor
                )
            )
        if count:
            targets = [i for i, t in touchpoints.items() if i != tp_id and not t.archived]
            with st.form(f"move_signals_{tp_id}"):
                target = st.selectbox(
                    f"Move its {plural(count, 'signal')} to",
                    targets,
                    format_func=lambda i: f"{stages[touchpoints[i].stage_id].name} › {touchpoints[i].name}",
                )
                if st.form_submit_button("Move signals"):
                    _do(
                        lambda: editor.move_signals(
                            ctx.store, from_touchpoint_id=tp_id, to_touchpoint_id=target, actor=ctx.actor
                        )
                    )
    with st.form("add_touchpoint", clear_on_submit=True):
        st.markdown("**New touchpoint**")
        stage = st.selectbox("In stage", active_stages, format_func=lambda i: stages[i].name)
        name = st.text_input("Name", max_chars=editor.NAME_MAX, key="new_tp_name")
        team = st.selectbox("Owning team", teams, format_func=team_name, key="new_tp_team")
        tool = st.text_input("Tool", max_chars=editor.NAME_MAX, key="new_tp_tool")
        component = st.selectbox(
            "Component", list(Component), format_func=COMPONENT_LABELS.get, key="new_tp_component"
        )
        if st.form_submit_button("Add touchpoint"):
            _do(
                lambda: editor.add_touchpoint(
                    ctx.store,
                    stage_id=stage,
                    name=name,
                    component=component,
                    team_id=team or None,
                    tool=tool,
                    actor=ctx.actor,
                )
            )


def _yaml_panel(ctx: PageContext) -> None:
    st.markdown("#### Import and export")

    def journey_yaml() -> str:  # built on click, not on every rerun of the editor
        with ctx.store.read() as session:
            return export_journey_yaml(session)

    st.download_button(
        "Download the journey as YAML",
        journey_yaml,
        file_name="journey.yaml",
        mime="application/x-yaml",
        icon=":material/download:",
    )
    upload = st.file_uploader(
        "Import a journey file (merged: new stages and touchpoints are added, known ones "
        "updated, none removed)",
        type=["yaml", "yml"],
    )
    if upload is not None and st.button("Import", type="primary"):
        report = run_write(
            lambda: import_journey_yaml(
                get_store(), text=text_file(upload.getvalue(), name=upload.name), actor=ctx.actor
            ),
            done=lambda report: (
                f"Imported: {len(report['created'])} created, {len(report['updated'])} updated, "
                f"{len(report['kept'])} kept as they were."
            ),
            show="inline",  # the lists below stay on screen
            rows=[("stage", None), ("touchpoint", None)],
        )
        if report is None:
            return
        for kind in ("created", "updated", "kept"):
            if report[kind]:
                st.caption(f"{kind.capitalize()}: " + md_escape(", ".join(report[kind])))


def _seen(kind: str, row: Any) -> int:
    """The version this admin opened; a change someone else made meanwhile makes the save refused."""
    return seen_version(kind, row.id, row.version)


Neighbour = tuple[int, int]  # (id, version seen) of the row shown next to the one being moved


def _neighbours(kind: str, row: Any, siblings: list[Any]) -> tuple[Neighbour | None, Neighbour | None]:
    """The rows shown before and after `row`, in the service's order, at the versions first seen here."""
    ordered = sorted(siblings, key=lambda s: (s.position, s.id))
    ids = [s.id for s in ordered]
    if row.id not in ids:  # archived: it has no place in the order
        return None, None
    at = ids.index(row.id)
    before = ordered[at - 1] if at > 0 else None
    after = ordered[at + 1] if at + 1 < len(ordered) else None
    return _shown(kind, before), _shown(kind, after)


def _shown(kind: str, row: Any | None) -> Neighbour | None:
    return None if row is None else (row.id, _seen(kind, row))


def _move(
    ctx: PageContext, entity: Any, row_id: int, seen: int, direction: int, neighbour: Neighbour | None
) -> None:
    if neighbour is None:  # the button is disabled then
        return
    editor.move(
        ctx.store,
        entity=entity,
        row_id=row_id,
        expected_version=seen,
        direction=direction,
        neighbour=neighbour,
        actor=ctx.actor,
    )


def _do(change: Callable[[], Any]) -> None:
    # A move renumbers its neighbours too: after any change of ours, every row is seen as it is now.
    run_write(change, rows=[("stage", None), ("touchpoint", None)])
