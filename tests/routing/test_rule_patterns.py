"""Rule regexes cannot stall the process, and a rule file's shape is checked with line numbers."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cxos.errors import ValidationFailed
from cxos.routing.patterns import compile_pattern, pattern_search, search_timeouts
from cxos.routing.rule_engine import compile_rule
from cxos.routing.rule_files import import_rules
from cxos.routing.rules import check_condition, check_rule, rule_context
from tests.conftest import ADMIN

ROOT = Path(__file__).resolve().parents[2]
ROUTE_A_RUNAWAY_TITLE = textwrap.dedent(
    """
    from cxos.routing.rule_engine import compile_rule, signal_view
    rule = compile_rule({"name": "runaway", "owner_team_id": 1,
                         "conditions": [{"field": "text", "op": "matches", "value": "(a+)+$"}]})
    view = signal_view({"title": "a" * 34 + "!", "source": "ticket", "touchpoint_id": 1}, {})
    print(rule.matches(view))
    """
)


def test_a_nested_repeat_on_a_long_title_does_not_stall_routing():
    # With the standard library's re this search backtracks 2**34 times (hours); the child is killed at 120 s.
    done = subprocess.run(
        [sys.executable, "-c", ROUTE_A_RUNAWAY_TITLE], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("pattern", [r"(a|aa)+$", r"(a|a)*$", r"(x|xx)+$"])
def test_a_pattern_that_backtracks_without_end_is_refused_when_saved(pattern):
    with pytest.raises(ValueError, match="takes too long"):
        check_condition({"field": "text", "op": "matches", "value": pattern})


@pytest.mark.parametrize("pattern", [r"\binvoices?\b|\bvat\b", r"import\s+fails", r"^re: .*", r"(a+)+$"])
def test_ordinary_patterns_compile_and_match_case_insensitively(pattern):
    compile_pattern(pattern)
    assert pattern_search(r"import\s+fails")("CSV IMPORT  FAILS")


def test_a_search_that_runs_out_of_time_is_no_match_and_is_counted_for_the_rules_page(monkeypatch, caplog):
    search = pattern_search(r"(a|b|ab)*c")
    before = dict(search_timeouts()).get(r"(a|b|ab)*c", 0)
    monkeypatch.setattr("cxos.routing.patterns.SEARCH_TIMEOUT_S", 1e-9)
    assert search("ab" * 5000) is False
    assert dict(search_timeouts())[r"(a|b|ab)*c"] == before + 1
    assert "ran out of time" in caplog.text


def test_the_save_time_probe_has_one_budget_for_all_its_tries(monkeypatch):
    # a budget already spent refuses at the first try, however many characters the pattern has to probe
    monkeypatch.setattr("cxos.routing.patterns.PROBE_TIMEOUT_S", -1.0)
    with pytest.raises(ValueError, match="takes too long"):
        compile_pattern(r"abcdefghijklmnopqrstuvwxyz0123456789 never cached before")


def test_a_rule_without_conditions_is_never_compiled_into_a_catch_all():
    with pytest.raises(ValueError, match="no conditions"):
        compile_rule({"name": "all", "owner_team_id": 1, "conditions": "[]"})


def test_conditions_given_as_a_string_are_refused_by_the_service(journey_store):
    with journey_store.read() as session:
        context = rule_context(session)
    team = next(iter(context.team_ids.values()))
    with pytest.raises(ValidationFailed) as refused:
        check_rule({"name": "x", "owner_team_id": team, "conditions": "source is ticket"}, context)
    assert "list" in refused.value.problems["conditions"]


@pytest.mark.parametrize(
    ("rule", "line", "why"),
    [
        ("    conditions: source is ticket\n", 5, "conditions must be a list"),
        ("    conditions: [text contains_any invoice]\n", 5, "each a mapping"),
        ("    conditions: {field: source, op: is, value: ticket}\n", 5, "conditions must be a list"),
        ("    enabled: 'no'\n    conditions: [{field: source, op: is, value: ticket}]\n", 5, "true or false"),
        ("    match: every\n    conditions: [{field: source, op: is, value: ticket}]\n", 5, "all or any"),
        ("    root_cause: [policy]\n    conditions: [{field: source, op: is, value: ticket}]\n", 5, "layer"),
    ],
)
def test_a_rule_file_of_the_wrong_shape_is_refused_at_its_line(journey_store, rule, line, why):
    text = "rules:\n  - name: Invoices\n    owner: Product\n    # the shape under test\n" + rule
    with pytest.raises(ValidationFailed) as refused:
        import_rules(journey_store, text=text, actor=ADMIN)
    assert why in refused.value.problems[f"line {line}"]


def test_an_owner_that_is_a_list_is_refused_at_its_line(journey_store):
    text = "rules:\n  - name: Invoices\n    owner: [Product]\n    conditions: [{field: source, op: is, value: ticket}]\n"
    with pytest.raises(ValidationFailed) as refused:
        import_rules(journey_store, text=text, actor=ADMIN)
    assert "owner must be a team's name" in refused.value.problems["line 3"]
