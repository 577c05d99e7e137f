"""The journey map: loading a journey (teams, stages, touchpoints, root-cause layers) from YAML, and reading it."""

from dataclasses import dataclass
from pathlib import Path

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


def parse_spec(text: str) -> dict:
    """A journey file's content, validated: every touchpoint has a known component and a listed team."""
    try:
        spec = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ValidationFailed({"journey": f"not valid YAML: {error}"}) from None
    if not isinstance(spec, dict):
        raise ValidationFailed({"journey": "expected a mapping with teams and stages"})
    problems = {}
    team_names = {t.get("name") for t in spec.get("teams") or []}
    components = {c.value for c in Component}
    for stage in spec.get("stages") or []:
        for tp in stage.get("touchpoints") or []:
            where = f"{stage.get('name')} › {tp.get('name')}"
            if tp.get("component") not in components:
                problems[where] = f"component must be one of {', '.join(sorted(components))}"
            elif tp.get("team") and tp["team"] not in team_names:
                problems[where] = f"team {tp['team']!r} is not in the teams list"
    if not spec.get("stages"):
        problems["stages"] = "a journey needs at least one stage"
    if problems:
        raise ValidationFailed(problems)
    spec.setdefault("teams", [])
    return spec


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
