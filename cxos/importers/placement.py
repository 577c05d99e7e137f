"""Placing an imported row at a touchpoint when no column of the file says where (no hand work, no default).

First the placement rules (data/placement_rules.yaml, or CXOS_PLACEMENT_RULES): the routing rules' conditions
(cxos/routing/rule_engine.py) on the row's text and tags, each rule naming a touchpoint. Then the stored
placement model (cxos/routing/placement_model.py) when its calibrated confidence is at or above
CXOS_PLACEMENT_CONFIDENCE. Anything else is *unplaced*: held, stored and listed for the council to place
(cxos/importers/unplaced.py), never put at one default touchpoint. Deciding writes nothing.
"""

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from cxos import config
from cxos.importers.mapping import PLACEMENT_FIELDS
from cxos.inputs import SignalCreate
from cxos.routing.owner_model import OwnerModel, join_text
from cxos.routing.placement_model import placement_confidence, placement_model
from cxos.routing.rule_engine import CompiledRule, compile_rule, signal_view
from cxos.routing.rules import check_condition
from cxos.store.store import Store

DEFAULT_PLACEMENT_RULES = config.DATA_DIR / "placement_rules.yaml"
RULE_KEYS = {"name", "touchpoint", "match", "conditions"}
# Mapped columns that say where a ticket belongs without naming a touchpoint: the rules read them as text.
TAG_FIELDS = (
    PLACEMENT_FIELDS  # the columns a profile maps to tags, group and channel (cxos/importers/mapping.py)
)


class UnplacedSignal(SignalCreate):
    """A row's signal fields while its touchpoint is still to be found: everything else is checked as usual."""

    touchpoint_id: int | None = Field(default=None, gt=0)  # type: ignore[assignment]


@dataclass(frozen=True)
class Placement:
    """Where one row goes: a touchpoint and what decided it, or unplaced (touchpoint None) with the model's guess."""

    touchpoint_id: int | None
    decided_by: str  # "rule" | "model" | "unplaced"
    rule: str = ""  # the placement rule's name, when one decided
    confidence: float | None = None  # the model's, for its best touchpoint
    guess: int | None = None  # the model's best touchpoint, when it was asked

    @property
    def note(self) -> str:
        """What the row's 'created' event says about where the row was placed and by what."""
        if self.decided_by == "rule":
            return f"placed by placement rule {self.rule!r}"
        if self.decided_by == "model":
            return f"placed by the placement model ({self.confidence:.0%} sure)"
        return "unplaced"


@dataclass(frozen=True)
class PlacementRule:
    name: str
    touchpoint_id: int
    compiled: CompiledRule


@dataclass(frozen=True)
class Placer:
    """The placement rules, the stored model and its threshold, read once for one import."""

    rules: tuple[PlacementRule, ...]
    model: OwnerModel[int] | None
    threshold: float
    live_touchpoints: frozenset[int]
    warnings: tuple[str, ...] = ()

    def place_many(
        self, rows: Sequence[Mapping[str, Any]], tags: Sequence[str] | None = None
    ) -> list[Placement]:
        """Where each row goes: the rules one by one, then one pass of the model over the rows no rule took."""
        tags = tags or [""] * len(rows)
        placements: list[Placement | None] = [
            self._by_rule(row, tag) for row, tag in zip(rows, tags, strict=True)
        ]
        waiting = [n for n, placement in enumerate(placements) if placement is None]
        ranked = (
            self._suggest([rows[n] for n in waiting]) if waiting and self.model else [[] for _ in waiting]
        )
        for n, suggestions in zip(waiting, ranked, strict=True):
            placements[n] = self._by_model(suggestions)
        return [p or Placement(None, "unplaced") for p in placements]

    def _by_rule(self, row: Mapping[str, Any], tags: str) -> Placement | None:
        if not self.rules:
            return None
        # Tags are read as text: a rule on text sees "billing" whether the file put it in the title or a tag.
        view = signal_view(dict(row) | {"description": f"{row.get('description') or ''}\n{tags}"}, {})
        for rule in self.rules:
            if rule.compiled.matches(view):
                return Placement(rule.touchpoint_id, "rule", rule=rule.name)
        return None

    def _suggest(self, rows: Sequence[Mapping[str, Any]]) -> list[list[tuple[int, float]]]:
        assert self.model is not None
        texts = [join_text(row.get("title") or "", row.get("description")) for row in rows]
        return self.model.suggest(texts, top=len(self.model.classes))

    def _by_model(self, suggestions: Sequence[tuple[int, float]]) -> Placement:
        # A touchpoint archived since the model was trained is never a place to put a new row.
        live = [(int(tp), float(p)) for tp, p in suggestions if tp in self.live_touchpoints]
        if not live:
            return Placement(None, "unplaced")
        touchpoint_id, confidence = live[0]
        if confidence >= self.threshold:
            return Placement(touchpoint_id, "model", confidence=confidence, guess=touchpoint_id)
        return Placement(None, "unplaced", confidence=confidence, guess=touchpoint_id)


def tags_of(given: Mapping[str, str]) -> str:
    """A row's tag-like columns (tags, group, channel) as one text for the placement rules."""
    return " ".join(given[name].strip() for name in TAG_FIELDS if (given.get(name) or "").strip())


def placement_rules_file() -> Path:
    return Path(os.environ.get("CXOS_PLACEMENT_RULES") or DEFAULT_PLACEMENT_RULES)


def read_placement_rules(
    text: str, touchpoints: Mapping[str, list[int]]
) -> tuple[tuple[PlacementRule, ...], tuple[str, ...]]:
    """The rules of a placement-rules file; a rule that cannot place as written is skipped with a warning.

    `touchpoints` maps lower-cased "stage › name" and bare names to touchpoint ids (an import's look-up).
    """
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        return (), (
            f"The placement rules are not read: the file is not YAML ({str(error).splitlines()[0]}).",
        )
    entries = raw.get("placement_rules", []) if isinstance(raw, dict) else []
    rules, warnings = [], []
    for position, entry in enumerate(entries if isinstance(entries, list) else [], start=1):
        name = str(entry.get("name") or f"rule {position}") if isinstance(entry, dict) else f"rule {position}"
        try:
            if not isinstance(entry, dict) or set(entry) - RULE_KEYS:
                raise ValueError(f"a placement rule has the keys {', '.join(sorted(RULE_KEYS))}")
            where = str(entry.get("touchpoint") or "").strip()
            ids = touchpoints.get(where.lower().replace(" > ", " › "), [])
            if len(ids) != 1:
                raise ValueError(
                    f"{where!r} is {'in several stages' if ids else 'not a touchpoint of the journey'}"
                )
            conditions = [check_condition(c) for c in entry.get("conditions") or []]
            compiled = compile_rule(
                {"name": name, "match": entry.get("match", "all"), "conditions": conditions}
            )
        except (ValueError, TypeError) as error:
            warnings.append(f"Placement rule {name!r} is skipped: {error}.")
            continue
        rules.append(PlacementRule(name, ids[0], compiled))
    return tuple(rules), tuple(warnings)


def placer_for(store: Store, touchpoints: Mapping[str, list[int]], live: frozenset[int]) -> Placer:
    """Everything placing needs, read before any write transaction opens (the stored model is only read)."""
    path = placement_rules_file()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    rules, warnings = read_placement_rules(text, touchpoints)
    return Placer(rules, placement_model(store), placement_confidence(), live, warnings)
