"""`python -m cxos route` (route every unrouted signal) and `python -m cxos rules export|import` (rules as YAML)."""

import argparse
import json
from pathlib import Path

from sqlmodel import select

from cxos.errors import ValidationFailed
from cxos.identity import Actor
from cxos.inputs import text_file
from cxos.models import Rule
from cxos.routing.owner_model import suggester_for
from cxos.routing.router import route_unrouted
from cxos.routing.rule_files import export_rules, import_rules, rule_versions
from cxos.store.store import Store
from cxos.vocabulary import Role

CLI_ACTOR = Actor("cxos-cli", Role.ADMIN)  # whoever can run the CLI can already write the database


def route_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-model", action="store_true", help="rules only; leave unmatched signals in triage"
    )
    parser.add_argument("--json", action="store_true")


def route_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """Route every unrouted signal; returns (standard output, warnings for standard error)."""
    suggester = None if args.no_model else suggester_for(store)  # the stored model: never trained here
    report = route_unrouted(store, suggester=suggester)
    warnings = "".join(f"warning: {warning}\n" for warning in report.warnings)
    if args.json:
        return json.dumps(report.as_dict() | {"model_available": suggester is not None}) + "\n", warnings
    with store.read() as session:
        names = {rule.id: rule.name for rule in session.exec(select(Rule))}
    lines = [
        f"Examined {report.examined:,} unrouted signals: {report.routed:,} routed, "
        f"{report.in_triage + report.orphaned:,} left in triage."
    ]
    lines += [
        f"  rule #{rule_id} {names.get(rule_id, '(deleted)')}: {count:,}"
        for rule_id, count in report.by_rule.most_common()
    ]
    model = (
        "model"
        if suggester is not None or args.no_model
        else "model (none stored yet: `python -m cxos train`, or the app's worker, trains it)"
    )
    lines.append(f"  {model}: {report.by_model:,}")
    if report.orphaned:
        lines.append(f"  caught by a rule whose team is archived, left in triage: {report.orphaned:,}")
    return "\n".join(lines) + "\n", warnings


def rules_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["export", "import"])
    parser.add_argument(
        "file", nargs="?", help="import: the YAML file; export: where to write (default: stdout)"
    )
    parser.add_argument("--replace", action="store_true", help="import: delete the current rules first")


def rules_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """Export the rules (YAML on stdout or into FILE) or import FILE; returns (standard output, message)."""
    if args.action == "export":
        text = export_rules(store)
        if not args.file:
            return text, ""
        Path(args.file).write_text(text, encoding="utf-8")
        return "", f"Exported the rules to {args.file}.\n"
    if not args.file:
        raise ValidationFailed({"file": "rules import needs the YAML file to read"})
    # The command line shows no list before it replaces one: `--replace` means "whatever is there now", so it
    # passes the versions it just read. A change landing between that read and the write is still refused.
    with store.read() as session:
        seen = rule_versions(session) if args.replace else None
    count = import_rules(
        store,
        text=text_file(Path(args.file).read_bytes(), name=args.file),
        actor=CLI_ACTOR,
        replace=args.replace,
        rules_seen=seen,
    )
    return "", f"Imported {count} rules{' (the previous rules were removed)' if args.replace else ''}.\n"
