"""The owner model: a local text classifier, trained on confirmed routes, that suggests which team owns a signal.

A *confirmed route* is a signal whose current owner the council set or kept:
  - an owned signal routed by a person (`routed_by` "person:<name>": set or corrected by hand), or
  - an owned signal past "routed" in the lifecycle (linked, fixing, fixed, loop closed, won't fix):
    the owner worked it, so the owner was right, or
  - an owned signal routed (by a rule or the model) at least 7 days ago: `routed_at` moves with every
    owner change, so nobody has changed it for a week.
Input text is title + description + touchpoint name (the touchpoint alone is a strong hint).
"""

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from joblib import parallel_config
from sqlalchemy import or_
from sqlmodel import col, select

from cxos.clock import utcnow
from cxos.models import Signal, Touchpoint, saved_id
from cxos.store.store import Store
from cxos.vocabulary import Decider, Status

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

Suggestion = tuple[int, float]  # (team id, confidence 0..1), best first
Suggester = Callable[
    [Any], list[Suggestion]
]  # takes a Signal or anything with its fields (a rule-engine view)

MIN_ROWS = 20  # fewer confirmed routes than this and the model would only echo noise
MIN_CLASSES = 2
MIN_ROWS_PER_OWNER = 3
MAX_TRAINING_ROWS = 50_000  # the newest; keeps training within seconds on 2 cores
DEFAULT_CONFIDENCE = 0.8
TRAINING_THREADS = 2
CONFIRM_AFTER = timedelta(days=7)
MAX_AGE = timedelta(days=1)  # a cached model older than this is retrained on next use
RECHECK_UNTRAINED = timedelta(minutes=10)  # too little history: look again soon, history grows
WORKED_STATUSES = {Status.LINKED, Status.FIXING, Status.FIXED, Status.LOOP_CLOSED, Status.WONT_FIX}


Label = TypeVar("Label", bound=Hashable)  # a team id for the store's model; any label for a backtest


@dataclass
class OwnerModel(Generic[Label]):
    """A fitted pipeline plus what the page shows about its training."""

    pipeline: "Pipeline"
    classes: list[Label]
    rows: int
    trained_at: datetime
    training_seconds: float

    def suggest(
        self, texts: Sequence[str], touchpoints: Sequence[str] | None = None, *, top: int = 3
    ) -> list[list[tuple[Label, float]]]:
        """The `top` most likely owners for each text, best first."""
        if not texts:
            return []
        documents = [compose(t, tp) for t, tp in zip(texts, touchpoints or [""] * len(texts), strict=True)]
        probabilities = self.pipeline.predict_proba(documents)
        ranked = probabilities.argsort(axis=1)[:, ::-1][:, :top]
        return [
            [(self.classes[j], float(row[j])) for j in order]
            for row, order in zip(probabilities, ranked, strict=True)
        ]

    def top3(self, text: str, touchpoint: str = "") -> list[tuple[Label, float]]:
        return self.suggest([text], [touchpoint])[0]


def compose(text: str, touchpoint: str | None = "") -> str:
    """One document per signal; the touchpoint is repeated as a token so the word model sees it too."""
    touchpoint = (touchpoint or "").strip()
    tag = "tp_" + "_".join(touchpoint.lower().split()) if touchpoint else ""
    return f"{text} {touchpoint} {tag}".strip()


def join_text(title: str, description: str | None) -> str:
    return f"{title}. {description or ''}".strip()


def build_pipeline(*, folds: int = 3, c: float = 0.5) -> "Pipeline":
    """TF-IDF word 1-2 grams + char 2-5 grams into a linear SVM whose scores are temperature-scaled
    into probabilities over `folds` cross-validation folds (fast, and confidences that mean something)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    features = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    classifier = CalibratedClassifierCV(
        LinearSVC(C=c), cv=folds, method="temperature", n_jobs=TRAINING_THREADS
    )
    return make_pipeline(features, classifier)


def train_owner_model(
    texts: Sequence[str], owners: Sequence[Label], touchpoints: Sequence[str] | None = None
) -> OwnerModel[Label]:
    """Fit on labelled texts. Owners seen fewer than MIN_ROWS_PER_OWNER times are left out (too few to learn,
    and calibration needs one per fold); raises ValueError when fewer than two owners remain."""
    counts = Counter(owners)
    keep = [i for i, owner in enumerate(owners) if counts[owner] >= MIN_ROWS_PER_OWNER]
    if len({owners[i] for i in keep}) < MIN_CLASSES:
        raise ValueError(
            f"training needs at least {MIN_CLASSES} owners with {MIN_ROWS_PER_OWNER} or more rows each"
        )
    touchpoints = touchpoints or [""] * len(texts)
    documents = [compose(texts[i], touchpoints[i]) for i in keep]
    # Fit on positions 0..k-1: scikit-learn 1.9's temperature scaling mis-reads integer labels that are
    # not 0..k-1 (team ids) and flattens every probability to 1/k.
    classes = sorted({owners[i] for i in keep}, key=str)
    position = {owner: n for n, owner in enumerate(classes)}
    started = time.perf_counter()
    pipeline = build_pipeline(folds=MIN_ROWS_PER_OWNER)
    # The folds fit in threads (liblinear releases the GIL): about half the time on 2 cores, no worker processes.
    with parallel_config(backend="threading", n_jobs=TRAINING_THREADS):
        pipeline.fit(documents, [position[owners[i]] for i in keep])
    seconds = time.perf_counter() - started
    return OwnerModel(pipeline, classes, len(documents), utcnow(), round(seconds, 2))


class ConfirmedRoute(NamedTuple):
    """One training example: what a signal said, where, and the owner the council confirmed."""

    signal_id: int
    text: str
    touchpoint: str
    owner_team_id: int
    created_at: datetime
    routed_at: datetime | None


def confirmed_routes(
    store: Store,
    *,
    routed_before: datetime | None = None,
    now: datetime | None = None,
    limit: int = MAX_TRAINING_ROWS,
) -> list[ConfirmedRoute]:
    """The newest `limit` confirmed routes (see the module docstring), oldest first; optionally only those
    whose owner was already set before a cut-off, so a backtest never learns from the future."""
    now = now or utcnow()
    confirmed = or_(
        col(Signal.routed_by).like(Decider.PERSON.pattern),
        col(Signal.status).in_([s.value for s in WORKED_STATUSES]),
        col(Signal.routed_at) <= now - CONFIRM_AFTER,
    )
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            col(Signal.id),
            col(Signal.title),
            col(Signal.description),
            col(Touchpoint.name),
            col(Signal.owner_team_id),
            col(Signal.created_at),
            col(Signal.routed_at),
        )
        .join(Touchpoint, col(Touchpoint.id) == col(Signal.touchpoint_id))
        .where(col(Signal.owner_team_id).is_not(None), confirmed)
        .order_by(col(Signal.created_at).desc(), col(Signal.id).desc())
        .limit(limit)
    )
    if routed_before is not None:
        query = query.where(col(Signal.routed_at) < routed_before)
    with store.read() as session:
        rows = session.exec(query).all()
    return [
        ConfirmedRoute(sid, join_text(title, description), tp or "", owner, created, routed)
        for sid, title, description, tp, owner, created, routed in reversed(rows)
    ]


def train_on_routes(routes: Sequence[ConfirmedRoute]) -> OwnerModel[int] | None:
    """A model of these routes, or None when there are too few of them to learn from."""
    if len(routes) < MIN_ROWS:
        return None
    try:
        return train_owner_model(
            [r.text for r in routes], [r.owner_team_id for r in routes], [r.touchpoint for r in routes]
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class ModelStatus:
    """What the page shows about the store's model: the model itself (None = not enough history)."""

    model: OwnerModel[int] | None
    confirmed_routes: int
    checked_at: datetime


_cache: dict[str, ModelStatus] = {}
_cache_lock = threading.Lock()


def model_status(store: Store, *, retrain: bool = False) -> ModelStatus:
    """The store's model, trained once per process and again when a day old or on demand (cached by store URL)."""
    with _cache_lock:
        status = _cache.get(store.url)
        if (
            retrain
            or status is None
            or utcnow() - status.checked_at > (MAX_AGE if status.model else RECHECK_UNTRAINED)
        ):
            routes = confirmed_routes(store)
            status = _cache[store.url] = ModelStatus(train_on_routes(routes), len(routes), utcnow())
        return status


def owner_model(store: Store) -> OwnerModel[int] | None:
    return model_status(store).model


def retrain(store: Store) -> ModelStatus:
    """Drop the cached model and train again from the current confirmed routes."""
    return model_status(store, retrain=True)


def forget(store: Store | None = None) -> None:
    """Drop cached models (one store's, or all): the next use trains again."""
    with _cache_lock:
        if store is None:
            _cache.clear()
        else:
            _cache.pop(store.url, None)


def confidence_threshold() -> float:
    """Routing by the model needs at least this confidence (CXOS_ROUTING_CONFIDENCE, default 0.8)."""
    from cxos import config

    if hasattr(config, "routing_confidence"):
        return config.routing_confidence()
    try:
        value = float(os.environ.get("CXOS_ROUTING_CONFIDENCE") or DEFAULT_CONFIDENCE)
    except ValueError:
        return DEFAULT_CONFIDENCE
    return value if 0 < value <= 1 else DEFAULT_CONFIDENCE


def suggester_for(store: Store) -> Suggester | None:
    """A function from signal (or rule-engine view) to its top three owners, or None when there is too little
    confirmed history. `.many(signals)` does a whole batch in one pass (about 3 ms a signal one by one)."""
    model = owner_model(store)
    if model is None:
        return None
    with store.read() as session:
        touchpoint_names = {saved_id(tp): tp.name for tp in session.exec(select(Touchpoint)).all()}
    return StoreSuggester(model, touchpoint_names)


@dataclass(frozen=True)
class StoreSuggester:
    """The store's model with the journey's touchpoint names, callable on anything with a signal's fields."""

    model: OwnerModel[int]
    touchpoint_names: dict[int, str]

    def __call__(self, signal: Any) -> list[Suggestion]:
        return self.many([signal])[0]

    def many(self, signals: Sequence[Any]) -> list[list[Suggestion]]:
        return self.model.suggest(
            [join_text(s.title, s.description) for s in signals],
            [self.touchpoint_names.get(s.touchpoint_id, "") for s in signals],
        )
