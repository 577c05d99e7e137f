"""The rule set's word look-up skips only rules that could not have matched: the first match is the same as
testing every rule in order, and a view's words are split only when some rule reads words."""

import random

from cxos.routing.rule_engine import RuleSet, compile_rule, signal_view

WORDS = ["sso", "invoice", "refund", "export", "slow", "login", "vat", "csv"]
RULES = [
    {"match": "all", "conditions": [{"field": "text", "op": "contains_any", "value": ["sso", "login"]}]},
    {
        "match": "all",
        "conditions": [
            {"field": "severity", "op": "is", "value": "high"},
            {"field": "text", "op": "contains_any", "value": ["refund"]},
        ],
    },
    {
        "match": "any",
        "conditions": [
            {"field": "text", "op": "contains_any", "value": ["vat"]},
            {"field": "text", "op": "contains_any", "value": ["csv", "export"]},
        ],
    },
    {
        "match": "any",  # one condition reads no words: this rule is always tested
        "conditions": [
            {"field": "text", "op": "contains_any", "value": ["slow"]},
            {"field": "source", "op": "is", "value": "call"},
        ],
    },
    {"match": "all", "conditions": [{"field": "text", "op": "matches", "value": r"invoice\s+\d+"}]},
    {"match": "all", "conditions": [{"field": "text", "op": "contains_any", "value": ["refund request"]}]},
]


def rule_set() -> RuleSet:
    return RuleSet(
        tuple(
            compile_rule({"id": n, "name": f"r{n}", "position": n, "owner_team_id": n, **rule})
            for n, rule in enumerate(RULES, start=1)
        )
    )


def test_the_first_match_is_the_one_testing_every_rule_in_order_gives():
    rules, rng = rule_set(), random.Random(3)
    assert [rule.needs_words for rule in rules.rules][:4] == [
        frozenset({"sso", "login"}),
        frozenset({"refund"}),
        frozenset({"vat", "csv", "export"}),
        None,
    ]
    for _ in range(3000):
        text = " ".join(
            rng.choices([*WORDS, "invoice 12", "refund request", "Refund", "the"], k=rng.randint(0, 6))
        )
        fields = {
            "title": text,
            "source": rng.choice(["call", "ticket"]),
            "severity": rng.choice(["high", "low"]),
            "touchpoint_id": 1,
        }
        view = signal_view(fields, {})
        expected = next((rule for rule in rules.rules if rule.matches(signal_view(fields, {}))), None)
        assert rules.first_match(view) == expected, text


def test_words_are_split_only_when_a_rule_reads_words():
    no_words = RuleSet(
        (
            compile_rule(
                {
                    "id": 1,
                    "name": "calls",
                    "owner_team_id": 1,
                    "conditions": [{"field": "source", "op": "is", "value": "call"}],
                }
            ),
        )
    )
    view = signal_view({"title": "SSO login loops", "source": "ticket", "touchpoint_id": 1}, {})
    assert no_words.first_match(view) is None and view._words is None
    assert rule_set().first_match(view).id == 1 and view.words == frozenset({"sso", "login", "loops"})
