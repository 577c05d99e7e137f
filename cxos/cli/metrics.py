"""`python -m cxos metrics import FILE`: the monthly metrics CSV from the command line, all rows or none."""

import argparse
import json
from pathlib import Path

from cxos.identity import Actor
from cxos.inputs import text_file
from cxos.kpis.metrics import import_metrics
from cxos.store.store import Store
from cxos.vocabulary import Role


def metrics_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["import"])
    parser.add_argument("file", help="CSV with the columns period (YYYY-MM), metric, value")
    parser.add_argument("--as", dest="actor", default="cxos-cli", help="the name recorded as importer")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def metrics_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    actor = Actor(args.actor, Role.ADMIN)  # whoever can run the CLI can already write the database
    count = import_metrics(store, text=text_file(Path(args.file).read_bytes(), name=args.file), actor=actor)
    if args.json:
        return json.dumps({"imported": count}) + "\n", ""
    return "", f"Imported {count} figures from {args.file}.\n"
