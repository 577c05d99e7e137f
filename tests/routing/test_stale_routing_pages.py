"""The routing pages send the versions they drew: a change someone made meanwhile is refused, not overwritten."""

import json

import pytest

from components.common import pages
from cxos.models import Rule, Signal
from cxos.routing import owner_model as suggestions
from cxos.routing.rule_files import export_rules
from cxos.routing.rules import create_rule, list_rules, update_rule
from cxos.signals.writes import update_signal
from cxos.store.store import Store
from tests.stale_pairs import SOMEONE_ELSE, behind_the_page
from tests.test_pages import open_page


@pytest.fixture(autouse=True)
def _fresh_models():
    suggestions.forget()
    yield
    suggestions.forget()


def _refused_naming_someone_else(at) -> bool:
    return any(SOMEONE_ELSE.name in e.value and "after you opened it" in e.value for e in at.error)


def test_one_click_assign_on_a_signal_someone_changed_is_refused(trained_demo_db):
    store = Store(trained_demo_db)
    at = open_page(pages.ROUTING_MODEL.path)
    button = next(b for b in at.button if b.key and b.key.startswith("assign_"))
    signal_id = int(button.key.split("_")[1])
    with store.read() as session:
        version = session.get(Signal, signal_id).version
    behind_the_page(
        lambda: update_signal(
            store,
            signal_id=signal_id,
            expected_version=version,
            changes={"title": "Theirs"},
            actor=SOMEONE_ELSE,
        )
    )
    at.button(key=button.key).click().run()
    assert _refused_naming_someone_else(at)
    with store.read() as session:
        assert session.get(Signal, signal_id).owner_team_id is None


def test_switching_off_a_rule_someone_changed_is_refused(demo_db):
    store = Store(demo_db)
    with store.read() as session:
        rule = list_rules(session)[0]
    at = open_page(pages.ROUTING_RULES.path, name="Dana Kim")  # an admin of the demo
    at.session_state["rule_chosen"] = rule_id = rule.id
    at.run()
    behind_the_page(
        lambda: update_rule(
            store,
            rule_id=rule_id,
            expected_version=rule.version,
            changes={"name": "Theirs"},
            actor=SOMEONE_ELSE,
        )
    )
    at.button(key="rule_toggle").click().run()
    assert _refused_naming_someone_else(at)
    with store.read() as session:
        assert session.get(Rule, rule_id).enabled == rule.enabled


def _replace_from_a_file(store: Store, change=None):
    """An admin uploads the rules file with "replace" ticked; `change` is someone else's, made before the click."""
    at = open_page(pages.ROUTING_RULES.path, name="Dana Kim")  # an admin of the demo
    uploader = next(u for u in at.file_uploader if "rules" in u.label.lower())
    uploader.upload("rules.yaml", export_rules(store).encode(), "application/x-yaml")
    next(c for c in at.checkbox if c.label.startswith("Replace the current rules")).check()
    if change is not None:
        behind_the_page(change)
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_replacing_the_rules_after_someone_changed_one_is_refused(demo_db):
    store = Store(demo_db)
    with store.read() as session:
        rule = list_rules(session)[0]
    at = _replace_from_a_file(
        store,
        lambda: update_rule(
            store,
            rule_id=rule.id,
            expected_version=rule.version,
            changes={"name": "Theirs"},
            actor=SOMEONE_ELSE,
        ),
    )
    assert _refused_naming_someone_else(at)
    with store.read() as session:
        assert session.get(Rule, rule.id).name == "Theirs"


def test_replacing_the_rules_as_drawn_replaces_them(demo_db):
    store = Store(demo_db)
    with store.read() as session:
        before = [(rule.id, rule.name) for rule in list_rules(session)]
    _replace_from_a_file(store)
    with store.read() as session:
        after = list_rules(session)
    assert [rule.name for rule in after] == [name for _, name in before]
    assert not {rule.id for rule in after} & {rule_id for rule_id, _ in before}


def test_replacing_the_rules_after_someone_added_one_is_refused(demo_db):
    """The click's own run already draws the new rule: the page sends the rules drawn before the click."""
    store = Store(demo_db)
    with store.read() as session:
        rule = list_rules(session)[0]
        rule_in = {
            "name": "Theirs, added",
            "owner_team_id": rule.owner_team_id,
            "conditions": json.loads(rule.conditions),
        }
    at = _replace_from_a_file(store, lambda: create_rule(store, rule_in=rule_in, actor=SOMEONE_ELSE))
    assert _refused_naming_someone_else(at)
    with store.read() as session:
        assert "Theirs, added" in [rule.name for rule in list_rules(session)]
