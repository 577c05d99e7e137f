"""The owner model: a local text classifier, trained on confirmed routes, that suggests which team owns a signal.

A *confirmed route* is a signal whose current owner the council set or kept:
  - an owned signal routed by a person (`routed_by` "person:<name>": set or corrected by hand), or
  - an owned signal past "routed" in the lifecycle (linked, fixing, fixed, loop closed, won't fix):
    the owner worked it, so the owner was right, or
  - an owned signal routed (by a rule or the model) at least 7 days ago: `routed_at` moves with every
    owner change, so nobody has changed it for a week.
Input text is title + description + touchpoint name (the touchpoint alone is a strong hint).
Nothing here trains on a request: the worker or `python -m cxos train` trains (cxos/routing/model_training.py)
and stores the model; pages and routing on arrival read the stored one (`model_status`, `suggester_for`).
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import numpy as np
from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select

from cxos import config
from cxos.clock import utcnow
from cxos.models import Signal, Touchpoint, saved_id
from cxos.routing import text_embedding
from cxos.routing.model_records import ModelInfo, load_model, newest_finished, newest_ready, pending_since
from cxos.store.store import Store
from cxos.vocabulary import Decider, Status

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline

Suggestion = tuple[int, float]  # (team id, confidence 0..1), best first
Suggester = Callable[
    [Any], list[Suggestion]
]  # takes a Signal or anything with its fields (a rule-engine view)

MIN_ROWS = 20  # fewer confirmed routes than this and the model would only echo noise
MIN_CLASSES = 2
MIN_ROWS_PER_OWNER = 3
# The newest confirmed routes only: 12k train in a few CPU-s with the accuracy of 30k on the demo history,
# and recent routes say best who owns what now (figures: bench/owner_model_training.py).
MAX_TRAINING_ROWS = 12_000
CONFIRM_AFTER = timedelta(days=7)
WORD_FEATURES = 2**18  # hashed feature space sizes: collisions cost < 0.5 point of accuracy here
CHAR_FEATURES = 2**19
CHAR_RANGE = (3, 5)  # bigrams cost a quarter of the time for 0.1 point on BANKING77
CHAR_TEXT = 240  # characters of a document the char n-grams read (the title comes first); words read it all
HOLDOUT = 0.15  # share of the training rows kept aside to fit the temperature
# A text the model knows too little of is not one it can be sure about, whatever its scores say: with nothing
# known the scores are the owners' intercepts, and a temperature fitted on a clean history turns those into
# "99.8% sure" of "qzx vbn". Known = the share of the text's character n-grams seen in training (so "charge"
# is known from "charged", and a paraphrase keeps its confidence: 0.58 for one on the test vocabulary, 0-0.1
# for gibberish); below MIN_KNOWN_SHARE the confidence is scaled down with it.
MIN_KNOWN_SHARE = 0.5
WORKED_STATUSES = {Status.LINKED, Status.FIXING, Status.FIXED, Status.LOOP_CLOSED, Status.WONT_FIX}


Label = TypeVar("Label", bound=Hashable)  # a team id for the store's model; any label for a backtest


@dataclass
class OwnerModel(Generic[Label]):
    """Fitted features and classifier, plus what the page shows about its training."""

    features: "FeatureUnion"
    classifier: "TemperatureScaledSVC"
    classes: list[Label]
    rows: int
    trained_at: datetime
    training_seconds: float
    # The hashed buckets of every character n-gram seen in training (sorted); None for a model stored before.
    known_grams: np.ndarray | None = None
    # The embedding block stacked after the TF-IDF features (cxos/routing/text_embedding.py), named with its
    # package's version; None: TF-IDF alone (and every model stored before the block existed).
    encoder: str | None = None

    @property
    def usable(self) -> bool:
        """Whether this process computes the features it was trained on (a replica without its encoder: no)."""
        return text_embedding.usable(self.encoder)

    def transform(self, documents: Sequence[str]) -> Any:
        """The classifier's input for composed documents: TF-IDF, then the embedding block when it has one."""
        return featurize(self.features, self.encoder, documents, fit=False)

    def suggest(
        self, texts: Sequence[str], touchpoints: Sequence[str] | None = None, *, top: int = 3
    ) -> list[list[tuple[Label, float]]]:
        """The `top` most likely owners for each text, best first."""
        if not texts:
            return []
        documents = [compose(t, tp) for t, tp in zip(texts, touchpoints or [""] * len(texts), strict=True)]
        from sklearn import config_context

        # Our own fitted objects: scikit-learn's per-call checks would be a third of a one-signal prediction.
        with config_context(assume_finite=True, skip_parameter_validation=True):
            probabilities = self.classifier.predict_proba(self.transform(documents))
            if self.known_grams is not None:
                probabilities = probabilities * self._known_share(documents, self.known_grams)[:, None]
        ranked = probabilities.argsort(axis=1)[:, ::-1][:, :top]
        return [
            [(self.classes[j], float(row[j])) for j in order]
            for row, order in zip(probabilities, ranked, strict=True)
        ]

    @staticmethod
    def _known_share(documents: Sequence[str], known_grams: np.ndarray) -> np.ndarray:
        """Per document: 1 when at least MIN_KNOWN_SHARE of its character n-grams were seen in training, else
        that share over MIN_KNOWN_SHARE (0 for text never seen the like of): what its confidence is multiplied by."""
        grams = char_buckets().transform(documents)
        factors = np.zeros(len(documents))
        for n in range(len(documents)):
            buckets = grams.indices[grams.indptr[n] : grams.indptr[n + 1]]
            if len(buckets):
                known = np.isin(buckets, known_grams, assume_unique=True).mean()
                factors[n] = min(1.0, known / MIN_KNOWN_SHARE)
        return factors

    def top3(self, text: str, touchpoint: str = "") -> list[tuple[Label, float]]:
        return self.suggest([text], [touchpoint])[0]


def compose(text: str, touchpoint: str | None = "") -> str:
    """One document per signal; the touchpoint is repeated as a token so the word model sees it too."""
    touchpoint = (touchpoint or "").strip()
    tag = "tp_" + "_".join(touchpoint.lower().split()) if touchpoint else ""
    return f"{text} {touchpoint} {tag}".strip()


def join_text(title: str, description: str | None) -> str:
    return f"{title}. {description or ''}".strip()


def build_features() -> "FeatureUnion":
    """Hashed word 1-2 grams + char_wb 2-5 grams, TF-IDF weighted. Hashing keeps no vocabulary: fitting
    is one pass, memory stays flat with history, and the stored model is small (see bench/owner_model_training.py)."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.pipeline import make_pipeline, make_union

    def hashed(vectorizer: "HashingVectorizer") -> "Pipeline":
        return make_pipeline(vectorizer, TfidfTransformer(sublinear_tf=True))

    return make_union(
        hashed(
            HashingVectorizer(alternate_sign=False, norm=None, ngram_range=(1, 2), n_features=WORD_FEATURES)
        ),
        hashed(char_buckets()),
    )


def featurize(features: "FeatureUnion", encoder: str | None, documents: Sequence[str], *, fit: bool) -> Any:
    """TF-IDF features (fitted first when `fit`), with the encoder's embedding block stacked after them."""
    tfidf = features.fit_transform(documents) if fit else features.transform(documents)
    if encoder is None:
        return tfidf
    from scipy.sparse import hstack

    return hstack([tfidf, text_embedding.embed(list(documents), encoder)], format="csr")


def char_buckets() -> "HashingVectorizer":
    """The character n-grams of the features (char_wb 3-5 of the text's head), hashed: which ones a text has."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        alternate_sign=False,
        norm=None,
        analyzer="char_wb",
        ngram_range=CHAR_RANGE,
        n_features=CHAR_FEATURES,
        preprocessor=_head,
    )


def _head(document: str) -> str:
    """What the char n-grams read: their cost grows with the text, and a long ticket's gist is up front."""
    return document[:CHAR_TEXT].lower()


class TemperatureScaledSVC:
    """A linear SVM fitted once, its scores turned into probabilities by one temperature fitted on a holdout
    (as good as 3-fold calibration here, at a third of the cost: /work/shared/notes/routing-model-study.md)."""

    def __init__(self, *, c: float = 0.5, holdout: float = HOLDOUT, seed: int = 0):
        self.c, self.holdout, self.seed = c, holdout, seed
        self.temperature = 1.0

    def fit(self, features: Any, labels: Sequence[int]) -> "TemperatureScaledSVC":
        from scipy.sparse import csr_matrix
        from sklearn.svm import LinearSVC

        y = np.asarray(labels)
        train, held = _holdout_split(y, self.holdout, self.seed)
        # tol=1e-2: the same predictions as the default in half the time (the study above).
        svc = LinearSVC(C=self.c, tol=1e-2).fit(features[train], y[train])
        # Kept as one sparse (features × owners) matrix: most hashed buckets are never seen, so it stores small,
        # and it is transposed once here rather than on every prediction.
        self.weights = csr_matrix(svc.coef_.T)
        self.bias = svc.intercept_
        self.classes_ = svc.classes_
        self.holdout_ = (np.empty(0), np.empty(0, dtype=bool))  # (top confidence, right?) per held-out row
        if len(held):
            self.temperature = _fit_temperature(self._scores(features[held]), y[held], self.classes_)
            probabilities = self.predict_proba(features[held])
            self.holdout_ = (
                probabilities.max(axis=1),
                self.classes_[probabilities.argmax(axis=1)] == y[held],
            )
        return self

    def _scores(self, features: Any) -> np.ndarray:
        scores = np.asarray((features @ self.weights).toarray(), dtype=np.float64) + self.bias
        # Two owners: one column of scores, for the second; the first's is its negative.
        return np.column_stack([-scores[:, 0], scores[:, 0]]) if scores.shape[1] == 1 else scores

    def predict_proba(self, features: Any) -> np.ndarray:
        return _softmax(self._scores(features) / self.temperature)


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _holdout_split(labels: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions to fit on and to calibrate on; every owner keeps at least one row to fit on."""
    order = np.random.default_rng(seed).permutation(len(labels))
    held = np.zeros(len(labels), dtype=bool)
    held[order[: int(len(labels) * share)]] = True
    _, first = np.unique(labels[order], return_index=True)
    held[order[first]] = False
    return np.flatnonzero(~held), np.flatnonzero(held)


def _fit_temperature(scores: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> float:
    """The temperature that minimises the holdout's log loss (owners the fit never saw are left out)."""
    from scipy.optimize import minimize_scalar

    column = {label: n for n, label in enumerate(classes)}
    known = np.array([label in column for label in labels])
    if not known.any():
        return 1.0
    truth = np.array([column[label] for label in labels[known]])
    scores = scores[known]

    def log_loss(log_t: float) -> float:
        p = _softmax(scores / np.exp(log_t))
        return float(-np.log(np.clip(p[np.arange(len(truth)), truth], 1e-12, None)).mean())

    best = minimize_scalar(log_loss, bounds=(-5.0, 5.0), method="bounded")
    return float(np.exp(best.x))


def train_owner_model(
    texts: Sequence[str],
    owners: Sequence[Label],
    touchpoints: Sequence[str] | None = None,
    *,
    embeddings: bool = True,
) -> OwnerModel[Label]:
    """Fit on labelled texts. Owners seen fewer than MIN_ROWS_PER_OWNER times are left out (too few to learn
    from); raises ValueError when fewer than two owners remain. With `embeddings` (the default) the features
    include this process's embedding block when it has one (cxos/routing/text_embedding.py)."""
    counts = Counter(owners)
    keep = [i for i, owner in enumerate(owners) if counts[owner] >= MIN_ROWS_PER_OWNER]
    if len({owners[i] for i in keep}) < MIN_CLASSES:
        raise ValueError(
            f"training needs at least {MIN_CLASSES} owners with {MIN_ROWS_PER_OWNER} or more rows each"
        )
    touchpoints = touchpoints or [""] * len(texts)
    documents = [compose(texts[i], touchpoints[i]) for i in keep]
    classes = sorted({owners[i] for i in keep}, key=str)
    position = {owner: n for n, owner in enumerate(classes)}
    started = time.perf_counter()
    features = build_features()
    encoder = text_embedding.encoder_name() if embeddings else None
    classifier = TemperatureScaledSVC().fit(
        featurize(features, encoder, documents, fit=True), [position[owners[i]] for i in keep]
    )
    seconds = time.perf_counter() - started
    known_grams = np.unique(char_buckets().transform(documents).indices)
    return OwnerModel(
        features, classifier, classes, len(documents), utcnow(), round(seconds, 2), known_grams, encoder
    )


class ConfirmedRoute(NamedTuple):
    """One training example: what a signal said, where, and the owner the council confirmed."""

    signal_id: int
    text: str
    touchpoint: str
    owner_team_id: int
    created_at: datetime
    routed_at: datetime | None


def confirmed_condition(now: datetime) -> ColumnElement[bool]:
    """Which signals are confirmed routes (see the module docstring): the training data."""
    return and_(
        col(Signal.owner_team_id).is_not(None),
        or_(
            col(Signal.routed_by).like(Decider.PERSON.pattern),
            col(Signal.status).in_([s.value for s in WORKED_STATUSES]),
            col(Signal.routed_at) <= now - CONFIRM_AFTER,
        ),
    )


def confirmed_routes(
    store: Store,
    *,
    routed_before: datetime | None = None,
    now: datetime | None = None,
    limit: int = MAX_TRAINING_ROWS,
) -> list[ConfirmedRoute]:
    """The newest `limit` confirmed routes (see the module docstring), oldest first; optionally only those
    whose owner was already set before a cut-off, so a backtest never learns from the future."""
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
        .where(confirmed_condition(now or utcnow()))
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
    """What a page shows about the store's model. Reading it never trains: the worker does
    (cxos/routing/model_worker.py, or `python -m cxos train`)."""

    model: OwnerModel[int] | None  # the newest stored model, None until one is trained
    info: ModelInfo | None  # its training: when, on how many routes, holdout figures
    last: ModelInfo | None  # the last training that ended (it may have found too little history)
    retraining_since: datetime | None  # a retrain asked for or under way
    # Why this process does not use the stored model (`model` is then None): trained with an embedding block
    # this process cannot compute (see cxos/routing/text_embedding.py); None when it uses it or there is none.
    refused: str | None = None

    @property
    def confirmed_routes(self) -> int:
        """Confirmed routes when the model was last trained (or last found too few)."""
        return self.last.confirmed_routes if self.last else 0


_loaded: dict[str, tuple[int, OwnerModel[int] | None]] = {}  # store URL → (model version, model)
_load_lock = threading.Lock()


def model_status(store: Store) -> ModelStatus:
    """The stored model's status; the model itself is read once per process for each new version."""
    with store.read() as session:
        info, last, pending = newest_ready(session), newest_finished(session), pending_since(session)
    model = _model_of(store, info)
    if model is not None and not model.usable:
        return ModelStatus(None, info, last, pending, refused=refusal(model))
    return ModelStatus(model, info, last, pending)


def refusal(model: OwnerModel[Any]) -> str:
    """Why a model is not used here: it needs embeddings this process does not compute."""
    return (
        f"it was trained with the {model.encoder} embeddings and this process has "
        f"{text_embedding.encoder_name() or 'none'} (install the package, or retrain here)"
    )


def _model_of(store: Store, info: ModelInfo | None) -> OwnerModel[int] | None:
    if info is None:
        return None
    with _load_lock:
        version, model = _loaded.get(store.url, (None, None))
        if version != info.version:
            with store.read() as session:
                model = load_model(session, info.version)
            if model is not None:  # None: a newer model replaced it meanwhile; the next read finds that one
                _loaded[store.url] = (info.version, model)
        return model


def owner_model(store: Store) -> OwnerModel[int] | None:
    return model_status(store).model


def forget(store: Store | None = None) -> None:
    """Drop the models this process read (one store's, or all): the next use reads the stored one again."""
    with _load_lock:
        if store is None:
            _loaded.clear()
        else:
            _loaded.pop(store.url, None)


def confidence_threshold() -> float:
    """Routing by the model needs at least this confidence (CXOS_ROUTING_CONFIDENCE, default 0.8)."""
    return config.routing_confidence()


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
