"""Routing accuracy on a fixture with known overrides, on SQLite and PostgreSQL (hand-computed answers)."""

from datetime import UTC, date, datetime, timedelta

from cxos.routing.accuracy import routing_accuracy, weekly_rows
from cxos.store.audit import record_event

WEEK_1 = datetime(2026, 11, 3, 9, tzinfo=UTC)  # ISO week 45 (Monday 2 Nov)
WEEK_2 = datetime(2026, 11, 10, 9, tzinfo=UTC)  # ISO week 46 (Monday 9 Nov)
A, B = 1, 2


def _owner_history(store, signal_id: int, *changes: tuple[datetime, int | None, str]) -> None:
    """Owner events for one signal: (when, new team or None for back-to-triage, note)."""
    with store.write() as session:
        previous = None
        for at, team, note in changes:
            record_event(
                session,
                actor="x",
                entity="signal",
                entity_id=signal_id,
                action="owner",
                field="owner_team_id",
                from_value=previous,
                to_value=team,
                note=note,
            ).at = at
            previous = team


def _fixture(store) -> None:
    later = timedelta(days=2)
    _owner_history(store, 1, (WEEK_1, A, "rule:1"))  # kept
    _owner_history(store, 2, (WEEK_1, A, "rule:1"), (WEEK_1 + later, B, "person:Priya"))  # overridden
    _owner_history(
        store, 3, (WEEK_2, A, "rule:1"), (WEEK_2 + later, A, "person:Priya")
    )  # same team again: kept
    _owner_history(
        store, 4, (WEEK_2, B, "model:0.91"), (WEEK_2 + later, None, "person:Priya")
    )  # back to triage
    _owner_history(store, 5, (WEEK_2, B, "person:Marco"))  # kept
    _owner_history(
        store, 6, (WEEK_2, None, "person:Dana"), (WEEK_2 + later, A, "person:Dana")
    )  # first team: A
    _owner_history(store, 7, (WEEK_1, B, "rule:2"))  # kept


def _tallies(mapping) -> dict:
    return {key: (t.routed, t.kept) for key, t in mapping.items()}


def test_overall_accuracy_counts_first_owners_never_changed(store):
    _fixture(store)
    with store.read() as session:
        accuracy = routing_accuracy(session)
    assert (accuracy.overall.routed, accuracy.overall.kept) == (7, 5)
    assert round(accuracy.overall.accuracy, 4) == round(5 / 7, 4)


def test_accuracy_per_rule_model_and_person(store):
    _fixture(store)
    with store.read() as session:
        accuracy = routing_accuracy(session)
    assert _tallies(accuracy.by_decider) == {
        "rule:1": (3, 2),
        "rule:2": (1, 1),
        "model": (1, 0),
        "person": (2, 2),
    }
    assert (accuracy.rule_tally(1).routed, accuracy.rule_tally(99).routed) == (3, 0)


def test_accuracy_per_first_owner_team_and_iso_week(store):
    _fixture(store)
    with store.read() as session:
        accuracy = routing_accuracy(session)
    assert _tallies(accuracy.by_team) == {A: (4, 3), B: (3, 2)}
    assert [(r["iso_week"], r["routed"], r["kept"]) for r in weekly_rows(accuracy)] == [
        ("2026-W45", 3, 2),
        ("2026-W46", 4, 3),
    ]
    assert weekly_rows(accuracy)[0]["week"] == date(2026, 11, 2)


def test_since_counts_only_first_routes_made_after_it(store):
    _fixture(store)
    with store.read() as session:
        accuracy = routing_accuracy(session, since=WEEK_2 - timedelta(hours=1))
    assert (accuracy.overall.routed, accuracy.overall.kept) == (4, 3)


def test_rules_below_sixty_percent_with_ten_routes_are_flagged(store):
    _fixture(store)
    for signal_id in range(100, 110):  # rule 3: ten routes, five overridden → 50%
        changes = [(WEEK_1, A, "rule:3")] + ([(WEEK_2, B, "person:Priya")] if signal_id % 2 else [])
        _owner_history(store, signal_id, *changes)
    with store.read() as session:
        accuracy = routing_accuracy(session)
    assert accuracy.flagged == ["rule:3"]  # rule 1 is at 67% and the model has a single route
    assert not accuracy.by_decider["rule:1"].poor
