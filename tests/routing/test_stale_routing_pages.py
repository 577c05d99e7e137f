"""The routing pages send the versions they drew: a change someone made meanwhile is refused, not overwritten."""

import pytest

from components.common import pages
from cxos.models import Rule, Signal
from cxos.routing import owner_model as suggestions
from cxos.routing.rules import list_rules, update_rule
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
