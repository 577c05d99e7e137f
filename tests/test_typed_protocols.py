"""Statuses, event entities and actions, and 'who routed it' are vocabulary types, never literals."""

import ast
from pathlib import Path

import pytest

from cxos.vocabulary import Decider, EventAction, EventEntity, Status

ROOT = Path(__file__).resolve().parent.parent
WATCHED = [*sorted((ROOT / "cxos").rglob("*.py")), *sorted((ROOT / "components").rglob("*.py"))]
WATCHED += [*sorted((ROOT / "pages").rglob("*.py")), ROOT / "app.py"]
VOCABULARY = ROOT / "cxos" / "vocabulary.py"  # where the words are defined
MIGRATIONS = ROOT / "cxos" / "store" / "migrations"  # frozen history: they say what the schema was
EVENT_CALLS = {"record_event", "event_row", "apply_changes"}
ROUTED_BY_TEXT = tuple(f"{kind}:" for kind in Decider) + tuple(f"{kind}%" for kind in Decider)


def _strings(node: ast.AST) -> list[str]:
    """The string constants of a literal: 'x', ('x', 'y'), ['x'], {'x'}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for element in node.elts for s in _strings(element)]
    return []


def _about(text: str) -> str | None:
    """What an expression holds, judged by its name: a status, an event action or an event entity."""
    if text.endswith((".action", "Event.action")):
        return "action"
    if text.endswith(".entity"):
        return "entity"
    if "status" in text or text.endswith(("to_value", "from_value")):
        return "status"
    return None


WORDS = {
    "status": {s.value for s in Status},
    "action": {a.value for a in EventAction},
    "entity": {e.value for e in EventEntity},
}


def literal_problems(source: str, filename: str = "<source>") -> list[str]:
    """Every place `source` spells a status, an event action/entity or a routed-by text as a literal."""
    problems = []
    tree = ast.parse(source, filename)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }

    def flag(node: ast.AST, why: str) -> None:
        problems.append(f"{filename}:{node.lineno}: {why}: {ast.unparse(node)}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for operand in operands:
                for other in operands:
                    kind = _about(ast.unparse(other)) if other is not operand else None
                    if kind and set(_strings(operand)) & WORDS[kind]:
                        flag(node, f"compare {kind} values as vocabulary members")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in {"in_", "not_in", "notin_"}:
                kind = _about(ast.unparse(func.value))
                if kind and any(set(_strings(arg)) & WORDS[kind] for arg in node.args):
                    flag(node, f"compare {kind} values as vocabulary members")
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            for keyword in node.keywords:
                if keyword.arg in {"action", "entity"} and name in EVENT_CALLS and _strings(keyword.value):
                    flag(node, f"pass the event {keyword.arg} as EventAction/EventEntity")
                if keyword.arg == "status" and set(_strings(keyword.value)) & WORDS["status"]:
                    flag(node, "pass the status as a Status member")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if node.value.startswith(ROUTED_BY_TEXT):
                flag(node, "build or read routed-by text with vocabulary.RoutedBy / Decider")
    return problems


def test_the_app_uses_the_vocabulary_types_not_literals():
    problems = []
    for path in WATCHED:
        if path == VOCABULARY or MIGRATIONS in path.parents:
            continue
        problems += literal_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        'signal.status == "fixed"',
        '"routed" != row.status',
        'Signal.status.in_(["fixed", "loop_closed"])',
        'Event.to_value == "loop_closed"',
        'Event.action == "confirmed"',
        'event.action in {"created", "merged"}',
        'Event.entity == "signal"',
        'record_event(session, actor=a, entity="signal", entity_id=1, action="created")',
        'apply_changes(session, row, actor, changes, action="linked")',
        'set_status(store, signal_id=1, expected_version=1, status="duplicate", actor=a)',
        'Signal.routed_by.like("rule:%")',
        'note.like("model%")',
        'value.startswith("person:")',
        'routed_by = f"person:{actor.name}"',
    ],
)
def test_a_literal_creeping_back_is_caught(source):
    assert literal_problems(source)


@pytest.mark.parametrize(
    "source",
    [
        "signal.status == Status.FIXED",
        'fix.status in ("shipped", "verified")',  # a fix's own statuses, not a signal's
        'notice.status == "sent"',
        'Event.field == "status"',
        'args.action == "export"',  # argparse, not an event
        'picked == "needs_info"',  # a council triage action's key
        '"""A docstring may say rule:<id>."""',
        "record_event(session, actor=a, entity=EventEntity.SIGNAL, entity_id=1, action=EventAction.CREATED)",
    ],
)
def test_other_strings_are_left_alone(source):
    assert literal_problems(source) == []
