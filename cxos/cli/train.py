"""`python -m cxos train`: train the owner model on the confirmed routes, and the placement model on the placed
signals, and store them for every app process."""

import argparse
import json

from cxos.routing import placement_model
from cxos.routing.model_training import TrainingResult, train_and_store
from cxos.store.store import Store
from cxos.vocabulary import ModelState


def train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--if-stale",
        action="store_true",
        help="only when asked for, when no model is stored yet, or when the confirmed routes changed",
    )
    parser.add_argument("--json", action="store_true")


def train_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """Train (or skip); returns (standard output, message for standard error)."""
    result = train_and_store(store, if_stale=args.if_stale, by="cxos-cli")
    placement = placement_model.train_and_store(store, if_stale=args.if_stale, by="cxos-cli")
    if args.json:
        return json.dumps(result.as_dict() | {"placement": placement.as_dict()}) + "\n", ""
    out, err = _owner_output(result)
    return out + _placement_output(placement), err


def _placement_output(result: TrainingResult) -> str:
    if result.state is not ModelState.READY:
        return ""
    return f"Trained placement model v{result.version} on {result.rows:,} placed signals in {result.seconds:.1f} s.\n"


def _owner_output(result: TrainingResult) -> tuple[str, str]:
    if result.state is ModelState.READY:
        accuracy = (result.metrics or {}).get("holdout_accuracy")
        return (
            f"Trained owner model v{result.version} on {result.rows:,} of {result.confirmed_routes:,} confirmed "
            f"routes in {result.seconds:.1f} s"
            + (f" (holdout accuracy {accuracy:.1%})" if accuracy is not None else "")
            + ".\n",
            "",
        )
    if result.state is ModelState.UNTRAINED:
        return "", f"Not trained: only {result.confirmed_routes:,} confirmed routes, too few to learn from.\n"
    return "", "Nothing to do: the stored model is current, or another process is training it.\n"
