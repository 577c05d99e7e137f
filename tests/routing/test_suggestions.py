"""The owner model: learns who owns what from confirmed routes, and says nothing without enough history."""

from datetime import timedelta

import pytest
from sqlmodel import select

from cxos.clock import utcnow
from cxos.models import Signal, Team
from cxos.routing import owner_model as suggestions

VOCABULARY = {
    "billing": [
        "invoice charged twice",
        "refund for the annual plan",
        "credit card declined at renewal",
        "VAT missing on the invoice",
        "proration on upgrade looks wrong",
    ],
    "docs": [
        "help article about webhooks is outdated",
        "search in the knowledge base finds nothing",
        "guide screenshots show the old menu",
        "API reference lacks an example",
        "tutorial link is broken",
    ],
    "sso": [
        "SAML login loops back to the sign-in page",
        "Okta assertion rejected",
        "SCIM provisioning failed",
        "single sign-on certificate expired",
        "Azure AD group mapping ignored",
    ],
}
PREFIXES = ["Customer says", "Ticket:", "Again:", "From Slack:", "Escalation -", "Call note:"]


def _fixture_texts() -> tuple[list[str], list[str]]:
    texts, owners = [], []
    for owner, phrases in VOCABULARY.items():
        for prefix in PREFIXES:
            for phrase in phrases:
                texts.append(f"{prefix} {phrase}")
                owners.append(owner)
    return texts, owners


def _seed(
    store,
    touchpoint_id: int,
    *,
    per_team: int,
    routed_by: str = "person:Priya Shah",
    status: str = "routed",
    routed_days_ago: float = 1,
) -> dict[str, int]:
    """Owned signals written straight to the table: `per_team` per vocabulary, each team a real team."""
    with store.read() as session:
        team_ids = [t.id for t in session.exec(select(Team).order_by(Team.id)).all()][: len(VOCABULARY)]
    teams = dict(zip(VOCABULARY, team_ids, strict=True))
    routed_at = utcnow() - timedelta(days=routed_days_ago)
    with store.write() as session:
        for owner, phrases in VOCABULARY.items():
            for n in range(per_team):
                session.add(
                    Signal(
                        title=f"{PREFIXES[n % len(PREFIXES)]} {phrases[n % len(phrases)]}",
                        source="ticket",
                        touchpoint_id=touchpoint_id,
                        owner_team_id=teams[owner],
                        status=status,
                        routed_by=routed_by,
                        routed_at=routed_at,
                        created_at=routed_at - timedelta(hours=2),
                    )
                )
    return teams


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
    _seed(journey_store, touchpoint_id, per_team=2)
    assert suggestions.suggester_for(journey_store) is None
    assert suggestions.model_status(journey_store).confirmed_routes == 6


def test_suggester_names_the_team_that_owns_such_signals(journey_store, touchpoint_id):
    teams = _seed(journey_store, touchpoint_id, per_team=12)
    suggest = suggestions.suggester_for(journey_store)
    team_id, confidence = suggest(
        Signal(title="Okta SAML assertion rejected again", source="ticket", touchpoint_id=touchpoint_id)
    )[0]
    assert team_id == teams["sso"] and confidence >= 0.8


def test_recent_automatic_routes_are_not_yet_confirmed(journey_store, touchpoint_id):
    _seed(journey_store, touchpoint_id, per_team=12, routed_by="rule:1", routed_days_ago=2)
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
    _seed(
        journey_store, touchpoint_id, per_team=1, routed_by=routed_by, status=status, routed_days_ago=days_ago
    )
    assert len(suggestions.confirmed_routes(journey_store)) == 3


def test_triage_signals_are_not_training_data(journey_store, touchpoint_id):
    _seed(journey_store, touchpoint_id, per_team=12)
    with journey_store.write() as session:
        session.add(Signal(title="unowned", source="ticket", touchpoint_id=touchpoint_id))
    assert all(route.owner_team_id is not None for route in suggestions.confirmed_routes(journey_store))
    assert len(suggestions.confirmed_routes(journey_store)) == 36


def test_the_model_is_cached_until_retrained(journey_store, touchpoint_id):
    _seed(journey_store, touchpoint_id, per_team=8)
    first = suggestions.model_status(journey_store)
    _seed(journey_store, touchpoint_id, per_team=4)
    assert suggestions.model_status(journey_store) is first
    assert suggestions.retrain(journey_store).model.rows == 36


def test_a_day_old_model_is_trained_again(journey_store, touchpoint_id, monkeypatch):
    _seed(journey_store, touchpoint_id, per_team=8)
    first = suggestions.model_status(journey_store)
    monkeypatch.setattr(suggestions, "utcnow", lambda: first.checked_at + timedelta(days=1, minutes=1))
    assert suggestions.model_status(journey_store) is not first


def test_confidence_threshold_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("CXOS_ROUTING_CONFIDENCE", "0.65")
    assert suggestions.confidence_threshold() == 0.65


def test_without_enough_history_the_store_is_looked_at_again_within_minutes(
    journey_store, touchpoint_id, monkeypatch
):
    assert suggestions.model_status(journey_store).model is None
    _seed(journey_store, touchpoint_id, per_team=8)
    later = utcnow() + suggestions.RECHECK_UNTRAINED + timedelta(seconds=1)
    monkeypatch.setattr(suggestions, "utcnow", lambda: later)
    assert suggestions.model_status(journey_store).model is not None


def test_a_batch_of_signals_gets_the_same_suggestions_as_one_at_a_time(journey_store, touchpoint_id):
    _seed(journey_store, touchpoint_id, per_team=8)
    suggest = suggestions.suggester_for(journey_store)
    signals = [
        Signal(title=title, source="ticket", touchpoint_id=touchpoint_id)
        for title in ("VAT missing", "Okta login", "broken tutorial link")
    ]
    assert [[t for t, _ in one] for one in suggest.many(signals)] == [
        [t for t, _ in suggest(s)] for s in signals
    ]
