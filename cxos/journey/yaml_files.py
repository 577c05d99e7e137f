"""The journey as YAML: exported as it stands, imported by merging (new stages and touchpoints are added,
known ones updated, none removed).

An exported touchpoint carries its `version`: a file edited offline and imported after someone changed that
touchpoint in the app is refused, naming who, instead of overwriting their change. A touchpoint written
without a version (a hand-made file, the template) states the journey as the admin wants it, and is applied.
"""

from typing import Any

import yaml
from sqlmodel import Session, col, select

from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import storable_name, storable_text
from cxos.journey.map import parse_spec
from cxos.models import RootCauseLayer, Stage, Team, Touchpoint, saved_id
from cxos.store.audit import add_created, apply_changes, check_version, versioned_write
from cxos.store.store import Store
from cxos.vocabulary import EventEntity


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
                "version": tp.version,
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
    spec = storable_spec(parse_spec(text))
    report: dict[str, list[str]] = {"created": [], "updated": [], "kept": []}
    with versioned_write(store, actor) as session:
        teams = {team.name: team for team in session.exec(select(Team))}
        for team_spec in spec["teams"]:
            if team_spec["name"] not in teams:
                team = Team(
                    name=team_spec["name"],
                    description=team_spec.get("description") or "",
                    created_by=actor.name,
                    updated_by=actor.name,
                )
                add_created(
                    session,
                    team,
                    actor=actor,
                    entity=EventEntity.TEAM,
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
                    add_created(
                        session,
                        touchpoint,
                        actor=actor,
                        entity=EventEntity.TOUCHPOINT,
                        to_value=touchpoint.name,
                    )
                    report["created"].append(f"{stage.name} › {touchpoint.name}")
                else:
                    if tp_spec.get("version") is not None and any(
                        getattr(touchpoint, field) != value for field, value in wanted.items()
                    ):
                        check_version(touchpoint, _version(tp_spec["version"], stage.name, tp_spec["name"]))
                    if apply_changes(session, touchpoint, actor, wanted):
                        report["updated"].append(f"{stage.name} › {touchpoint.name}")
        for stage in stages.values():
            for tp in session.exec(select(Touchpoint).where(Touchpoint.stage_id == stage.id)):
                if (stage.name, tp.name) not in seen and not tp.archived:
                    report["kept"].append(f"{stage.name} › {tp.name}")
    return report


def _version(value: Any, stage: str, touchpoint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed({f"{stage} › {touchpoint}": "version must be a whole number, as exported"})
    return value


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
    add_created(
        session,
        stage,
        actor=actor,
        entity=EventEntity.STAGE,
        to_value=stage.name,
    )
    report["created"].append(f"stage {stage.name}")
    return stage


def storable_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The journey file's text as the databases can store it: descriptions and tools cleaned, names refused.

    YAML escapes ("\\0", "\\ud800") can write a NUL or half a character pair that no database stores. Names
    (teams, stages, touchpoints, a touchpoint's team) are what the import merges by: one that cannot be
    stored is refused with its place, and nothing is written (see cxos.inputs for why each is treated so).
    """
    problems: dict[str, str] = {}

    def name(holder: dict[str, Any], key: str, where: str) -> None:
        value = holder.get(key)
        if not isinstance(value, str):
            return
        try:
            holder[key] = storable_name(value)
        except ValueError as refused:
            problems[where] = f"{key} {refused}"
            return
        if value and not holder[key]:
            problems[where] = f"{key} holds nothing but NUL characters"

    def text(holder: dict[str, Any], key: str) -> None:
        if isinstance(holder.get(key), str):
            holder[key] = storable_text(holder[key])

    for team in spec["teams"]:
        name(team, "name", f"team {storable_text(str(team.get('name')))}")
        text(team, "description")
    for stage in spec["stages"]:
        stage_label = storable_text(str(stage.get("name")))
        name(stage, "name", f"stage {stage_label}")
        text(stage, "description")
        for tp in stage.get("touchpoints") or []:
            where = f"{stage_label} › {storable_text(str(tp.get('name')))}"
            name(tp, "name", where)
            name(tp, "team", f"{where} (team)")
            text(tp, "tool")
    if problems:
        raise ValidationFailed(problems)
    return spec
