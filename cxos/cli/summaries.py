"""`python -m cxos rebuild-summaries`: recompute the summary tables from the events, and say what differed."""

import argparse
import json

from cxos.store import handoff_summary, summaries
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
        handoffs_before = set(handoff_summary.backlog_rows(session)) | set(handoff_summary.day_rows(session))
        handoff_rows = handoff_summary.rebuild(session)
        handoffs_after = set(handoff_summary.backlog_rows(session)) | set(handoff_summary.day_rows(session))
        handoffs_changed = len(handoffs_before ^ handoffs_after)
    counts = {"owner_history": rows, **handoff_rows, "rows_changed": changed + handoffs_changed}
    if args.json:
        return json.dumps(counts) + "\n", ""
    return (
        f"owner_history: {rows:,} signals, {changed:,} rows differed from the events and were rebuilt.\n"
        f"team_backlog: {handoff_rows['team_backlog']:,} teams, handoff_day: {handoff_rows['handoff_day']:,} "
        f"rows; {handoffs_changed:,} rows differed and were rebuilt.\n",
        "",
    )
