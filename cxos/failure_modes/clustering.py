"""Clustering similar signals into candidate failure modes, and spotting near-duplicate signals and failure modes.

Method: word stems of the title (counted twice: it is what people type with care) plus the description,
TF-IDF weighted *within each touchpoint* (similar words at different touchpoints are different failures,
and the words every signal at a touchpoint shares weigh little), cosine similarity, an edge between two
signals above a threshold, connected components, then average-linkage agglomerative clustering inside
each component so that a chain of pairwise-similar signals does not glue unrelated ones together.
Chosen over k-means because nobody knows how many failure modes there are (k-means needs k and splits or
pads to reach it); the components keep agglomerative clustering small (it needs all pairwise distances),
and similarity rows are computed a chunk at a time, so 10k signals cluster in seconds (bench/clustering.py).
The threshold is the one knob: higher gives tighter, smaller clusters. Deterministic: no random state.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import (
    ENGLISH_STOP_WORDS,
    CountVectorizer,
    TfidfTransformer,
    TfidfVectorizer,
)
from sqlalchemy import or_
from sqlmodel import Session, col, select

from cxos.models import FailureMode, Signal
from cxos.signals.lifecycle import OPEN
from cxos.vocabulary import Status

WINDOW_DAYS = 90
MAX_SIGNALS = 20_000  # the newest in the window; bounds memory and time whatever the log's size
CLUSTER_THRESHOLD = 0.45
DUPLICATE_THRESHOLD = 0.9  # near-identical text, same touchpoint, same account: probably one report twice
MATCH_THRESHOLD = 0.5  # a candidate this close to an accepted failure mode belongs to it
MIN_CLUSTER_SIZE = 3
CHUNK_ROWS = 1_000
REFINE_MAX = 2_000
MAX_SUGGESTIONS = 50
FAILURE_MODE_SAMPLE = 300  # newest linked signals that stand for an existing failure mode
WORD = re.compile(r"[a-z0-9][a-z0-9'_-]*[a-z0-9]|[a-z0-9]")
SUFFIXES = ("ing", "ed", "s")
ADDRESS = re.compile(r"\S+@\S+|https?://\S+")


@dataclass(frozen=True)
class Candidate:
    """A cluster that could become a failure mode."""

    touchpoint_id: int
    suggested_name: str  # the cluster's most central title
    top_terms: tuple[str, ...]
    signal_ids: tuple[int, ...]
    accounts: int
    arr: int  # each account's ARR counted once (its highest on these signals)
    first_seen: datetime
    last_seen: datetime
    similar_failure_mode_id: int | None = None  # an accepted failure mode it looks like
    signal_versions: tuple[int, ...] = ()  # each signal's version when clustered, in signal_ids' order

    @property
    def size(self) -> int:
        return len(self.signal_ids)

    @property
    def signals_seen(self) -> dict[int, int]:
        """{signal id: version} as clustered: what accepting or linking the candidate is checked against."""
        return dict(zip(self.signal_ids, self.signal_versions, strict=True))


@dataclass(frozen=True)
class DuplicatePair:
    """Two open signals that say the same thing: `duplicate_id` (the newer) could be merged into `keep_id`."""

    keep_id: int
    duplicate_id: int
    duplicate_version: int
    similarity: float


@dataclass(frozen=True)
class MergePair:
    """Two failure modes that look like one: merge `source_id` (the smaller) into `target_id`."""

    source_id: int
    source_version: int
    target_id: int
    similarity: float
    target_version: int  # the target as the suggestion saw it: a merge into a target renamed since is refused


@dataclass(frozen=True)
class Clustering:
    considered: int  # signals looked at
    candidates: list[Candidate]
    duplicates: list[DuplicatePair]
    merges: list[MergePair]


def cluster_signals(
    session: Session,
    *,
    now: datetime,
    window_days: int = WINDOW_DAYS,
    threshold: float = CLUSTER_THRESHOLD,
    min_size: int = MIN_CLUSTER_SIZE,
) -> Clustering:
    """Candidates among recent signals not yet in an accepted failure mode, with merge suggestions."""
    rows = _unclustered_rows(session, since=now - timedelta(days=window_days))
    modes = _failure_mode_texts(session)
    texts = [_text(row) for row in rows]
    counter = CountVectorizer(
        tokenizer=words, token_pattern=None, lowercase=False, min_df=2, dtype=np.float32
    )
    try:
        counts = counter.fit_transform(texts)
    except ValueError:  # no signal, or no word said twice: nothing can be alike
        return Clustering(len(rows), [], [], _merge_pairs(modes))
    terms = counter.get_feature_names_out()
    # Failure modes are compared by titles and names only: descriptions share sources, e-mails and accounts.
    titles = TfidfVectorizer(
        tokenizer=words, token_pattern=None, lowercase=False, sublinear_tf=True, dtype=np.float32
    )
    title_vectors = titles.fit_transform([row["title"] for row in rows] + [" ".join(t) for _, _, t in modes])
    mode_vectors = title_vectors[len(rows) :]
    candidates, duplicates = [], []
    by_touchpoint: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        by_touchpoint.setdefault(row["touchpoint_id"], []).append(index)
    for touchpoint_id, members in sorted(by_touchpoint.items()):
        # Weighed within the touchpoint: the words every signal there shares (its own name) weigh little.
        block = TfidfTransformer(sublinear_tf=True).fit_transform(counts[members])
        edges, pairs = _similar_pairs(block, threshold)
        _, labels = connected_components(edges, directed=False)
        for local in _groups(labels, block, threshold, min_size):
            chosen = [members[i] for i in local]
            similar = _similar_mode(touchpoint_id, title_vectors[chosen], modes, mode_vectors)
            candidates.append(
                _candidate(touchpoint_id, [rows[i] for i in chosen], block[local], terms, similar)
            )
        duplicates += [
            _duplicate(rows[members[a]], rows[members[b]], s)
            for a, b, s in pairs
            if _same_account(rows[members[a]], rows[members[b]])
            and rows[members[a]]["status"] in OPEN_VALUES
            and rows[members[b]]["status"] in OPEN_VALUES
        ]
    candidates.sort(key=lambda c: (-c.size, -c.arr, c.signal_ids[0]))
    duplicates.sort(key=lambda d: (-d.similarity, d.keep_id))
    return Clustering(len(rows), candidates, duplicates[:MAX_SUGGESTIONS], _merge_pairs(modes, mode_vectors))


OPEN_VALUES = {status.value for status in OPEN}
ModeTexts = tuple[FailureMode, int, list[str]]  # a live failure mode, its sampled signal count, its texts


def _unclustered_rows(session: Session, *, since: datetime) -> list[dict[str, Any]]:
    accepted = select(FailureMode.id).where(FailureMode.status == "accepted")
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns
            col(Signal.id),
            col(Signal.title),
            col(Signal.description),
            col(Signal.touchpoint_id),
            col(Signal.account),
            col(Signal.arr),
            col(Signal.created_at),
            col(Signal.status),
            col(Signal.version),
        )
        .where(
            Signal.created_at >= since,
            Signal.status != Status.DUPLICATE,
            or_(col(Signal.failure_mode_id).is_(None), col(Signal.failure_mode_id).not_in(accepted)),
        )
        .order_by(col(Signal.created_at).desc(), col(Signal.id).desc())
        .limit(MAX_SIGNALS)
    )
    return [dict(row._mapping) for row in session.exec(query)]


def _failure_mode_texts(session: Session) -> list[ModeTexts]:
    """Each live failure mode with its (sampled) signal count and the texts that stand for it: its name and the
    titles of its newest signals."""
    out = []
    for mode in session.exec(
        select(FailureMode).where(FailureMode.status != "merged").order_by(col(FailureMode.id))
    ):
        linked = session.exec(
            select(Signal.title)
            .where(col(Signal.failure_mode_id) == mode.id)
            .order_by(col(Signal.id).desc())
            .limit(FAILURE_MODE_SAMPLE)
        ).all()
        out.append((mode, len(linked), [mode.name, *linked]))
    return out


def words(text: str) -> list[str]:
    """Lower-cased word stems without stop words, e-mail addresses or links, so that two people describing
    the same failure in different forms of a word ('search', 'searching') still match."""
    text = ADDRESS.sub(" ", text.lower())
    return [stem(word) for word in WORD.findall(text) if word not in ENGLISH_STOP_WORDS]


def stem(word: str) -> str:
    """Cut a plural or an -ing/-ed ending: a light, predictable stemmer (no dictionary to download)."""
    for suffix in SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith(("ss", "us", "is")):
            word = word[: -len(suffix)]
            if suffix != "s" and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # skipped → skip, but installed → install
            return word
    return word


def _text(row: dict[str, Any]) -> str:
    return f"{row['title']} {row['title']} {row['description'] or ''}"


def _similar_pairs(block: csr_matrix, threshold: float) -> tuple[csr_matrix, list[tuple[int, int, float]]]:
    """The similarity graph above `threshold`, and the near-duplicate pairs, computed a chunk of rows at a time."""
    n = block.shape[0]
    sources, targets, duplicate_pairs = [], [], []
    for start in range(0, n, CHUNK_ROWS):
        similarity = (block[start : start + CHUNK_ROWS] @ block.T).toarray()
        rows, cols = np.nonzero(similarity >= threshold)
        keep = cols > rows + start  # each pair once, no self-loops
        sources.append(rows[keep] + start)
        targets.append(cols[keep])
        for r, c in zip(*np.nonzero(similarity >= DUPLICATE_THRESHOLD), strict=True):
            if c > r + start:
                duplicate_pairs.append((int(r + start), int(c), float(similarity[r, c])))
    src = np.concatenate(sources) if sources else np.array([], dtype=int)
    dst = np.concatenate(targets) if targets else np.array([], dtype=int)
    graph = csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    return graph, duplicate_pairs


def _groups(labels: np.ndarray, block: csr_matrix, threshold: float, min_size: int) -> list[np.ndarray]:
    """Each connected component, cut where it only holds together through a chain of pairs: average linkage
    keeps signals together only when they are alike on average (components past REFINE_MAX stay whole)."""
    groups = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < min_size:
            continue
        if len(members) > REFINE_MAX:
            groups.append(members)
            continue
        refined = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=1 - threshold
        ).fit(block[members].toarray())
        groups += [
            members[refined.labels_ == part]
            for part in np.unique(refined.labels_)
            if (refined.labels_ == part).sum() >= min_size
        ]
    return groups


def _candidate(
    touchpoint_id: int, rows: list[dict[str, Any]], block: csr_matrix, terms: np.ndarray, similar: int | None
) -> Candidate:
    centroid = np.asarray(block.mean(axis=0)).ravel()
    central = int(np.argmax(block @ centroid))
    arr_by_account: dict[str, int] = {}
    for row in rows:
        if row["account"]:
            arr_by_account[row["account"]] = max(arr_by_account.get(row["account"], 0), row["arr"] or 0)
    # Key words as people wrote them in the titles (not stems, not the e-mail or account of a description).
    spoken = {stem(word): word for row in rows for word in WORD.findall(row["title"].lower())}
    top = tuple(spoken[terms[i]] for i in np.argsort(-centroid) if centroid[i] > 0 and terms[i] in spoken)[:5]
    created = [row["created_at"] for row in rows]
    by_id = sorted(rows, key=lambda row: row["id"])
    return Candidate(
        touchpoint_id=touchpoint_id,
        suggested_name=Counter(r["title"] for r in rows).most_common(1)[0][0]
        if _repeats(rows)
        else rows[central]["title"],
        top_terms=top,
        signal_ids=tuple(row["id"] for row in by_id),
        signal_versions=tuple(row["version"] for row in by_id),
        accounts=len(arr_by_account),
        arr=sum(arr_by_account.values()),
        first_seen=min(created),
        last_seen=max(created),
        similar_failure_mode_id=similar,
    )


def _similar_mode(
    touchpoint_id: int, title_block: csr_matrix, modes: list[ModeTexts], mode_vectors: csr_matrix
) -> int | None:
    """The accepted failure mode at this touchpoint (or at none) that a cluster's titles are closest to, if close."""
    if not modes:
        return None
    centroid = np.asarray(title_block.mean(axis=0)).ravel()
    scores = mode_vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))
    for best in np.argsort(-scores):
        mode = modes[best][0]
        if scores[best] < MATCH_THRESHOLD:
            return None
        if mode.status == "accepted" and mode.touchpoint_id in (None, touchpoint_id):
            return mode.id
    return None


def _repeats(rows: list[dict[str, Any]]) -> bool:
    """Whether one title is said more than once: then the commonest wording names the cluster best."""
    return Counter(r["title"] for r in rows).most_common(1)[0][1] > 1


def _same_account(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["account"] or "").strip().lower() == (b["account"] or "").strip().lower()


def _duplicate(a: dict[str, Any], b: dict[str, Any], similarity: float) -> DuplicatePair:
    keep, duplicate = sorted((a, b), key=lambda row: (row["created_at"], row["id"]))
    return DuplicatePair(keep["id"], duplicate["id"], duplicate["version"], round(similarity, 3))


def _merge_pairs(modes: list[ModeTexts], mode_vectors: csr_matrix | None = None) -> list[MergePair]:
    """Pairs of failure modes at the same touchpoint whose names and titles are alike: merge the smaller."""
    if mode_vectors is None or len(modes) < 2:
        return []
    similarity = (mode_vectors @ mode_vectors.T).toarray()
    pairs = []
    for a, b in zip(*np.nonzero(np.triu(similarity, k=1) >= MATCH_THRESHOLD), strict=True):
        if (
            None not in (modes[a][0].touchpoint_id, modes[b][0].touchpoint_id)
            and modes[a][0].touchpoint_id != modes[b][0].touchpoint_id
        ):
            continue
        (source, _, _), (target, _, _) = sorted(
            (modes[a], modes[b]), key=lambda m: (m[0].status == "accepted", m[1])
        )
        pairs.append(
            MergePair(source.id, source.version, target.id, round(float(similarity[a, b]), 3), target.version)
        )
    return sorted(pairs, key=lambda p: -p.similarity)[:MAX_SUGGESTIONS]
