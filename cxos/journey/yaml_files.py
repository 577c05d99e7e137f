"""The journey as YAML: exported as it stands, imported by merging (new stages and touchpoints are added,
known ones updated, none removed)."""

from typing import Any

import yaml
from sqlmodel import Session, col, select

from cxos.identity import Actor, require
from cxos.journey.map import parse_spec
from cxos.models import RootCauseLayer, Stage, Team, Touchpoint, saved_id
from cxos.store.audit import apply_changes, record_event
from cxos.store.store import Store


def export_journey_yaml(session: Session) -> str:
    teams = {team.id: team for team in session.exec(select(Team).order_by(Team.name))}
    layers = session.exec(
        select(col(RootCauseLayer.name))
        .where(RootCauseLayer.archived == False)  # noqa: E712
        .order_by(col(RootCauseLayer.position))
    )
    stages = []
    for stage in session.exec(select(Stage).order_by(col(Stage.position), col(Stage.id))):
        touchpoints = []
        for tp in session.exec(
            select(Touchpoint)
            .where(Touchpoint.stage_id == stage.id)
            .order_by(col(Touchpoint.position), col(Touchpoint.id))
        ):
            entry: dict[str, Any] = {
                "name": tp.name,
                "team": teams[tp.team_id].name if tp.team_id else None,
                "tool": tp.tool,
                "component": tp.component,
            }
            if tp.archived:
                entry["archived"] = True
            touchpoints.append(entry)
        entry = {"name": stage.name, "description": stage.description, "touchpoints": touchpoints}
        if stage.archived:
            entry["archived"] = True
        stages.append(entry)
    spec = {
        "teams": [{"name": t.name, "description": t.description} for t in teams.values() if not t.archived],
        "root_cause_layers": list(layers),
        "stages": stages,
    }
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120)


def import_journey_yaml(store: Store, *, text: str, actor: Actor) -> dict[str, list[str]]:
    """Merge a journey file into the store; returns what was created, updated and kept untouched."""
    require(actor, "manage_journey")
    spec = parse_spec(text)
    report: dict[str, list[str]] = {"created": [], "updated": [], "kept": []}
    with store.write() as session:
        teams = {team.name: team for team in session.exec(select(Team))}
        for team_spec in spec["teams"]:
            if team_spec["name"] not in teams:
                team = Team(
                    name=team_spec["name"],
                    description=team_spec.get("description") or "",
                    created_by=actor.name,
                    updated_by=actor.name,
                )
                session.add(team)
                session.flush()
                record_event(
                    session,
                    actor=actor,
                    entity="team",
                    entity_id=saved_id(team),
                    action="created",
                    to_value=team.name,
                )
                teams[team.name] = team
                report["created"].append(f"team {team.name}")
        stages = {stage.name: stage for stage in session.exec(select(Stage))}
        seen: set[tuple[str, str]] = set()
        for stage_spec in spec["stages"]:
            stage = stages.get(stage_spec["name"]) or _new_stage(
                session, stage_spec, len(stages), actor, report
            )
            stages[stage.name] = stage
            existing = {
                tp.name: tp for tp in session.exec(select(Touchpoint).where(Touchpoint.stage_id == stage.id))
            }
            for position, tp_spec in enumerate(stage_spec.get("touchpoints") or []):
                seen.add((stage.name, tp_spec["name"]))
                wanted = {
                    "component": tp_spec["component"],
                    "tool": tp_spec.get("tool") or "",
                    "team_id": teams[tp_spec["team"]].id if tp_spec.get("team") else None,
                }
                touchpoint = existing.get(tp_spec["name"])
                if touchpoint is None:
                    touchpoint = Touchpoint(
                        stage_id=saved_id(stage),
                        name=tp_spec["name"],
                        position=len(existing) + position,
                        created_by=actor.name,
                        updated_by=actor.name,
                        **wanted,
                    )
                    session.add(touchpoint)
                    session.flush()
                    record_event(
                        session,
                        actor=actor,
                        entity="touchpoint",
                        entity_id=saved_id(touchpoint),
                        action="created",
                        to_value=touchpoint.name,
                    )
                    report["created"].append(f"{stage.name} › {touchpoint.name}")
                elif apply_changes(session, touchpoint, actor, wanted):
                    report["updated"].append(f"{stage.name} › {touchpoint.name}")
        for stage in stages.values():
            for tp in session.exec(select(Touchpoint).where(Touchpoint.stage_id == stage.id)):
                if (stage.name, tp.name) not in seen and not tp.archived:
                    report["kept"].append(f"{stage.name} › {tp.name}")
    return report


def _new_stage(
    session: Session, stage_spec: dict[str, Any], position: int, actor: Actor, report: dict[str, list[str]]
) -> Stage:
    stage = Stage(
        name=stage_spec["name"],
        description=stage_spec.get("description") or "",
        position=position,
        created_by=actor.name,
        updated_by=actor.name,
    )
    session.add(stage)
    session.flush()
    record_event(
        session, actor=actor, entity="stage", entity_id=saved_id(stage), action="created", to_value=stage.name
    )
    report["created"].append(f"stage {stage.name}")
    return stage
