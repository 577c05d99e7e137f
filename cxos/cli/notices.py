"""`python -m cxos send-notices`: one pass of the notice outbox (what the app's sender does every few seconds)."""

import argparse
import json

from cxos.notify.sender import send_pass
from cxos.store.store import Store


def notices_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def notices_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """Enqueue what is due (fixes due or overdue, the weekly digest), send what is pending, and say how many."""
    result = send_pass(store)
    counts = {"enqueued": result.enqueued, "sent": result.sent, "failed": result.failed}
    if args.json:
        return json.dumps(counts) + "\n", ""
    return (
        f"{result.enqueued:,} notices enqueued, {result.sent:,} sent, {result.failed:,} failed (retried later).\n",
        "",
    )
