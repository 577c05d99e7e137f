"""`python -m cxos cluster`: candidate failure modes and merge suggestions from the recent signals, read-only."""

import argparse
import json
from dataclasses import asdict

from cxos.clock import utcnow
from cxos.failure_modes.clustering import CLUSTER_THRESHOLD, WINDOW_DAYS, cluster_signals
from cxos.journey.map import touchpoint_options
from cxos.store.store import Store


def cluster_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--window-days", type=int, default=WINDOW_DAYS, help=f"default {WINDOW_DAYS}")
    parser.add_argument(
        "--threshold",
        type=float,
        default=CLUSTER_THRESHOLD,
        help=f"cosine similarity that makes two signals alike (default {CLUSTER_THRESHOLD})",
    )
    parser.add_argument("--top", type=int, default=20, help="candidates to print (text output)")
    parser.add_argument("--json", action="store_true")


def cluster_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """Cluster once; returns (standard output, standard error). Nothing is written."""
    with store.read() as session:
        result = cluster_signals(
            session, now=utcnow(), window_days=args.window_days, threshold=args.threshold
        )
        where = {tp.id: tp.label for tp in touchpoint_options(session, include_archived=True)}
    if args.json:
        return json.dumps(
            {
                "considered": result.considered,
                "candidates": [asdict(c) | {"size": c.size} for c in result.candidates],
                "duplicates": [asdict(d) for d in result.duplicates],
                "merges": [asdict(m) for m in result.merges],
            },
            default=str,
        ) + "\n", ""
    lines = [
        f"{len(result.candidates):,} candidate failure modes from {result.considered:,} signals "
        f"(last {args.window_days} days, not yet in an accepted failure mode):"
    ]
    for c in result.candidates[: args.top]:
        looks_like = (
            f"  looks like failure mode #{c.similar_failure_mode_id}" if c.similar_failure_mode_id else ""
        )
        lines.append(
            f"  {c.size:>4}  {c.suggested_name}  [{where.get(c.touchpoint_id, c.touchpoint_id)}; "
            f"{c.accounts} accounts, ${c.arr:,} ARR]{looks_like}"
        )
    lines += [
        f"Merge failure mode #{m.source_id} into #{m.target_id} ({m.similarity:.0%} alike)"
        for m in result.merges
    ]
    lines.append(f"{len(result.duplicates)} near-duplicate signal pairs.")
    return "\n".join(lines) + "\n", ""
