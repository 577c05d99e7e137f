"""Routing on arrival on every intake path: the first matching rule, else the stored model when confident, else triage."""

import uuid
from dataclasses import replace

import pytest
from sqlmodel import select

from cxos.importers.batch import import_file
from cxos.importers.mapping import Profile
from cxos.importers.profiles import BUILT_IN, save_profile
from cxos.importers.sheet_source import SheetAddress, import_sheet, read_table
from cxos.models import Event, Signal
from cxos.routing import owner_model
from cxos.routing.accuracy import routing_accuracy
from cxos.routing.model_training import train_and_store
from cxos.routing.rules import create_rule
from cxos.signals import arrival
from cxos.signals.arrival import arrival_router
from cxos.store.sheets.api import connect
from cxos.store.sheets.fake_api import shared_server
from cxos.vocabulary import Decider, RoutedBy, Status
from tests.conftest import ADMIN, COUNCIL
from tests.factories import log_signal, seed_confirmed_routes

SSO_TEXT = "Okta SAML assertion rejected again"
WORKSHEET = "Friction log"


@pytest.fixture(autouse=True)
def _fresh_models():
    owner_model.forget()
    yield
    owner_model.forget()


@pytest.fixture
def unsure(monkeypatch) -> None:
    """A threshold no confidence reaches: every signal no rule takes stays in triage."""
    monkeypatch.setattr(arrival, "confidence_threshold", lambda: 1.01)


@pytest.fixture
def teams(journey_store, touchpoint_id) -> dict[str, int]:
    """Three teams' confirmed routes, and the model trained on them and stored (as the worker would)."""
    teams = seed_confirmed_routes(journey_store, touchpoint_id, per_team=12)
    train_and_store(journey_store)
    return teams


def _events(store, signal_id: int) -> list[Event]:
    with store.read() as session:
        return list(
            session.exec(
                select(Event).where(Event.entity == "signal", Event.entity_id == signal_id).order_by(Event.id)
            )
        )


def _signal(store, title: str) -> Signal:
    with store.read() as session:
        return session.exec(select(Signal).where(Signal.title == title)).one()


def _rule_for(store, team_id: int, word: str) -> int:
    rule = create_rule(
        store,
        rule_in={
            "name": f"{word} to team {team_id}",
            "owner_team_id": team_id,
            "conditions": [{"field": "text", "op": "contains_any", "value": [word]}],
        },
        actor=ADMIN,
    )
    return rule.id


def _assert_routed_by_model(store, signal: Signal, team_id: int) -> None:
    assert (signal.owner_team_id, signal.status, signal.routed_by) == (team_id, Status.ROUTED, "model")
    (owner,) = [e for e in _events(store, signal.id) if e.field == "owner_team_id"]
    note = RoutedBy(owner.note)
    assert note.kind is Decider.MODEL and float(note.detail) >= 0.8


def _assert_in_triage(signal: Signal) -> None:
    assert (signal.owner_team_id, signal.status, signal.routed_by) == (None, Status.NEW, None)


# ---------------------------------------------------------------- the decision


def test_a_confident_model_routes_what_no_rule_takes(journey_store, touchpoint_id, teams):
    decision = arrival_router(journey_store).decide(
        Signal(title=SSO_TEXT, source="ticket", touchpoint_id=touchpoint_id)
    )
    assert decision.team_id == teams["sso"] and decision.outcome == Decider.MODEL
    assert decision.confidence >= 0.8 and len(decision.suggestions) == 3


def test_below_the_threshold_the_signal_waits_with_its_top_three(journey_store, touchpoint_id, teams, unsure):
    decision = arrival_router(journey_store).decide(
        Signal(title=SSO_TEXT, source="ticket", touchpoint_id=touchpoint_id)
    )
    assert decision.team_id is None and decision.outcome == "triage"
    assert [team for team, _ in decision.suggestions][0] == teams["sso"] and len(decision.suggestions) == 3


def test_a_batch_decides_as_one_at_a_time(journey_store, touchpoint_id, teams):
    _rule_for(journey_store, teams["docs"], "invoice")
    router = arrival_router(journey_store)
    batch = [
        {"title": title, "description": "", "source": "ticket", "touchpoint_id": touchpoint_id}
        for title in (SSO_TEXT, "invoice charged twice", "something unheard of")
    ]
    assert router.decide_many(batch) == [router.decide(one) for one in batch]


# ---------------------------------------------------------------- quick entry (the form's service)


def test_form_a_rule_wins_over_a_confident_model(journey_store, touchpoint_id, teams):
    rule_id = _rule_for(journey_store, teams["billing"], "Okta")
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, title=SSO_TEXT)
    assert (signal.owner_team_id, signal.routed_by) == (teams["billing"], RoutedBy.rule(rule_id))


def test_form_the_model_routes_above_the_threshold(journey_store, touchpoint_id, teams):
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, title=SSO_TEXT)
    _assert_routed_by_model(journey_store, signal, teams["sso"])
    assert [e.action for e in _events(journey_store, signal.id)] == ["created", "owner", "status"]


def test_form_below_the_threshold_waits_in_triage(journey_store, touchpoint_id, teams, unsure):
    _assert_in_triage(log_signal(journey_store, touchpoint_id=touchpoint_id, title=SSO_TEXT))


def test_form_without_a_stored_model_routes_by_rules_only_then_triage(journey_store, touchpoint_id):
    teams = seed_confirmed_routes(journey_store, touchpoint_id, per_team=12)  # history, but nothing trained
    rule_id = _rule_for(journey_store, teams["billing"], "invoice")
    by_rule = log_signal(journey_store, touchpoint_id=touchpoint_id, title="invoice charged twice")
    assert by_rule.routed_by == RoutedBy.rule(rule_id)
    _assert_in_triage(log_signal(journey_store, touchpoint_id=touchpoint_id, title=SSO_TEXT))


def test_model_routes_count_separately_in_routing_accuracy(journey_store, touchpoint_id, teams):
    rule_id = _rule_for(journey_store, teams["billing"], "invoice")
    log_signal(journey_store, touchpoint_id=touchpoint_id, title=SSO_TEXT)
    log_signal(journey_store, touchpoint_id=touchpoint_id, title="invoice charged twice")
    with journey_store.read() as session:
        accuracy = routing_accuracy(session)
    assert accuracy.by_decider[Decider.MODEL].routed == 1
    assert accuracy.by_decider[RoutedBy.rule(rule_id)].routed == 1


# ---------------------------------------------------------------- a file import


def _import_csv(store, touchpoint_id: int, *titles: str):
    body = "Title,Ticket\n" + "".join(f"{title},T-{n}\n" for n, title in enumerate(titles))
    profile = replace(
        BUILT_IN["Generic CSV"],
        mapping={"Title": "title", "Ticket": "external_ref"},
        default_source="ticket",
        default_touchpoint_id=touchpoint_id,
    )
    return import_file(store, data=body.encode(), filename="export.csv", profile=profile, actor=COUNCIL)


def test_import_the_model_routes_above_the_threshold(journey_store, touchpoint_id, teams):
    _rule_for(journey_store, teams["billing"], "invoice")
    report = _import_csv(journey_store, touchpoint_id, SSO_TEXT, "invoice charged twice")
    assert (report.imported, report.routed, report.routed_by_model) == (2, 2, 1)
    assert "1 routed by rules, 1 by the owner model, 0 to triage" in report.summary()
    _assert_routed_by_model(journey_store, _signal(journey_store, SSO_TEXT), teams["sso"])


def test_import_below_the_threshold_waits_in_triage(journey_store, touchpoint_id, teams, unsure):
    report = _import_csv(journey_store, touchpoint_id, SSO_TEXT)
    assert (report.imported, report.routed) == (1, 0)
    _assert_in_triage(_signal(journey_store, SSO_TEXT))


def test_import_without_a_stored_model_leaves_unmatched_rows_in_triage(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=12)
    report = _import_csv(journey_store, touchpoint_id, SSO_TEXT)
    assert (report.imported, report.routed) == (1, 0)
    _assert_in_triage(_signal(journey_store, SSO_TEXT))


# ---------------------------------------------------------------- a sheet pull


def _pull(store, touchpoint_id: int, title: str):
    name = f"team-{uuid.uuid4().hex[:10]}"
    server, key = shared_server(name)
    connect(name, key, transport=server).add_worksheets([WORKSHEET], columns=4)
    for col, value in enumerate(["What happened", "Ticket"], start=1):
        server.set_cell(name, WORKSHEET, 1, col, value)
    for col, value in enumerate([title, "S-1"], start=1):
        server.set_cell(name, WORKSHEET, 2, col, value)
    profile = save_profile(
        store,
        profile=Profile(
            "Team sheet",
            "google_sheet",
            {"What happened": "title", "Ticket": "external_ref"},
            default_source="other",
            default_touchpoint_id=touchpoint_id,
        ),
        actor=COUNCIL,
    )
    address, table = read_table(SheetAddress(name, WORKSHEET, fake=True))
    return import_sheet(store, address=address, table=table, profile=profile, actor=COUNCIL)


def test_sheet_pull_the_model_routes_above_the_threshold(journey_store, touchpoint_id, teams):
    report = _pull(journey_store, touchpoint_id, SSO_TEXT)
    assert (report.imported, report.routed_by_model) == (1, 1)
    _assert_routed_by_model(journey_store, _signal(journey_store, SSO_TEXT), teams["sso"])


def test_sheet_pull_below_the_threshold_waits_in_triage(journey_store, touchpoint_id, teams, unsure):
    report = _pull(journey_store, touchpoint_id, SSO_TEXT)
    assert (report.imported, report.routed) == (1, 0)
    _assert_in_triage(_signal(journey_store, SSO_TEXT))


def test_the_log_friction_page_routes_by_the_stored_model(trained_demo_db):
    """The form itself, on the demo with its trained model: a signal no rule takes is owned on arrival."""
    from components.common import pages
    from components.common.data import load_journey
    from cxos.store.store import Store
    from cxos.vocabulary import Source
    from tests.test_pages import open_page

    at = open_page(pages.LOG_FRICTION.path)
    generation = at.session_state["entry_generation"]
    at.text_input(key=f"entry_title_{generation}").input("Okta users missing after SCIM sync")
    at.session_state[f"entry_touchpoint_id_{generation}"] = load_journey().touchpoints[0].id
    at.session_state[f"entry_source_{generation}"] = Source("slack")  # no demo rule takes this one
    at.button[0].click().run()
    assert not at.exception
    store = Store(trained_demo_db)
    try:
        signal = _signal(store, "Okta users missing after SCIM sync")
        _assert_routed_by_model(store, signal, signal.owner_team_id)
    finally:
        store.dispose()
