"""The rule engine and routing: every operator, first match wins, model fallback, triage, and nothing dropped."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cxos.inputs import storable_text
from cxos.journey.map import teams
from cxos.models import Event, Signal, Team
from cxos.routing.decision import decide
from cxos.routing.router import preview_rule, recent_views, route_unrouted
from cxos.routing.rule_engine import RuleSet, compile_rule, compile_rules, signal_view
from cxos.routing.rules import create_rule
from cxos.signals import queries
from cxos.signals.writes import create_signal
from cxos.vocabulary import DRIVERS, Severity, Source
from tests.conftest import ADMIN, CONTRIBUTOR

PLACES = {
    1: ("onboard", "data import", "onboarding_activation"),
    2: ("get help", "help center search", "knowledge_self_service"),
}


def view(**fields):
    base = {
        "id": 1,
        "title": "CSV import fails on dates",
        "description": "",
        "source": "ticket",
        "touchpoint_id": 1,
        "severity": "high",
        "account": "Acme Health",
        "arr": 120_000,
    }
    return signal_view(base | fields, PLACES)


def matches(field, op, value=None, **signal) -> bool:
    rule = compile_rule(
        {"id": 1, "owner_team_id": 7, "conditions": [{"field": field, "op": op, "value": value}]}
    )
    return rule.matches(view(**signal))


@pytest.mark.parametrize(
    ("field", "op", "value", "signal", "expected"),
    [
        ("source", "is", "ticket", {}, True),
        ("source", "is", "slack", {}, False),
        ("source", "is_not", "slack", {}, True),
        ("source", "in", ["slack", "ticket"], {}, True),
        ("severity", "in", ["low", "medium"], {}, False),
        ("stage", "is", "Onboard", {}, True),  # journey names, case-insensitive
        ("touchpoint", "is", "DATA IMPORT", {}, True),
        ("touchpoint", "in", ["Help center search"], {}, False),
        ("component", "is", "onboarding_activation", {}, True),
        ("account", "is", "acme health", {}, True),
        ("account", "is_not", "Acme Health", {"account": None}, True),
        ("account", "contains_any", ["health"], {}, True),
        ("account", "matches", r"^acme\b", {}, True),
        ("text", "contains_any", ["csv", "xlsx"], {}, True),
        ("text", "contains_any", ["date"], {}, False),  # whole words only: "dates" is not "date"
        ("text", "contains_any", ["API key"], {"description": "where is my api   key?"}, True),  # phrases too
        ("text", "contains_any", ["Fails"], {}, True),  # case-insensitive
        ("text", "matches", r"import\s+fails", {}, True),
        ("text", "matches", r"^dates", {}, False),
        ("arr", "between", [100_000, 200_000], {}, True),
        ("arr", "between", [None, 100_000], {}, False),
        ("arr", "between", [50_000, None], {"arr": None}, False),  # unknown ARR is in no range
        ("arr", "between", [120_000, 120_000], {}, True),  # bounds are inclusive
        ("driver_effort", "is_true", None, {"driver_effort": True}, True),
        ("driver_effort", "is_true", None, {}, False),
        ("driver_policy", "is_false", None, {}, True),
    ],
)
def test_each_operator(field, op, value, signal, expected):
    assert matches(field, op, value, **signal) is expected


def _rule(rule_id, team, *conditions, match="all", position=None, root_cause=None):
    return compile_rule(
        {
            "id": rule_id,
            "owner_team_id": team,
            "match": match,
            "position": position or rule_id,
            "root_cause": root_cause,
            "conditions": [{"field": f, "op": o, "value": v} for f, o, v in conditions],
        }
    )


def test_all_needs_every_condition_and_any_needs_one():
    conditions = (("source", "is", "ticket"), ("severity", "is", "low"))
    assert not _rule(1, 5, *conditions).matches(view())
    assert _rule(1, 5, *conditions, match="any").matches(view())


def test_first_matching_rule_wins_in_position_order():
    broad, narrow = _rule(1, 10, ("source", "is", "ticket")), _rule(2, 20, ("text", "contains_any", ["csv"]))
    assert RuleSet((broad, narrow)).first_match(view()).id == 1
    assert RuleSet((narrow, broad)).first_match(view()).id == 2
    assert decide(view(), RuleSet((narrow, broad))).team_id == 20


def test_disabled_rules_are_skipped_and_positions_order_the_rest():
    class Row:
        def __init__(self, id, position, enabled, team):
            self.id, self.position, self.enabled, self.owner_team_id = id, position, enabled, team
            self.name, self.match, self.root_cause = f"r{id}", "all", None
            self.conditions = '[{"field": "source", "op": "is", "value": "ticket"}]'

    rules = compile_rules(
        [Row(1, 3, True, 10), Row(2, 1, False, 20), Row(3, 2, True, 30)], active_team_ids=[10, 20, 30]
    )
    assert [r.id for r in rules.rules] == [3, 1]


def test_a_rule_for_an_archived_team_warns_and_leaves_its_signals_in_triage():
    class Row:
        id, position, enabled, owner_team_id, name, match, root_cause = (
            4,
            1,
            True,
            99,
            "Old team",
            "all",
            None,
        )
        conditions = '[{"field": "source", "op": "is", "value": "ticket"}]'

    rules = compile_rules([Row()], active_team_ids=[1, 2])
    assert "disabled" in rules.warnings[0] and "Old team" in rules.warnings[0]
    decision = decide(view(), rules, suggester=lambda s: [(1, 0.99)])
    assert (decision.team_id, decision.outcome) == (None, "orphan")


def test_no_rule_uses_a_confident_model_and_records_its_confidence():
    decision = decide(view(), RuleSet(()), suggester=lambda s: [(3, 0.91), (4, 0.05)], threshold=0.8)
    assert (decision.team_id, decision.routed_by, decision.note) == (3, "model", "model:0.91")


def test_an_unsure_model_leaves_the_signal_in_triage(monkeypatch):
    monkeypatch.setenv("CXOS_ROUTING_CONFIDENCE", "0.95")
    assert decide(view(), RuleSet(()), suggester=lambda s: [(3, 0.91)]).team_id is None
    assert decide(view(), RuleSet(()), suggester=lambda s: []).outcome == "triage"


def test_a_rule_beats_the_model():
    decision = decide(
        view(),
        RuleSet((_rule(8, 2, ("source", "is", "ticket"), root_cause="Policy"),)),
        suggester=lambda s: [(3, 1.0)],
    )
    assert (decision.team_id, decision.routed_by, decision.root_cause) == (2, "rule:8", "Policy")


def _team_ids(store) -> dict[str, int]:
    with store.read() as session:
        return {t.name: t.id for t in teams(session)}


def test_a_new_signal_is_routed_by_the_first_matching_rule_in_its_own_transaction(journey_store):
    team = _team_ids(journey_store)["Product"]
    rule = create_rule(
        journey_store,
        actor=ADMIN,
        rule_in={
            "name": "Imports",
            "owner_team_id": team,
            "root_cause": "Unclear product behaviour",
            "conditions": [{"field": "touchpoint", "op": "is", "value": "Data import"}],
        },
    )
    tp = next(t for t in _touchpoints(journey_store) if t.name == "Data import")
    signal = create_signal(
        journey_store,
        signal_in={"title": "Import fails", "source": "ticket", "touchpoint_id": tp.id},
        actor=CONTRIBUTOR,
    )
    with journey_store.read() as session:
        stored = session.get(Signal, signal.id)
        events = queries.timeline(session, "signal", signal.id)
    assert (stored.owner_team_id, stored.status, stored.routed_by) == (team, "routed", f"rule:{rule.id}")
    assert stored.root_cause == "Unclear product behaviour" and stored.routed_at is not None
    owner_event = next(e for e in events if e.field == "owner_team_id")
    assert (owner_event.to_value, owner_event.note) == (str(team), f"rule:{rule.id}")
    assert [e.action for e in events] == ["created", "owner", "status", "updated"]


def _touchpoints(store):
    from cxos.journey.map import touchpoint_options

    with store.read() as session:
        return touchpoint_options(session)


def test_route_unrouted_counts_rules_model_and_triage(journey_store):
    ids = _team_ids(journey_store)
    tps = _touchpoints(journey_store)
    for number, tp in enumerate(tps[:6]):
        create_signal(
            journey_store,
            signal_in={
                "title": f"Signal {number} about billing" if number < 2 else f"Signal {number}",
                "source": "ticket",
                "touchpoint_id": tp.id,
            },
            actor=CONTRIBUTOR,
        )
    rule = create_rule(
        journey_store,
        actor=ADMIN,
        rule_in={  # added after logging: they wait for `route`
            "name": "Billing",
            "owner_team_id": ids["Support ops"],
            "conditions": [{"field": "text", "op": "contains_any", "value": ["billing"]}],
        },
    )
    sure_about_first = lambda signal: [(ids["Knowledge"], 0.9 if signal.title == "Signal 2" else 0.3)]  # noqa: E731
    report = route_unrouted(journey_store, suggester=sure_about_first, threshold=0.8)
    assert (report.examined, dict(report.by_rule), report.by_model, report.in_triage) == (
        6,
        {rule.id: 2},
        1,
        3,
    )
    with journey_store.read() as session:
        assert queries.triage_count(session) == 3
        routed = session.exec(select(Signal).where(Signal.owner_team_id.is_not(None))).all()
        assert {s.routed_by for s in routed} == {f"rule:{rule.id}", "model"}
        assert all(s.version == 2 and s.status == "routed" for s in routed)
        notes = session.exec(select(Event.note).where(Event.field == "owner_team_id")).all()
        assert sorted(notes) == sorted([f"rule:{rule.id}", f"rule:{rule.id}", "model:0.90"])
    assert route_unrouted(journey_store).examined == 3  # the rest stays visible in triage, not dropped


def test_test_bench_shows_what_a_draft_rule_catches_and_whose_owner_changes(journey_store):
    ids = _team_ids(journey_store)
    tp = _touchpoints(journey_store)[0]
    for title in ("Invoice in USD", "Invoice missing VAT", "Login loop"):
        create_signal(
            journey_store,
            signal_in={"title": title, "source": "ticket", "touchpoint_id": tp.id},
            actor=CONTRIBUTOR,
        )
    with journey_store.read() as session:
        views = recent_views(session, limit=500)
    earlier = _rule(90, ids["Product"], ("text", "contains_any", ["vat"]))
    draft = _rule(None, ids["Support ops"], ("text", "contains_any", ["invoice"]))
    rows = preview_rule(draft, views, earlier=[earlier])
    assert sorted(r.title for r in rows) == ["Invoice in USD", "Invoice missing VAT"]
    assert all(r.owner_changes and r.new_owner_id == ids["Support ops"] for r in rows)
    assert {r.title: r.taken_first_by for r in rows} == {"Invoice in USD": None, "Invoice missing VAT": 90}


signals = st.fixed_dictionaries(
    {
        # Long enough as stored: a NUL is removed before the length is checked ("00\x00" is refused as too short).
        "title": st.text(min_size=3, max_size=40).filter(lambda t: len(storable_text(t).strip()) >= 3),
        "description": st.text(max_size=60),
        "source": st.sampled_from([s.value for s in Source]),
        "severity": st.sampled_from([s.value for s in Severity]),
        "arr": st.none() | st.integers(min_value=0, max_value=2_000_000),
        "account": st.none() | st.sampled_from(["Acme Health", "Globex Bank"]),
        "tp_index": st.integers(min_value=0, max_value=24),
    }
    | {driver: st.booleans() for driver in DRIVERS}
)


@pytest.fixture
def routed_journey(sqlite_store):
    """The default journey and default rules, one rule's team archived, on SQLite (hypothesis reuses it)."""
    from cxos.journey.map import load_journey_template
    from cxos.routing.rule_files import load_default_rules

    load_journey_template(sqlite_store, actor=ADMIN)
    load_default_rules(sqlite_store, actor=ADMIN)
    with sqlite_store.write() as session:
        session.exec(select(Team).where(Team.name == "Community")).one().archived = True
    return sqlite_store, _touchpoints(sqlite_store)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=signals, model_confidence=st.floats(min_value=0, max_value=1))
def test_any_signal_ends_owned_or_in_triage(routed_journey, fields, model_confidence):
    store, tps = routed_journey
    data = {k: v for k, v in fields.items() if k != "tp_index"} | {
        "touchpoint_id": tps[fields["tp_index"]].id
    }
    logged = create_signal(store, signal_in=data, actor=CONTRIBUTOR)
    route_unrouted(store, suggester=lambda s: [(1, model_confidence)], threshold=0.8)
    with store.read() as session:
        signal = session.get(Signal, logged.id)
        in_triage = session.exec(
            select(Signal.id).where(queries.triage_condition(), Signal.id == logged.id)
        ).first()
        archived = session.exec(select(Team.id).where(Team.archived == True)).all()  # noqa: E712
    assert (signal.owner_team_id is not None) != (in_triage is not None)
    assert signal.owner_team_id not in archived
    assert signal.status == ("routed" if signal.owner_team_id else "new")


PATTERNS = [
    r"\binvoices?\b|\bvat\b|\bcurrenc(y|ies)\b",
    r"import\s+fails",
    r"(ab|cd)?xyz",
    r"[ab]cd",
    r"\bwebhooks?\b.*\bretr(y|ies|ied)\b|\bduplicate\b.*\bwebhooks?\b",
    r"^re: .*",
]


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.sampled_from(PATTERNS),
    text=st.text(alphabet="abcdxyz invoicestvrupltwhkmf:\n", max_size=60)
    | st.sampled_from(["Invoice in USD", "CSV IMPORT  FAILS", "webhook retried twice", "re: cdxyz"]),
)
def test_the_regex_shortcut_never_hides_a_match(pattern, text):
    from cxos.routing.rule_engine import required_literals

    needed = required_literals(pattern)
    if needed is not None and re.search(pattern, text.lower(), re.IGNORECASE):
        assert any(word in text.lower() for word in needed)
