"""The owner model: a local text classifier, trained on confirmed routes, that suggests which team owns a signal.

A *confirmed route* is a signal whose current owner the council set or kept:
  - an owned signal routed by a person (`routed_by` "person:<name>": set or corrected by hand), or
  - an owned signal past "routed" in the lifecycle (linked, fixing, fixed, loop closed, won't fix):
    the owner worked it, so the owner was right, or
  - an owned signal routed (by a rule or the model) at least 7 days ago: `routed_at` moves with every
    owner change, so nobody has changed it for a week.
Input text is title + description + touchpoint name (the touchpoint alone is a strong hint).
"""

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlmodel import select

from cxos.models import Signal, Touchpoint, utcnow
from cxos.store import Store
from cxos.vocabulary import Status

Suggestion = tuple[int, float]  # (team id, confidence 0..1), best first
Suggester = Callable[[Signal], list[Suggestion]]

MIN_ROWS = 20  # fewer confirmed routes than this and the model would only echo noise
MIN_CLASSES = 2
CONFIRM_AFTER = timedelta(days=7)
MAX_AGE = timedelta(days=1)  # a cached model older than this is retrained on next use
WORKED_STATUSES = {Status.LINKED, Status.FIXING, Status.FIXED, Status.LOOP_CLOSED, Status.WONT_FIX}


@dataclass
class OwnerModel:
    """A fitted pipeline plus what the page shows about its training."""

    pipeline: object
    classes: list[int]
    rows: int
    trained_at: datetime
    training_seconds: float
    extra: dict = field(default_factory=dict)

    def suggest(self, texts: Sequence[str], touchpoints: Sequence[str] | None = None, *, top: int = 3) -> list[list[Suggestion]]:
        """The `top` most likely owners for each text, best first."""
        if not texts:
            return []
        documents = [compose(t, tp) for t, tp in zip(texts, touchpoints or [""] * len(texts), strict=True)]
        probabilities = self.pipeline.predict_proba(documents)
        ranked = probabilities.argsort(axis=1)[:, ::-1][:, :top]
        return [[(self.classes[j], float(row[j])) for j in order] for row, order in zip(probabilities, ranked, strict=True)]

    def top3(self, text: str, touchpoint: str = "") -> list[Suggestion]:
        return self.suggest([text], [touchpoint])[0]


def compose(text: str, touchpoint: str | None = "") -> str:
    """One document per signal; the touchpoint is repeated as a token so the word model sees it too."""
    touchpoint = (touchpoint or "").strip()
    tag = "tp_" + "_".join(touchpoint.lower().split()) if touchpoint else ""
    return f"{text} {touchpoint} {tag}".strip()


def signal_text(signal: Signal) -> str:
    return f"{signal.title}. {signal.description or ''}".strip()


def build_pipeline(*, c: float = 10.0):
    """TF-IDF word 1-2 grams + char 2-5 grams into a logistic regression (probabilities to threshold on)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, lowercase=True),
    )
    return make_pipeline(features, LogisticRegression(C=c, max_iter=2000))


def train_owner_model(texts: Sequence[str], owners: Sequence[int], touchpoints: Sequence[str] | None = None, *,
                      c: float = 10.0) -> OwnerModel:
    """Fit on labelled texts; raises ValueError with fewer than two owners."""
    if len(set(owners)) < MIN_CLASSES:
        raise ValueError("the training data needs at least two different owners")
    documents = [compose(t, tp) for t, tp in zip(texts, touchpoints or [""] * len(texts), strict=True)]
    started = time.perf_counter()
    pipeline = build_pipeline(c=c)
    pipeline.fit(documents, list(owners))
    seconds = time.perf_counter() - started
    classes = [int(x) if isinstance(x, int) or str(x).isdigit() else x for x in pipeline.classes_]
    return OwnerModel(pipeline, classes, len(documents), utcnow(), round(seconds, 2))


def confirmed_routes(store: Store, *, before: datetime | None = None, now: datetime | None = None) -> list[tuple[Signal, str]]:
    """(signal, touchpoint name) for every confirmed route, optionally only those routed before a cut-off."""
    now = now or utcnow()
    confirmed = or_(
        Signal.routed_by.startswith("person:"),
        Signal.status.in_([s.value for s in WORKED_STATUSES]),
        Signal.routed_at <= now - CONFIRM_AFTER,
    )
    query = (select(Signal, Touchpoint.name).join(Touchpoint, Touchpoint.id == Signal.touchpoint_id)
             .where(Signal.owner_team_id.is_not(None), confirmed).order_by(Signal.routed_at, Signal.id))
    if before is not None:
        query = query.where(Signal.routed_at < before)
    with store.read() as session:
        return [(signal, name) for signal, name in session.exec(query).all()]


def train_from_store(store: Store) -> OwnerModel | None:
    rows = confirmed_routes(store)
    owners = [signal.owner_team_id for signal, _ in rows]
    if len(rows) < MIN_ROWS or len(set(owners)) < MIN_CLASSES:
        return None
    return train_owner_model([signal_text(s) for s, _ in rows], owners, [name for _, name in rows])


_cache: dict[str, OwnerModel | None] = {}
_cache_lock = threading.Lock()


def owner_model(store: Store, *, retrain: bool = False) -> OwnerModel | None:
    """The store's model, trained once per process and again when older than a day (or on demand)."""
    with _cache_lock:
        model = _cache.get(store.url)
        stale = model is not None and utcnow() - model.trained_at > MAX_AGE
        if retrain or stale or store.url not in _cache:
            model = _cache[store.url] = train_from_store(store)
        return model


def retrain(store: Store) -> OwnerModel | None:
    """Drop the cached model and train again from the current confirmed routes."""
    return owner_model(store, retrain=True)


def forget(store: Store | None = None) -> None:
    with _cache_lock:
        if store is None:
            _cache.clear()
        else:
            _cache.pop(store.url, None)


def suggester_for(store: Store) -> Suggester | None:
    """A function from signal to its top three owners, or None when there is too little confirmed history."""
    model = owner_model(store)
    if model is None:
        return None
    with store.read() as session:
        touchpoint_names = {tp.id: tp.name for tp in session.exec(select(Touchpoint)).all()}

    def suggest(signal: Signal) -> list[Suggestion]:
        return model.top3(signal_text(signal), touchpoint_names.get(signal.touchpoint_id, ""))

    return suggest
