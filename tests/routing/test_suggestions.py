"""The owner model: learns who owns what from confirmed routes, and says nothing without enough history."""

import pytest

from cxos.models import Signal
from cxos.routing import owner_model as suggestions
from cxos.routing.model_training import train_and_store
from cxos.vocabulary import ModelState
from tests.factories import PREFIXES, VOCABULARY, seed_confirmed_routes


def _fixture_texts() -> tuple[list[str], list[str]]:
    texts, owners = [], []
    for owner, phrases in VOCABULARY.items():
        for prefix in PREFIXES:
            for phrase in phrases:
                texts.append(f"{prefix} {phrase}")
                owners.append(owner)
    return texts, owners


@pytest.fixture(autouse=True)
def _fresh_models():
    suggestions.forget()
    yield
    suggestions.forget()


def test_model_learns_distinct_vocabularies_with_high_confidence():
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners)
    ranked = model.suggest(
        ["our invoice shows a double charge", "Okta SAML login fails", "the webhooks article is outdated"]
    )
    assert [r[0][0] for r in ranked] == ["billing", "sso", "docs"]
    assert all(r[0][1] >= 0.8 for r in ranked)
    assert [len(r) for r in ranked] == [3, 3, 3]


def test_suggestions_are_ranked_and_their_confidences_are_probabilities():
    texts, owners = _fixture_texts()
    top3 = suggestions.train_owner_model(texts, owners).top3("refund the invoice")
    confidences = [c for _, c in top3]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= c <= 1 for c in confidences) and sum(confidences) == pytest.approx(1, abs=1e-6)


def test_training_with_one_owner_is_refused():
    with pytest.raises(ValueError, match="at least 2 owners"):
        suggestions.train_owner_model(["a", "b", "c", "d"], ["x", "x", "x", "x"])


def test_owners_with_too_few_rows_are_left_out_of_the_model():
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model([*texts, "one-off oddity"], [*owners, "rare"])
    assert sorted(model.classes) == ["billing", "docs", "sso"]


def test_no_suggester_without_enough_confirmed_history(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=2)
    assert train_and_store(journey_store).state is ModelState.UNTRAINED
    assert suggestions.suggester_for(journey_store) is None
    assert suggestions.model_status(journey_store).confirmed_routes == 6


def test_suggester_names_the_team_that_owns_such_signals(journey_store, touchpoint_id):
    teams = seed_confirmed_routes(journey_store, touchpoint_id, per_team=12)
    train_and_store(journey_store)
    suggest = suggestions.suggester_for(journey_store)
    team_id, confidence = suggest(
        Signal(title="Okta SAML assertion rejected again", source="ticket", touchpoint_id=touchpoint_id)
    )[0]
    assert team_id == teams["sso"] and confidence >= 0.8


def test_recent_automatic_routes_are_not_yet_confirmed(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=12, routed_by="rule:1", routed_days_ago=2)
    assert suggestions.confirmed_routes(journey_store) == []


@pytest.mark.parametrize(
    "routed_by, status, days_ago",
    [
        ("person:Priya Shah", "routed", 0),  # set or corrected by hand
        ("model", "fixing", 0),  # the owner is working it
        ("rule:3", "routed", 8),  # nobody changed it for a week
    ],
)
def test_confirmed_routes(journey_store, touchpoint_id, routed_by, status, days_ago):
    seed_confirmed_routes(
        journey_store, touchpoint_id, per_team=1, routed_by=routed_by, status=status, routed_days_ago=days_ago
    )
    assert len(suggestions.confirmed_routes(journey_store)) == 3


def test_triage_signals_are_not_training_data(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=12)
    with journey_store.write() as session:
        session.add(Signal(title="unowned", source="ticket", touchpoint_id=touchpoint_id))
    assert all(route.owner_team_id is not None for route in suggestions.confirmed_routes(journey_store))
    assert len(suggestions.confirmed_routes(journey_store)) == 36


def test_confidence_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CXOS_ROUTING_CONFIDENCE", "0.65")
    assert suggestions.confidence_threshold() == 0.65


def test_a_batch_of_signals_gets_the_same_suggestions_as_one_at_a_time(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    suggest = suggestions.suggester_for(journey_store)
    signals = [
        Signal(title=title, source="ticket", touchpoint_id=touchpoint_id)
        for title in ("VAT missing", "Okta login", "broken tutorial link")
    ]
    assert [[t for t, _ in one] for one in suggest.many(signals)] == [
        [t for t, _ in suggest(s)] for s in signals
    ]


def test_two_owners_get_probabilities_for_both():
    texts, owners = _fixture_texts()
    two = [(t, o) for t, o in zip(texts, owners, strict=True) if o != "docs"]
    model = suggestions.train_owner_model([t for t, _ in two], [o for _, o in two])
    (best, first), (other, second) = model.top3("Okta SAML login fails")
    assert (best, other) == ("sso", "billing") and first > 0.8 and first + second == pytest.approx(1)


def test_a_text_of_words_never_seen_is_never_a_sure_route():
    # Without known words the scores are the owners' intercepts; a sharp temperature made them "99.8% sure".
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners)
    [nonsense, paraphrase] = model.suggest(["qzx vbn wplk", "our invoice shows a double charge"])
    assert max(c for _, c in nonsense) == 0
    assert paraphrase[0][0] == "billing" and paraphrase[0][1] >= 0.8  # "charge" is known from "charged"


def test_a_model_stored_before_known_words_were_kept_still_suggests():
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners)
    model.known_grams = None  # as unpickled from an older record
    assert model.top3("qzx vbn wplk")[0][1] > 0
