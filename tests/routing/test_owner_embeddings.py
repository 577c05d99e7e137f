"""The owner model's optional embedding block: used when its package loads, TF-IDF alone when not, and a
model trained with it refused (not fed other features) by a process without it."""

import sys

import numpy as np
import pytest
from sqlmodel import select

from cxos.models import OwnerModelRecord
from cxos.routing import owner_model as suggestions
from cxos.routing import placement_model, text_embedding
from cxos.routing.model_training import train_and_store
from tests.factories import PREFIXES, VOCABULARY, seed_confirmed_routes
from tests.importers.test_placement import teach_placement

needs_encoder = pytest.mark.skipif(
    text_embedding.encoder_name() is None, reason="wordllama is not installed here"
)


def _fixture_texts() -> tuple[list[str], list[str]]:
    pairs = [(f"{p} {phrase}", owner) for owner, ps in VOCABULARY.items() for p in PREFIXES for phrase in ps]
    return [t for t, _ in pairs], [o for _, o in pairs]


@pytest.fixture(autouse=True)
def _fresh_models():
    suggestions.forget()
    placement_model.forget()
    yield
    suggestions.forget()
    placement_model.forget()


@pytest.fixture
def without_the_package(monkeypatch):
    """As a process where wordllama cannot be imported (not installed, or broken)."""
    monkeypatch.setitem(sys.modules, "wordllama", None)  # `import wordllama` raises ImportError
    text_embedding.forget()
    yield
    text_embedding.forget()


@needs_encoder
def test_a_model_trained_where_the_encoder_loads_uses_it_and_says_which():
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners)
    assert model.encoder is not None and model.encoder.startswith("wordllama ") and model.usable
    assert model.transform(["x"]).shape[1] == model.features.transform(["x"]).shape[1] + text_embedding.DIM
    ranked = model.suggest(["our invoice shows a double charge", "Okta SAML login fails"])
    assert [r[0][0] for r in ranked] == ["billing", "sso"] and all(r[0][1] >= 0.8 for r in ranked)


@needs_encoder
def test_gibberish_is_still_never_a_sure_route_with_the_embeddings():
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners)
    [nonsense] = model.suggest(["qzx vbn wplk"])
    assert max(c for _, c in nonsense) == 0


@needs_encoder
def test_a_text_with_no_token_embeds_as_zeros_not_nan():
    block = text_embedding.embed(["", "a card payment"], text_embedding.encoder_name() or "")
    lengths = np.linalg.norm(block.toarray(), axis=1)
    assert lengths == pytest.approx([0, text_embedding.WEIGHT])


@needs_encoder
def test_the_stored_model_keeps_the_encoders_name_not_its_weights(journey_store, touchpoint_id):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    with journey_store.read() as session:
        blob = session.exec(select(OwnerModelRecord.model)).one()
    assert blob is not None and len(blob) < 1_000_000  # the encoder's weights are 16 MB
    assert suggestions.owner_model(journey_store).encoder == text_embedding.encoder_name()


def test_without_the_package_the_model_is_tfidf_alone(without_the_package):
    assert text_embedding.encoder_name() is None
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners)
    assert model.encoder is None and model.usable
    assert model.transform(["x"]).shape == model.features.transform(["x"]).shape
    assert model.top3("Okta SAML login fails")[0][0] == "sso"
    [nonsense] = model.suggest(["qzx vbn wplk"])
    assert max(c for _, c in nonsense) == 0


def test_embeddings_can_be_left_out_by_the_caller():
    texts, owners = _fixture_texts()
    assert suggestions.train_owner_model(texts, owners, embeddings=False).encoder is None


def test_a_model_stored_before_the_block_existed_is_tfidf_alone():
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners, embeddings=False)
    del model.encoder  # as unpickled from an older record: the field's default applies
    assert model.encoder is None and model.usable and model.top3("Okta SAML login fails")[0][0] == "sso"


@needs_encoder
def test_a_replica_without_the_encoder_refuses_the_stored_model(journey_store, touchpoint_id, monkeypatch):
    seed_confirmed_routes(journey_store, touchpoint_id, per_team=8)
    train_and_store(journey_store)
    trained_with = suggestions.owner_model(journey_store).encoder
    suggestions.forget()
    monkeypatch.setattr(text_embedding, "encoder_name", lambda: None)  # a replica installed without it
    status = suggestions.model_status(journey_store)
    assert status.model is None and status.info is not None
    assert status.refused and trained_with in status.refused
    assert suggestions.suggester_for(journey_store) is None  # so its signals wait in triage
    with pytest.raises(LookupError):
        text_embedding.embed(["x"], trained_with or "")


@needs_encoder
def test_a_replica_with_another_version_of_the_encoder_refuses_the_model(monkeypatch):
    texts, owners = _fixture_texts()
    model = suggestions.train_owner_model(texts, owners)
    monkeypatch.setattr(text_embedding, "encoder_name", lambda: "wordllama 9.9 l2_supercat 256d ×1.5")
    assert not model.usable


@needs_encoder
def test_the_placement_model_is_refused_the_same_way(journey_store, monkeypatch):
    teach_placement(journey_store)
    assert placement_model.placement_model(journey_store).encoder == text_embedding.encoder_name()
    placement_model.forget()
    monkeypatch.setattr(text_embedding, "encoder_name", lambda: None)
    assert placement_model.placement_model(journey_store) is None  # so rows wait unplaced


def test_the_routing_model_page_says_why_a_stored_model_is_not_used():
    from components.routing.suggestion_panels import training_note

    status = suggestions.ModelStatus(None, None, None, None, refused="it was trained with the x embeddings")
    assert "not used by this app, so signals wait in triage: it was trained with the x embeddings" in (
        training_note(status)
    )
