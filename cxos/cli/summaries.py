"""`python -m cxos rebuild-summaries`: recompute the summary tables from the events, and say what differed."""

import argparse
import json

from cxos.store import summaries
from cxos.store.store import Store


def summaries_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def summaries_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """Rebuild in one write transaction (kept summaries never disagree with the events; this proves it or
    repairs a copy loaded around the app), with how many rows the rebuild changed."""
    with store.write() as session:
        before = set(summaries.owner_history_rows(session))
        rows = summaries.rebuild(session)
        changed = len(before ^ set(summaries.owner_history_rows(session)))
    counts = {"owner_history": rows, "rows_changed": changed}
    if args.json:
        return json.dumps(counts) + "\n", ""
    return (
        f"owner_history: {rows:,} signals, {changed:,} rows differed from the events and were rebuilt.\n",
        "",
    )
