"""The routing rules page: the editor and its test bench, order changes, refusals, and who may change rules."""

import json

from sqlmodel import select

from components.common import pages
from cxos.models import Event, Rule, Signal, Team
from cxos.routing.rules import list_rules
from cxos.store.store import Store
from tests.test_pages import open_page

PAGE = pages.ROUTING_RULES.path
ADMIN_NAME = "Dana Kim"
NEW = "rule_new_0"


def _rules(url: str) -> list[Rule]:
    store = Store(url)
    with store.read() as session:
        rules = list_rules(session)
    store.dispose()
    return rules


def _team_id(url: str, name: str) -> int:
    store = Store(url)
    with store.read() as session:
        team_id = session.exec(select(Team.id).where(Team.name == name)).one()
    store.dispose()
    return team_id


def _draft(
    at, url: str, conditions: str, *, name: str = "Invoices to Support ops", team: str = "Support ops"
):
    at.text_input(key=f"{NEW}_name").input(name)
    at.session_state[f"{NEW}_owner"] = _team_id(url, team)
    at.text_area(key=f"{NEW}_conditions").input(conditions)
    return at


def _press(at, label: str):
    return next(b for b in at.button if b.label == label).click().run()


def test_test_bench_shows_what_a_draft_catches_before_saving(demo_db):
    before = _rules(demo_db)
    at = _draft(open_page(PAGE, name=ADMIN_NAME), demo_db, "touchpoint is Data import")
    at = _press(at, "Try it on the last 500 signals")
    assert not at.exception and not at.error
    bench = next(m.value for m in at.markdown if "Test bench" in m.value)
    caught = int(bench.split("catches ")[1].split(" of")[0].replace(",", ""))
    assert caught > 0 and "of the last 400 signals" in bench  # the demo fixture has 400
    assert len(at.dataframe[1].value) == caught
    assert any("Owner would change for" in c.value for c in at.caption)
    assert _rules(demo_db) == before  # trying saves nothing


def test_admin_saves_a_new_rule_at_the_end_with_its_event(demo_db):
    count = len(_rules(demo_db))
    at = _draft(
        open_page(PAGE, name=ADMIN_NAME), demo_db, "text contains_any invoice, VAT\narr between 50000.."
    )
    at = _press(at, "Save rule")
    assert not at.exception and not at.error
    rules = _rules(demo_db)
    assert len(rules) == count + 1 and rules[-1].name == "Invoices to Support ops"
    assert json.loads(rules[-1].conditions)[1] == {"field": "arr", "op": "between", "value": [50000, None]}
    assert any(f"Rule #{rules[-1].id} saved" in s.value for s in at.success)
    store = Store(demo_db)
    with store.read() as session:
        assert (
            session.exec(select(Event).where(Event.entity == "rule", Event.entity_id == rules[-1].id))
            .one()
            .actor
            == ADMIN_NAME
        )
    store.dispose()


def test_a_bad_regex_is_refused_with_its_line_and_nothing_is_saved(demo_db):
    count = len(_rules(demo_db))
    at = _draft(open_page(PAGE, name=ADMIN_NAME), demo_db, "source is ticket\ntext matches invoice(s")
    at = _press(at, "Save rule")
    assert len(_rules(demo_db)) == count
    message = " ".join(e.value for e in at.error)
    assert "line 2" in message and "does not compile" in message
    assert at.text_area(key=f"{NEW}_conditions").value == "source is ticket\ntext matches invoice(s"  # kept


def test_admin_moves_a_rule_up(demo_db):
    second = _rules(demo_db)[1]
    at = open_page(PAGE, name=ADMIN_NAME)
    at.session_state["rule_chosen"] = second.id
    at = _press(at.run(), "Move up")
    assert not at.exception
    assert _rules(demo_db)[0].id == second.id
    assert any("moved up" in s.value for s in at.success)


def test_council_sees_rules_and_accuracy_but_no_editor(demo_db):
    at = open_page(PAGE, name="Priya Shah")
    assert not at.exception
    assert [m.label for m in at.metric][0] == "Routing accuracy"
    assert not any(b.label == "Save rule" for b in at.button)
    assert any("Only admins change rules" in c.value for c in at.caption)


def test_a_rule_for_an_archived_team_is_shown_as_a_warning(demo_db):
    store = Store(demo_db)
    with store.write() as session:
        session.exec(select(Team).where(Team.name == "Community")).one().archived = True
    store.dispose()
    at = open_page(PAGE, name="Priya Shah")
    assert any("Community spaces" in w.value and "triage" in w.value for w in at.warning)
    assert "⚠ team archived" in at.dataframe[0].value["State"].tolist()


def test_council_routes_the_waiting_signals_from_the_page(demo_db):
    from cxos.identity import Actor
    from cxos.signals.writes import create_signal
    from cxos.vocabulary import Role

    store = Store(demo_db)
    waiting = create_signal(
        store,
        signal_in={"title": "Webhook fired twice", "source": "community", "touchpoint_id": 1},
        actor=Actor("Carla Diaz", Role.CONTRIBUTOR),
    )
    store.dispose()
    assert waiting.owner_team_id is None  # no rule catches it
    at = open_page(PAGE, name="Priya Shah")
    assert any("new signals wait in triage" in m.value for m in at.markdown)
    at = _press(at, "Route them now")
    assert not at.exception and not at.error
    assert any(s.value.startswith("Routed ") for s in at.success)
    store = Store(demo_db)
    with store.read() as session:
        signal = session.get(Signal, waiting.id)
    store.dispose()
    assert (signal.owner_team_id is not None and signal.routed_by == "model") or signal.status == "new"


def test_a_pattern_that_ran_out_of_time_is_named_on_the_rules_page(demo_db, monkeypatch):
    from collections import Counter

    monkeypatch.setattr("cxos.routing.patterns._timeouts", Counter({"(a|b|ab)*c <b>x</b>": 3}))
    at = open_page(PAGE, name=ADMIN_NAME)
    warned = [w.value for w in at.warning if "ran out of time" in w.value]
    assert warned and "3 signals" in warned[0] and "<b>" not in warned[0], warned
