"""`python -m cxos backtest FILE --text-col C --owner-col C [--holdout FILE] [--json]`: its arguments and report."""

import argparse

from cxos.routing.backtest import BacktestReport


def backtest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", help="labelled history: CSV (UTF-8, header row), or XLSX when openpyxl is installed"
    )
    parser.add_argument(
        "--text-col", required=True, help="the column with the text (title, message, ticket body)"
    )
    parser.add_argument("--owner-col", required=True, help="the column with the owner that was right")
    parser.add_argument("--holdout", help="test on this file instead of the last 20%% of FILE")
    parser.add_argument(
        "--threshold", type=float, help="auto-route confidence (default: CXOS_ROUTING_CONFIDENCE or 0.8)"
    )
    parser.add_argument(
        "--no-rules", action="store_true", help="the model alone: ignore the store's routing rules"
    )
    parser.add_argument("--json", action="store_true")


def render_backtest(report: BacktestReport, *, owners: int = 40) -> str:
    """The report as a person reads it in a terminal."""
    lines = [
        f"Trained on {report.train_rows:,} rows ({report.owners_trained} owners) in {report.training_seconds:.1f} s; "
        f"tested on {report.test_rows:,} rows; auto-route threshold {report.threshold:.2f}.",
        f"Accuracy                {report.accuracy:7.1%}   (top answer, every test row)",
        f"Coverage                {report.coverage:7.1%}   (routed automatically)",
        f"Accuracy when automatic {report.auto_accuracy:7.1%}",
        f"Triage top-3 hits       {report.triage_top3:7.1%}   (owner among the 3 suggestions shown)",
        f"Routed by rules {report.count('rule'):,} · by the model {report.count('model'):,} · "
        f"left in triage {report.count('triage'):,}",
        "",
        f"{'owner':<32} {'rows':>6} {'answered':>9} {'precision':>10} {'recall':>7}",
    ]
    per_owner = report.per_owner()
    for row in per_owner[:owners]:
        lines.append(
            f"{str(row['owner'])[:32]:<32} {row['rows']:>6,} {row['answered']:>9,} "
            f"{row['precision']:>10.1%} {row['recall']:>7.1%}"
        )
    if len(per_owner) > owners:
        lines.append(f"… and {len(per_owner) - owners} more owners (--json lists them all)")
    lines.extend(f"Note: {note}" for note in report.notes)
    return "\n".join(lines)
