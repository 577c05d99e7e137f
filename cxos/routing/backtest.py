"""The routing backtest: train the owner model on one part of a labelled history, route the rest, and score it.

Each test row is routed as live routing would route it: the first enabled rule that matches wins; otherwise
the model's best owner if its confidence reaches the threshold; otherwise it waits in triage.
  accuracy           — the share of rows whose top answer (the rule's owner, else the model's best) is right
  coverage           — the share routed automatically (by a rule, or by the model at/above the threshold)
  auto accuracy      — the share right among those routed automatically
  triage top-3 hits  — among rows left in triage, the share whose owner is in the three suggestions shown
  per owner          — precision and recall of the top answer over every test row
"""

import csv
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cxos.errors import CxosError
from cxos.routing.backtest_rules import RuleAnswer, store_rule_answers, text_rule_answers
from cxos.routing.owner_model import (
    MIN_ROWS_PER_OWNER,
    confidence_threshold,
    confirmed_routes,
    train_owner_model,
)
from cxos.store.store import Store

TRAIN_SHARE = 0.8


class BadInput(CxosError):
    """The file or its columns cannot be backtested; the message says why."""


@dataclass(frozen=True)
class Outcome:
    truth: Hashable
    answer: Hashable | None  # the top answer: a rule's owner, else the model's best owner
    confidence: float | None
    routed_by: str  # rule | model | triage
    top3: tuple[Hashable, ...] = ()


@dataclass
class BacktestReport:
    train_rows: int
    outcomes: list[Outcome]
    threshold: float
    training_seconds: float
    owners_trained: int
    notes: list[str] = field(default_factory=list)
    training_cpu_seconds: float | None = (
        None  # this process's CPU time for the fit (a loaded machine's wall time is not)
    )
    encoder: str | None = (
        None  # the model's embedding block (cxos/routing/text_embedding.py); None: TF-IDF alone
    )

    @property
    def test_rows(self) -> int:
        return len(self.outcomes)

    def count(self, routed_by: str) -> int:
        return sum(o.routed_by == routed_by for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        return _share(sum(o.answer == o.truth for o in self.outcomes), self.test_rows)

    @property
    def coverage(self) -> float:
        return _share(self.test_rows - self.count("triage"), self.test_rows)

    @property
    def auto_accuracy(self) -> float:
        auto = [o for o in self.outcomes if o.routed_by != "triage"]
        return _share(sum(o.answer == o.truth for o in auto), len(auto))

    @property
    def triage_top3(self) -> float:
        waiting = [o for o in self.outcomes if o.routed_by == "triage"]
        return _share(sum(o.truth in o.top3 for o in waiting), len(waiting))

    def per_owner(self) -> list[dict[str, Any]]:
        """Precision and recall of the top answer for each owner, most frequent owner first."""
        truths = Counter(o.truth for o in self.outcomes)
        answers = Counter(o.answer for o in self.outcomes if o.answer is not None)
        right = Counter(o.truth for o in self.outcomes if o.answer == o.truth)
        owners = sorted(set(truths) | set(answers), key=lambda x: (-truths[x], str(x)))
        return [
            {
                "owner": owner,
                "rows": truths[owner],
                "answered": answers[owner],
                "precision": _share(right[owner], answers[owner]),
                "recall": _share(right[owner], truths[owner]),
            }
            for owner in owners
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "train_rows": self.train_rows,
            "test_rows": self.test_rows,
            "owners_trained": self.owners_trained,
            "threshold": self.threshold,
            "training_seconds": self.training_seconds,
            "training_cpu_seconds": self.training_cpu_seconds,
            "encoder": self.encoder,
            "accuracy": self.accuracy,
            "coverage": self.coverage,
            "auto_accuracy": self.auto_accuracy,
            "triage_top3": self.triage_top3,
            "routed_by_rules": self.count("rule"),
            "routed_by_model": self.count("model"),
            "left_in_triage": self.count("triage"),
            "per_owner": self.per_owner(),
            "notes": self.notes,
        }


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def evaluate(
    train_texts: Sequence[str],
    train_owners: Sequence[Hashable],
    test_texts: Sequence[str],
    test_owners: Sequence[Hashable],
    *,
    train_touchpoints: Sequence[str] | None = None,
    test_touchpoints: Sequence[str] | None = None,
    rule_answers: Sequence[RuleAnswer] | None = None,
    threshold: float | None = None,
    embeddings: bool = True,
) -> BacktestReport:
    """Train on the first set, route the second (rules first when given), and score the routing; `embeddings`
    False trains the TF-IDF model alone even where the embedding block is available."""
    if not test_texts:
        raise BadInput("there is nothing to test on: the test part has no rows")
    if len(set(train_owners)) < 2:
        raise BadInput("the training part needs at least two different owners")
    threshold = confidence_threshold() if threshold is None else threshold
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        model = train_owner_model(train_texts, train_owners, train_touchpoints, embeddings=embeddings)
    except ValueError as error:
        raise BadInput(f"cannot train: {error}") from None
    training_seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    suggestions = model.suggest(test_texts, test_touchpoints)
    rule_answers = rule_answers or [None] * len(test_texts)
    outcomes = []
    for truth, ranked, rule in zip(test_owners, suggestions, rule_answers, strict=True):
        top3 = tuple(owner for owner, _ in ranked)
        best, confidence = ranked[0]
        if rule is not None:
            kind, owner = rule
            outcomes.append(
                Outcome(
                    truth,
                    owner if kind == "rule" else best,
                    None,
                    "rule" if kind == "rule" else "triage",
                    top3,
                )
            )
        else:
            outcomes.append(
                Outcome(truth, best, confidence, "model" if confidence >= threshold else "triage", top3)
            )
    notes = []
    rare = sorted({str(o) for o, n in Counter(train_owners).items() if n < MIN_ROWS_PER_OWNER})
    if rare:
        notes.append(
            f"{len(rare)} owner(s) with fewer than {MIN_ROWS_PER_OWNER} training rows were left out of "
            f"the model: {', '.join(rare[:10])}{' …' if len(rare) > 10 else ''}"
        )
    known = set(model.classes)
    unseen = sum(truth not in known for truth in test_owners)
    if unseen:
        notes.append(
            f"{unseen} of {len(test_owners)} test rows belong to an owner the model never saw in training, "
            "so they cannot be right (is the file sorted by owner? shuffle it, or pass --holdout)"
        )
    return BacktestReport(
        len(train_texts),
        outcomes,
        threshold,
        round(training_seconds, 2),
        len(model.classes),
        notes,
        round(cpu_seconds, 2),
        model.encoder,
    )


# ---------------------------------------------------------------- files


def read_labelled(path: str | Path, *, text_col: str, owner_col: str) -> tuple[list[str], list[str], int]:
    """(texts, owners, rows skipped for an empty text or owner) from a CSV file, or XLSX when openpyxl is installed."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    header, rows = _read_xlsx(path) if path.suffix.lower() in {".xlsx", ".xlsm"} else _read_csv(path)
    if not header:
        raise BadInput(f"{path}: the file is empty")
    missing = [c for c in (text_col, owner_col) if c not in header]
    if missing:
        raise BadInput(
            f"{path}: no column {', '.join(repr(c) for c in missing)}; "
            f"the columns are {', '.join(repr(h) for h in header)}"
        )
    t, o = header.index(text_col), header.index(owner_col)
    texts, owners, skipped = [], [], 0
    for row in rows:
        text = str(row[t]).strip() if t < len(row) and row[t] is not None else ""
        owner = str(row[o]).strip() if o < len(row) and row[o] is not None else ""
        if text and owner:
            texts.append(text)
            owners.append(owner)
        else:
            skipped += 1
    if not texts:
        raise BadInput(f"{path}: no row has both a {text_col!r} and an {owner_col!r} value")
    return texts, owners, skipped


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as error:
        raise BadInput(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); save it as CSV UTF-8"
        ) from None
    except csv.Error as error:
        raise BadInput(f"{path}: not a readable CSV file ({error})") from None
    return ([h.strip() for h in rows[0]], rows[1:]) if rows else ([], [])


def _read_xlsx(path: Path) -> tuple[list[str], list[list[Any]]]:
    try:
        import openpyxl
    except ImportError:
        raise BadInput(
            f"{path}: reading XLSX needs openpyxl (pip install openpyxl); or save the sheet as CSV"
        ) from None
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).active
    if sheet is None:
        raise BadInput(f"{path}: the workbook has no sheet to read")
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return ([str(h or "").strip() for h in rows[0]], rows[1:]) if rows else ([], [])


def backtest_file(
    path: str | Path,
    *,
    text_col: str,
    owner_col: str,
    holdout: str | Path | None = None,
    rules_from: Store | None = None,
    threshold: float | None = None,
    embeddings: bool = True,
) -> BacktestReport:
    """Train on FILE (or its first 80%) and test on HOLDOUT (or the last 20%), in file order; with a store,
    its enabled rules get the first say on each test row."""
    texts, owners, skipped = read_labelled(path, text_col=text_col, owner_col=owner_col)
    if holdout is not None:
        test_texts, test_owners, test_skipped = read_labelled(holdout, text_col=text_col, owner_col=owner_col)
        skipped += test_skipped
    else:
        cut = int(len(texts) * TRAIN_SHARE)
        texts, test_texts, owners, test_owners = texts[:cut], texts[cut:], owners[:cut], owners[cut:]
    if len(set(owners)) < 2:
        raise BadInput(
            f"{path}: the training rows name {len(set(owners))} owner(s); a backtest needs at least two"
        )
    answers, notes = (
        text_rule_answers(rules_from, test_texts) if rules_from else (None, ["rules were not used"])
    )
    report = evaluate(
        texts,
        owners,
        test_texts,
        test_owners,
        rule_answers=answers,
        threshold=threshold,
        embeddings=embeddings,
    )
    report.notes.extend(notes)
    if skipped:
        report.notes.append(f"{skipped} row(s) without a text or an owner were skipped")
    return report


# ---------------------------------------------------------------- the store's own history


def backtest_store(
    store: Store,
    *,
    cutoff: datetime,
    threshold: float | None = None,
    use_rules: bool = True,
    now: datetime | None = None,
) -> BacktestReport:
    """How routing would have done since `cutoff`: learn from what was confirmed before it, route what came after."""
    routes = confirmed_routes(store, now=now)
    train = [r for r in routes if r.routed_at is not None and r.routed_at < cutoff]
    test = [r for r in routes if r.created_at >= cutoff]
    if not test:
        raise BadInput(f"no confirmed route was logged after {cutoff:%Y-%m-%d}: pick an earlier cut-off")
    answers, notes = (
        store_rule_answers(store, [r.signal_id for r in test])
        if use_rules
        else (None, ["rules were not used"])
    )
    report = evaluate(
        [r.text for r in train],
        [r.owner_team_id for r in train],
        [r.text for r in test],
        [r.owner_team_id for r in test],
        train_touchpoints=[r.touchpoint for r in train],
        test_touchpoints=[r.touchpoint for r in test],
        rule_answers=answers,
        threshold=threshold,
    )
    report.notes.extend(notes)
    return report
