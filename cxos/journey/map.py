"""The journey map: loading a journey (teams, stages, touchpoints, root-cause layers) from YAML, and reading it."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func
from sqlmodel import Session, col, select

from cxos import config
from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.models import RootCauseLayer, Signal, Stage, Team, Touchpoint, saved_id
from cxos.store.audit import add_created, record_event
from cxos.store.store import Store
from cxos.vocabulary import DEFAULT_ROOT_CAUSE_LAYERS, Component, EventAction, EventEntity
from cxos.yaml_input import Document, flag_field, line, mapping, sequence, text_field, version_field


@dataclass(frozen=True)
class TouchpointOption:
    """A touchpoint as pickers and filters show it."""

    id: int
    name: str
    stage_id: int
    stage: str
    component: str
    team_id: int | None
    team: str | None
    archived: bool = False
    tool: str = ""

    @property
    def label(self) -> str:
        return f"{self.stage} › {self.name}"


def journey_is_empty(store: Store) -> bool:
    with store.read() as session:
        return session.exec(select(Stage.id).limit(1)).first() is None


def load_journey_template(store: Store, *, actor: Actor, path: Path | None = None) -> dict[str, int]:
    """Create the teams, layers, stages and touchpoints of a journey file in an empty store."""
    require(actor, "manage_journey")
    spec = parse_spec((path or config.JOURNEY_TEMPLATE).read_text(encoding="utf-8"))
    with store.write() as session:
        if session.exec(select(Stage.id).limit(1)).first() is not None:
            raise ValidationFailed({"journey": "this store already has a journey; edit it instead"})
        teams = {}
        for team_spec in spec["teams"]:
            team = Team(
                name=team_spec["name"],
                description=team_spec.get("description", ""),
                created_by=actor.name,
                updated_by=actor.name,
            )
            session.add(team)
            session.flush()
            teams[team.name] = team.id
            record_event(
                session,
                actor=actor,
                entity=EventEntity.TEAM,
                entity_id=saved_id(team),
                action=EventAction.CREATED,
                to_value=team.name,
            )
        for position, name in enumerate(spec.get("root_cause_layers") or DEFAULT_ROOT_CAUSE_LAYERS):
            session.add(RootCauseLayer(name=name, position=position))
        count = 0
        for stage_position, stage_spec in enumerate(spec["stages"]):
            stage = Stage(
                name=stage_spec["name"],
                position=stage_position,
                description=stage_spec.get("description", ""),
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
            for position, tp in enumerate(stage_spec["touchpoints"]):
                touchpoint = Touchpoint(
                    stage_id=saved_id(stage),
                    name=tp["name"],
                    position=position,
                    component=tp["component"],
                    team_id=teams.get(tp.get("team")),
                    tool=tp.get("tool", ""),
                    created_by=actor.name,
                    updated_by=actor.name,
                )
                add_created(
                    session,
                    touchpoint,
                    actor=actor,
                    entity=EventEntity.TOUCHPOINT,
                    to_value=touchpoint.name,
                )
                count += 1
        return {"teams": len(teams), "stages": len(spec["stages"]), "touchpoints": count}


TEAM_FIELDS = {"name": text_field(required=True), "description": text_field()}
TOUCHPOINT_FIELDS = {
    "name": text_field(required=True),
    "team": text_field(),
    "tool": text_field(),
    "component": text_field(required=True),
    "archived": flag_field,
    "version": version_field,  # an exported touchpoint's version: an import refuses one changed since
}


def parse_spec(text: str) -> dict[str, Any]:
    """A journey file's content, checked against its schema; every problem is refused as 'line N: …'.

    The result always has teams (name, description), root_cause_layers (None when not given) and stages
    (name, description, touchpoints of name, team, tool, component), with "" for text not given.
    """
    doc = Document(text)
    if doc.root is None:
        raise ValidationFailed({"line 1": "the file is empty; a journey has teams and stages"})
    problems: dict[str, str] = {}
    root = mapping(
        doc,
        doc.root,
        {"teams": _node, "root_cause_layers": _node, "stages": _node},
        {"stages"},
        "a journey file",
        problems,
    )
    if root is None:
        raise ValidationFailed(problems)
    teams = (
        [
            team
            for node in sequence(doc, root["teams"], "teams", problems) or []
            if (team := mapping(doc, node, TEAM_FIELDS, {"name"}, "a team", problems)) is not None
        ]
        if "teams" in root
        else []
    )
    layers = None
    if "root_cause_layers" in root:
        layers = [
            layer
            for node in sequence(doc, root["root_cause_layers"], "root_cause_layers", problems) or []
            if (layer := text_field(required=True)(doc, node, problems, "a root-cause layer")) is not None
        ]
    team_names = {team["name"] for team in teams}
    components = {c.value for c in Component}
    stage_nodes = sequence(doc, root["stages"], "stages", problems)
    if stage_nodes == []:
        problems.setdefault(line(root["stages"]), "a journey needs at least one stage")
    stages = []
    for stage_node in stage_nodes or []:
        stage = mapping(
            doc,
            stage_node,
            {
                "name": text_field(required=True),
                "description": text_field(),
                "touchpoints": _node,
                "archived": flag_field,
            },
            {"name"},
            "a stage",
            problems,
        )
        if stage is None:
            continue
        touchpoints = []
        tp_nodes = (
            sequence(doc, stage["touchpoints"], "touchpoints", problems) if "touchpoints" in stage else []
        )
        for tp_node in tp_nodes or []:
            tp = mapping(doc, tp_node, TOUCHPOINT_FIELDS, {"name", "component"}, "a touchpoint", problems)
            if tp is None:
                continue
            where = f"{stage['name']} › {tp['name']}"
            if tp["component"] not in components:
                problems.setdefault(
                    line(tp_node), f"{where}: component must be one of {', '.join(sorted(components))}"
                )
            elif tp.get("team") and tp["team"] not in team_names:
                problems.setdefault(line(tp_node), f"{where}: team {tp['team']!r} is not in the teams list")
            touchpoints.append({"tool": "", "team": "", **tp})
        stages.append({"description": "", **stage, "touchpoints": touchpoints})
    _no_repeats(root, problems)
    if problems:
        raise ValidationFailed(problems)
    return {
        "teams": [{"description": "", **team} for team in teams],
        "root_cause_layers": layers,
        "stages": stages,
    }


def _node(doc: Document, node: yaml.Node, problems: dict[str, str], what: str) -> yaml.Node:
    """A value checked by the caller (a nested list)."""
    return node


def _no_repeats(root: dict[str, Any], problems: dict[str, str]) -> None:
    """Two teams, two stages or two touchpoints of one stage with one name: which would the import merge into?"""

    def names(list_node: yaml.Node | None) -> list[tuple[str, yaml.Node]]:
        if not isinstance(list_node, yaml.SequenceNode):
            return []
        found: list[tuple[str, yaml.Node]] = []
        for item in list_node.value:
            if isinstance(item, yaml.MappingNode):
                for key, value in item.value:
                    if getattr(key, "value", None) == "name" and isinstance(value, yaml.ScalarNode):
                        found.append((str(value.value).strip(), value))
        return found

    def once(pairs: list[tuple[str, yaml.Node]], what: str) -> None:
        seen: set[str] = set()
        for name, node in pairs:
            if name in seen:
                problems.setdefault(line(node), f"{what} {name!r} is listed twice")
            seen.add(name)

    once(names(root.get("teams")), "team")
    once(names(root["stages"]), "stage")
    for stage in root["stages"].value if isinstance(root["stages"], yaml.SequenceNode) else []:
        if isinstance(stage, yaml.MappingNode):
            for key, value in stage.value:
                if getattr(key, "value", None) == "touchpoints":
                    once(names(value), "touchpoint")


def touchpoint_options(session: Session, *, include_archived: bool = False) -> list[TouchpointOption]:
    """Every touchpoint in journey order (stage position, then touchpoint position)."""
    query = (
        select(Touchpoint, Stage, Team)
        .join(Stage, col(Stage.id) == col(Touchpoint.stage_id))
        .join(Team, col(Team.id) == col(Touchpoint.team_id), isouter=True)
        .order_by(col(Stage.position), col(Touchpoint.position))
    )
    if not include_archived:
        query = query.where(Touchpoint.archived == False, Stage.archived == False)  # noqa: E712
    return [
        TouchpointOption(
            saved_id(tp),
            tp.name,
            saved_id(stage),
            stage.name,
            tp.component,
            tp.team_id,
            team.name if team is not None else None,  # an outer join: no team comes back as None
            tp.archived or stage.archived,
            tp.tool,
        )
        for tp, stage, team in session.exec(query)
    ]


def stages(session: Session) -> list[Stage]:
    return list(session.exec(select(Stage).where(Stage.archived == False).order_by(col(Stage.position))))  # noqa: E712


def teams(session: Session) -> list[Team]:
    return list(session.exec(select(Team).where(Team.archived == False).order_by(Team.name)))  # noqa: E712


def signals_per_touchpoint(session: Session) -> dict[int, int]:
    """All-time signal count of every touchpoint (what an editor must move before removing one)."""
    query = select(col(Signal.touchpoint_id), func.count()).group_by(col(Signal.touchpoint_id))
    return dict(session.exec(query).all())
