"""Deterministic demo data: a realistic B2B SaaS friction log cooked from data/demo_recipe.yaml.

The same seed and anchor always give the same database. Every signal's state is the end of a
simulated history (created → routed → linked → fixing → fixed → loop closed, with misroutes,
won't-fix and duplicates), and every step of that history is written as its Event.
Rows go in by bulk insert in chunks, so a million signals fit in memory and in minutes.
"""

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, text
from sqlmodel import Session, select

from cxos import config
from cxos.clock import utcnow
from cxos.demo.loops import add_demo_loops
from cxos.errors import ValidationFailed
from cxos.identity import Actor
from cxos.journey.map import TouchpointOption, journey_is_empty, load_journey_template, touchpoint_options
from cxos.models import FailureMode, Fix, Signal, Team, saved_id, table_of
from cxos.routing.decision import ROUTER
from cxos.routing.rule_engine import (
    CompiledRule,
    RuleSet,
    SignalView,
    journey_places,
    load_rule_set,
    signal_view,
)
from cxos.routing.rule_files import load_default_rules
from cxos.signals import writes as signal_writes
from cxos.signals.lifecycle import status_change
from cxos.store.audit import event_row, record_event
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, Role, RoutedBy, Severity, Source, Status

RECIPE = config.DATA_DIR / "demo_recipe.yaml"
DEMO_ACTOR = Actor("cxos-demo", Role.ADMIN)
CHUNK = 20_000
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SEVERITY_WEIGHTS = {"low": 0.3, "medium": 0.45, "high": 0.2, "critical": 0.05}
SIGNAL_COLUMNS = [c.name for c in table_of(Signal).columns]


@dataclass
class Mode:
    """A recurring failure mode of the recipe, once stored."""

    id: int
    spec: dict[str, Any]
    touchpoint_id: int
    team_id: int
    shipped_at: datetime | None = None
    fix_started_at: datetime | None = None

    def rate(self, week: int, weeks: int) -> float:
        rate = self.spec["rate"] * math.exp(self.spec.get("growth", 0.0) * (week - weeks / 2))
        fix_week = self.spec.get("fix_week")
        if fix_week is not None and week >= fix_week:
            rate *= self.spec.get("after_fix", 1.0)
        return rate


@dataclass
class History:
    """One simulated signal: its row and the events that led to it."""

    row: dict[str, Any]
    anchor: datetime
    events: list[dict[str, Any]] = field(default_factory=list)

    def step(
        self,
        at: datetime,
        actor: str,
        changes: dict[str, Any],
        action: EventAction,
        note: str | None = None,
    ) -> bool:
        """Apply one change at `at` if it has happened by the anchor; one version bump, one event per field.

        A status move is checked by the lifecycle as a real one is (and refused the same way)."""
        at = at.replace(microsecond=0)
        if at > self.anchor:
            return False
        if "status" in changes:
            changes = changes | status_change(
                current=Status(self.row["status"]),
                target=Status(changes["status"]),
                owner_team_id=changes.get("owner_team_id", self.row["owner_team_id"]),
                reason=changes.get("status_reason"),
                duplicate_of_id=changes.get("duplicate_of_id"),
                signal_id=self.row["id"],
            )
        for name, value in changes.items():
            if name not in {"routed_by", "routed_at"}:  # bookkeeping of the owner change, as in assign_owner
                self.events.append(
                    _event(at, actor, self.row["id"], action, name, self.row[name], value, note)
                )
            self.row[name] = value
        self.row.update(version=self.row["version"] + 1, updated_at=at, updated_by=actor)
        return True


def build_demo(
    store: Store,
    *,
    signals: int = 3000,
    seed: int = 7,
    anchor: datetime | None = None,
    recipe_path: Path | None = None,
) -> dict[str, int]:
    """Fill an empty friction log with `signals` signals over the recipe's weeks, ending at `anchor`."""
    if signals < 0:
        raise ValidationFailed({"signals": "cannot be negative"})
    recipe = yaml.safe_load((recipe_path or RECIPE).read_text(encoding="utf-8"))
    anchor = (anchor or utcnow()).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    if journey_is_empty(store):
        load_journey_template(store, actor=DEMO_ACTOR)
    load_default_rules(store, actor=DEMO_ACTOR)
    with store.read() as session:
        if session.exec(select(Signal.id).limit(1)).first() is not None:
            raise ValidationFailed(
                {"demo": "this friction log already has signals; demo data goes into an empty one"}
            )
        touchpoints = touchpoint_options(session)
        team_ids = {team.name: saved_id(team) for team in session.exec(select(Team))}
        rules, places = load_rule_set(session), journey_places(session)
    weeks = recipe["weeks"]
    start = anchor - timedelta(weeks=weeks)
    modes = _store_failure_modes(store, recipe, touchpoints, team_ids, start, anchor, rng)
    accounts = _accounts(recipe, rng)
    # A misroute lands with a team that owns part of the journey, never with a reviewing team such as QA, which
    # owns no touchpoint (and whose arrival would change every later random draw of the demo).
    journey_teams = [
        team_id for team_id in team_ids.values() if any(tp.team_id == team_id for tp in touchpoints)
    ]
    cooker = _Cooker(recipe, rng, anchor, touchpoints, journey_teams, modes, accounts)
    cooker.route = lambda row: _first_rule(rules, signal_view(row, places))

    background = (
        sum(m.spec["rate"] for m in modes) * recipe["background_share"] / (1 - recipe["background_share"])
    )
    week_weights = [
        (background + sum(m.rate(w, weeks) for m in modes)) * (1 + 0.03 * w) for w in range(weeks)
    ]
    per_week = _allocate(signals, week_weights)
    rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    written = {"signals": 0, "events": 0}
    for week, count in enumerate(per_week):
        week_start = start + timedelta(weeks=week)
        kinds = [None, *modes]
        kind_weights = [background, *(m.rate(week, weeks) for m in modes)]
        for offset in sorted(rng.random() * 7 * 24 * 3600 for _ in range(count)):
            history = cooker.cook(
                week_start + timedelta(seconds=int(offset)), rng.choices(kinds, kind_weights)[0]
            )
            rows.append(history.row)
            events.extend(history.events)
            if len(rows) >= CHUNK:
                _flush(store, rows, events, written)
    _flush(store, rows, events, written)
    with store.write() as session:  # fresh statistics after a bulk load, so the planner picks the indexes
        session.execute(text("ANALYZE"))
    if not store.is_sqlite:
        with store.write() as session:
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('signal', 'id'), "
                    "(SELECT COALESCE(MAX(id), 1) FROM signal))"
                )
            )
    loops = add_demo_loops(store, start=start, anchor=anchor, seed=seed, actor=DEMO_ACTOR)
    return {
        **written,
        "failure_modes": len(modes),
        "fixes": sum(1 for m in modes if m.fix_started_at),
        **loops,
    }


def signal_count(store: Store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(Signal)).one()


class _Cooker:
    """Turns a creation time and a kind (a failure mode or background) into a signal with its history."""

    def __init__(
        self,
        recipe: dict[str, Any],
        rng: random.Random,
        anchor: datetime,
        touchpoints: list[TouchpointOption],
        team_ids: list[int],
        modes: list[Mode],
        accounts: list[tuple[str, int, str]],
    ) -> None:
        self.recipe, self.rng, self.anchor = recipe, rng, anchor
        self.touchpoints = touchpoints
        self.team_ids = team_ids
        self.modes = modes
        self.accounts = accounts
        self.next_id = 1
        self.last_by_touchpoint: dict[int, int] = {}
        self.ticket_number = 40_000
        self.route: Callable[[dict[str, Any]], CompiledRule | None] = lambda row: None

    def cook(self, created_at: datetime, mode: Mode | None) -> History:
        rng = self.rng
        owner: int | None  # a background signal's touchpoint may have no team
        if mode:
            touchpoint_id, owner, spec = mode.touchpoint_id, mode.team_id, mode.spec
            title = rng.choice(spec["titles"])
            source = rng.choice(spec["sources"])
            severity = spec["severity"] if rng.random() < 0.7 else rng.choice(list(SEVERITY_WEIGHTS))
            drivers = {d for d in spec.get("drivers", []) if rng.random() < 0.7}
        else:
            tp = rng.choice(self.touchpoints)
            touchpoint_id, owner = tp.id, tp.team_id
            title = f"{tp.name}: {rng.choice(self.recipe['background_phrases'][tp.component])}"
            source = rng.choice(list(Source))
            severity = rng.choices(list(SEVERITY_WEIGHTS), list(SEVERITY_WEIGHTS.values()))[0]
            drivers = {
                d
                for d in (
                    "driver_effort",
                    "driver_emotion",
                    "driver_answer_ai",
                    "driver_answer_human",
                    "driver_product",
                    "driver_policy",
                )
                if rng.random() < 0.12
            }
        account, arr, domain = rng.choice(self.accounts)
        logger = rng.choice(self.recipe["loggers"])
        reporter = f"{rng.choice(self.recipe['contacts'])}@{domain}"
        row: dict[str, Any] = (
            {name: None for name in SIGNAL_COLUMNS}
            | {
                "id": self.next_id,
                "title": title,
                "source": str(source),
                "touchpoint_id": touchpoint_id,
                "description": f"{Source(source).label} from {reporter} ({account}). {title}.",
                "account": account,
                "arr": arr,
                "severity": str(Severity(severity)),
                "reporter": reporter,
                "external_ref": self._reference(source),
                "status": Status.NEW.value,
                "created_at": created_at,
                "created_by": logger,
                "updated_at": created_at,
                "updated_by": logger,
                "version": 1,
                "client_token": None,
            }
            | {
                d: d in drivers
                for d in (
                    "driver_effort",
                    "driver_emotion",
                    "driver_answer_ai",
                    "driver_answer_human",
                    "driver_product",
                    "driver_policy",
                )
            }
        )
        self.next_id += 1
        history = History(
            row,
            self.anchor,
            [_event(created_at, logger, row["id"], EventAction.CREATED, None, None, title, None)],
        )
        self._live(history, mode, owner)
        self.last_by_touchpoint[touchpoint_id] = row["id"]
        return history

    def _live(self, h: History, mode: Mode | None, owner: int | None) -> None:
        rng, council = self.rng, self.recipe["council"]
        t = h.row["created_at"]
        rule = self.route(h.row)
        if rule is not None:  # the rules routed it on arrival (create_signal does the same)
            changes = {
                "owner_team_id": rule.owner_team_id,
                "status": Status.ROUTED,
                "routed_by": RoutedBy.rule(rule.id),
                "routed_at": t,
            } | ({"root_cause": rule.root_cause} if rule.root_cause else {})
            h.step(t, ROUTER.name, changes, EventAction.OWNER, note=RoutedBy.rule(rule.id))
        if rng.random() < 0.03:  # the backlog nobody has looked at yet
            if rule is None and rng.random() < 0.4:
                h.step(
                    t + DAY * rng.uniform(1, 3),
                    rng.choice(council),
                    {
                        "status": Status.NEEDS_INFO,
                        "status_reason": "Asked the reporter for steps to reproduce",
                    },
                    EventAction.STATUS,
                )
            return
        t += HOUR * rng.expovariate(1 / 18)
        first = owner if rng.random() > 0.12 else rng.choice([x for x in self.team_ids if x != owner])
        person = rng.choice(council)
        if rule is not None:
            first = rule.owner_team_id
        elif not h.step(
            t,
            person,
            {
                "owner_team_id": first,
                "status": Status.ROUTED,
                "routed_by": RoutedBy.person(person),
                "routed_at": t,
            },
            EventAction.OWNER,
            note=RoutedBy.person(person),
        ):
            return
        if first != owner:  # a misroute the council corrected: it counts against routing accuracy
            for detour in self._detours(h.row["id"], first, owner):
                t += DAY * 1.5
                person = council[h.row["id"] % len(council)]
                if not h.step(
                    t,
                    person,
                    {"owner_team_id": detour, "routed_by": RoutedBy.person(person), "routed_at": t},
                    EventAction.OWNER,
                    note=RoutedBy.person(person),
                ):
                    return
            t += DAY * rng.uniform(0.5, 4)
            person = rng.choice(council)
            if not h.step(
                t,
                person,
                {"owner_team_id": owner, "routed_by": RoutedBy.person(person), "routed_at": t},
                EventAction.OWNER,
                note=RoutedBy.person(person),
            ):
                return
        if mode:
            self._linked(h, mode, t)
        else:
            self._background(h, t)

    def _detours(self, signal_id: int, first: int | None, owner: int | None) -> list[int]:
        """One misroute in four bounces through two more teams before it lands (three bounces: the handoffs page
        flags it). Chosen from the id, not the random stream, so the rest of the demo stays the same."""
        others = [team for team in self.team_ids if team not in (first, owner)]
        if signal_id % 4 or len(others) < 2:
            return []
        one = signal_id % len(others)
        return [others[one], others[(one + 1) % len(others)]]

    def _linked(self, h: History, mode: Mode, t: datetime) -> None:
        rng, council = self.rng, self.recipe["council"]
        t += DAY * rng.uniform(0.5, 4)
        if not h.step(
            t,
            rng.choice(council),
            {"failure_mode_id": mode.id, "status": Status.LINKED, "root_cause": mode.spec["root_cause"]},
            EventAction.LINKED,
        ):
            return
        if mode.fix_started_at and (mode.shipped_at is None or t < mode.shipped_at):
            if not h.step(
                max(t, mode.fix_started_at),
                rng.choice(council),
                {"status": Status.FIXING},
                EventAction.STATUS,
            ):
                return
            if (
                mode.shipped_at
                and h.step(mode.shipped_at, rng.choice(council), {"status": Status.FIXED}, EventAction.STATUS)
                and rng.random() < 0.7
            ):
                h.step(
                    mode.shipped_at + DAY * rng.uniform(1, 5),
                    rng.choice(council),
                    {"status": Status.LOOP_CLOSED},
                    EventAction.STATUS,
                )

    def _background(self, h: History, t: datetime) -> None:
        rng, council = self.rng, self.recipe["council"]
        roll = rng.random()
        earlier = self.last_by_touchpoint.get(h.row["touchpoint_id"])
        if roll < 0.08:
            h.step(
                t + DAY * rng.uniform(1, 5),
                rng.choice(council),
                {"status": Status.WONT_FIX, "status_reason": rng.choice(self.recipe["wont_fix_reasons"])},
                EventAction.STATUS,
            )
        elif roll < 0.12 and earlier:
            h.step(
                t + DAY * rng.uniform(0.2, 2),
                rng.choice(council),
                {"status": Status.DUPLICATE, "duplicate_of_id": earlier},
                EventAction.STATUS,
            )
        elif roll < 0.32:
            t += DAY * rng.uniform(3, 20)
            if (
                h.step(t, rng.choice(council), {"status": Status.FIXED}, EventAction.STATUS)
                and rng.random() < 0.5
            ):
                h.step(
                    t + DAY * rng.uniform(1, 4),
                    rng.choice(council),
                    {"status": Status.LOOP_CLOSED},
                    EventAction.STATUS,
                )

    def _reference(self, source: str) -> str | None:
        self.ticket_number += 1
        return {
            "ticket": f"https://support.example.com/tickets/{self.ticket_number}",
            "slack": f"https://example.slack.com/archives/C04CXFRICTION/p{self.ticket_number}000",
            "community": f"https://community.example.com/t/{self.ticket_number}",
            "call": f"GONG-{self.ticket_number}",
        }.get(source)


def _first_rule(rules: RuleSet, view: SignalView) -> CompiledRule | None:
    rule = rules.first_match(view)
    return None if rule is None or rule.orphan else rule


def _event(
    at: datetime,
    actor: str,
    signal_id: int,
    action: EventAction,
    field_name: str | None,
    from_value: Any,
    to_value: Any,
    note: str | None,
) -> dict[str, Any]:
    return event_row(
        at=at,
        actor=actor,
        entity=EventEntity.SIGNAL,
        entity_id=signal_id,
        action=action,
        field=field_name,
        from_value=from_value,
        to_value=to_value,
        note=note,
    )


def _flush(
    store: Store, rows: list[dict[str, Any]], events: list[dict[str, Any]], written: dict[str, int]
) -> None:
    if not rows:
        return
    with store.write() as session:
        signal_writes.insert_batch(session, rows=rows, events=events)
    written["signals"] += len(rows)
    written["events"] += len(events)
    rows.clear()
    events.clear()


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` exactly (largest remainder)."""
    shares = [total * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: shares[i] - counts[i], reverse=True)[
        : total - sum(counts)
    ]:
        counts[i] += 1
    return counts


def _accounts(recipe: dict[str, Any], rng: random.Random) -> list[tuple[str, int, str]]:
    names = [f"{w} {k}" for w in recipe["account_words"] for k in recipe["account_kinds"]]
    rng.shuffle(names)
    accounts = []
    for name in names[: recipe["accounts"]]:
        arr = int(min(900_000, max(6_000, rng.lognormvariate(10.8, 0.9))) // 1000 * 1000)
        accounts.append((name, arr, name.lower().replace(" ", "") + ".com"))
    return accounts


def _store_failure_modes(
    store: Store,
    recipe: dict[str, Any],
    touchpoints: list[TouchpointOption],
    team_ids: dict[str, int],
    start: datetime,
    anchor: datetime,
    rng: random.Random,
) -> list[Mode]:
    by_name = {tp.name: tp.id for tp in touchpoints}
    council = recipe["council"]
    modes = []
    with store.write() as session:
        for spec in recipe["failure_modes"]:
            created = start + timedelta(weeks=3, days=rng.uniform(0, 14))
            person = rng.choice(council)
            fm = FailureMode(
                name=spec["name"],
                upstream_cause=spec["upstream_cause"],
                root_cause=spec["root_cause"],
                owner_team_id=team_ids[spec["team"]],
                touchpoint_id=by_name[spec["touchpoint"]],
                status="accepted",
                created_at=created,
                updated_at=created,
                created_by=person,
                updated_by=person,
            )
            session.add(fm)
            session.flush()
            record_event(
                session,
                actor=person,
                entity=EventEntity.FAILURE_MODE,
                entity_id=saved_id(fm),
                action=EventAction.CREATED,
                to_value=fm.name,
                at=created,
            )
            mode = Mode(saved_id(fm), spec, by_name[spec["touchpoint"]], team_ids[spec["team"]])
            if spec.get("fix_week") is not None or spec.get("planned_fix"):
                _store_fix(session, mode, spec, start, anchor, rng, person)
            modes.append(mode)
    return modes


def _store_fix(
    session: Session,
    mode: Mode,
    spec: dict[str, Any],
    start: datetime,
    anchor: datetime,
    rng: random.Random,
    person: str,
) -> None:
    if spec.get("fix_week") is not None:
        mode.shipped_at = start + timedelta(weeks=spec["fix_week"], days=rng.uniform(0, 2))
        mode.fix_started_at = mode.shipped_at - timedelta(weeks=3)
        verified = anchor - mode.shipped_at > timedelta(weeks=6)
        fix = Fix(
            failure_mode_id=mode.id,
            title=spec["fix"].split(",")[0].split(";")[0],
            owner_team_id=mode.team_id,
            status="verified" if verified else "shipped",
            due_on=mode.shipped_at.date(),
            what_changed=spec["fix"],
            shipped_at=mode.shipped_at,
            verified_at=mode.shipped_at + timedelta(weeks=6) if verified else None,
        )
        steps = [("in_progress", mode.fix_started_at), ("shipped", mode.shipped_at)]
        if fix.verified_at is not None:
            steps.append(("verified", fix.verified_at))
    else:
        mode.fix_started_at = anchor - timedelta(weeks=2)
        fix = Fix(
            failure_mode_id=mode.id,
            title=spec["planned_fix"].split(",")[0],
            owner_team_id=mode.team_id,
            status="in_progress",
            due_on=(anchor + timedelta(days=10)).date(),
            what_changed="",
        )
        steps = [("in_progress", mode.fix_started_at)]
    created = mode.fix_started_at - timedelta(days=3)
    last = steps[-1][1]
    fix.created_at, fix.created_by, fix.updated_at, fix.updated_by = created, person, last, person
    fix.version = 1 + len(steps)
    session.add(fix)
    session.flush()
    record_event(
        session,
        actor=person,
        entity=EventEntity.FIX,
        entity_id=saved_id(fix),
        action=EventAction.CREATED,
        to_value=fix.title,
        at=created,
    )
    previous = "planned"
    for status, at in steps:
        record_event(
            session,
            actor=person,
            entity=EventEntity.FIX,
            entity_id=saved_id(fix),
            action=EventAction.STATUS,
            field="status",
            from_value=previous,
            to_value=status,
            at=at,
        )
        previous = status
