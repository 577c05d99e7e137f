"""Precision and recall of the CX-driver detector (cxos/signals/drivers.py) on hand-labelled support texts.

The labels are bench/data/driver_labels.csv (how they were made: bench/data/driver_labels.md): 330 customer
messages drawn at random from banking77's test split and the 49 customer tweets of a public sample of the
Customer Support on Twitter corpus, each read and labelled by hand for the six drivers. The patterns were
tuned on the `tune` rows; the figures that count are the `heldout` rows'.

    python bench/drivers.py [--split heldout|tune|all] [--misses] [--json]
"""

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

common.ensure_repo_on_path()

from cxos.signals.drivers import detect  # noqa: E402
from cxos.vocabulary import DRIVERS  # noqa: E402

LABELS = common.REPO_ROOT / "bench" / "data" / "driver_labels.csv"
COLUMNS = {driver: driver.removeprefix("driver_") for driver in DRIVERS}  # the CSV's column per driver


def read_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {"id": row["id"], "split": row["split"], "text": row["text"]}
            | {driver: row[column] == "1" for driver, column in COLUMNS.items()}
            for row in csv.DictReader(handle)
        ]


def measure(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per driver: true/false positives, misses, precision and recall; plus the rows it got wrong."""
    found = {row["id"]: detect(row["text"]) for row in rows}
    result: dict[str, Any] = {"texts": len(rows), "drivers": {}, "wrong": []}
    for driver in DRIVERS:
        tp = sum(1 for r in rows if r[driver] and driver in found[r["id"]])
        fp = sum(1 for r in rows if not r[driver] and driver in found[r["id"]])
        fn = sum(1 for r in rows if r[driver] and driver not in found[r["id"]])
        result["drivers"][driver] = {
            "positives": tp + fn,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
        }
        for r in rows:
            if r[driver] != (driver in found[r["id"]]):
                kind = "missed" if r[driver] else "false alarm"
                phrases = found[r["id"]].get(driver, [])
                result["wrong"].append([r["id"], COLUMNS[driver], kind, ", ".join(phrases), r["text"][:90]])
    return result


def render(result: dict[str, Any]) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    rows = [
        [DRIVERS[d], f["positives"], f["tp"], f["fp"], f["fn"], pct(f["precision"]), pct(f["recall"])]
        for d, f in result["drivers"].items()
    ]
    title = f"CX-driver detection on {result['texts']} hand-labelled texts ({result['split']} rows)"
    out = [
        common.format_table(
            ["driver", "labelled", "tp", "fp", "fn", "precision", "recall"], rows, title=title
        )
    ]
    if result.get("show_wrong"):
        out.append(
            common.format_table(["id", "driver", "kind", "phrases", "text"], result["wrong"], title="\nWrong")
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=["heldout", "tune", "all"], default="heldout")
    parser.add_argument("--misses", action="store_true", help="also list every row the detector got wrong")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = [r for r in read_labels() if args.split == "all" or r["split"] == args.split]
    result = measure(rows) | {"split": args.split, "show_wrong": args.misses}
    common.emit(result, as_json=args.json, render=render)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
