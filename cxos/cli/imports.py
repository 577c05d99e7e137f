"""`python -m cxos import FILE|SHEET`: import an export or a Google Sheet, with counts (or JSON) on standard output."""

import argparse
import json
from dataclasses import replace
from pathlib import Path

from cxos.errors import ValidationFailed
from cxos.identity import Actor
from cxos.importers.batch import import_table
from cxos.importers.dates import ORDERS
from cxos.importers.mapping import BAD_DATE_ERROR, BAD_DATE_IMPORT_TIME, FIELDS, Profile
from cxos.importers.profiles import get_profile, suggest_profile
from cxos.importers.reading import ImportUnreadable, open_table, read_export_file
from cxos.importers.report import problems_csv
from cxos.importers.sheet_source import (
    SheetAddress,
    import_sheet,
    is_sheet_address,
    load_connection,
    parse_address,
    read_table,
)
from cxos.journey.map import touchpoint_options
from cxos.store.store import Store
from cxos.vocabulary import Role, Source

SHOWN = 20  # reported rows printed; the rest go to --errors-csv or --json


def import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        nargs="?",
        help="a CSV/TSV, XLSX or JSON export (Slack, Zendesk, Help Scout, Discourse), or a Google Sheet: "
        "gsheets://ID[/WORKSHEET] or its docs.google.com address",
    )
    parser.add_argument("--sheet", help="a Google Sheet's address (instead of FILE); read, never written")
    parser.add_argument("--worksheet", help="the sheet's worksheet to read (default: the first)")
    parser.add_argument(
        "--connected",
        action="store_true",
        help="pull the sheet connected on the Import page, with its saved profile",
    )
    parser.add_argument("--profile", help="a built-in or saved profile (default: guessed from the header)")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help=f"map a column to a field ({', '.join(FIELDS)}); FIELD empty to ignore the column",
    )
    parser.add_argument("--source", choices=[s.value for s in Source], help="source for rows that do not say")
    parser.add_argument(
        "--touchpoint", help="touchpoint (name or 'Stage › Touchpoint') for rows that do not say"
    )
    parser.add_argument(
        "--ref-prefix", help="put before bare ticket ids (e.g. https://acme.zendesk.com/agent/tickets/)"
    )
    parser.add_argument(
        "--date-order",
        choices=ORDERS,
        help="read every numeric date this way (default: decided from the values; a day over 12 decides)",
    )
    parser.add_argument(
        "--date-default", choices=ORDERS, help="the order for a file no date decides (default: the profile's)"
    )
    parser.add_argument(
        "--timezone", help="the export's zone for times without an offset (e.g. Europe/Berlin)"
    )
    parser.add_argument(
        "--bad-dates",
        choices=[BAD_DATE_ERROR, BAD_DATE_IMPORT_TIME],
        help="a date no form reads: report the row (error, the default) or store the import time with a note",
    )
    parser.add_argument("--as", dest="actor", default="cxos-cli", help="the name recorded as importer")
    parser.add_argument(
        "--errors-csv", help="write the reported rows (row, outcome, message) to this CSV file"
    )
    parser.add_argument("--dry-run", action="store_true", help="validate and report; store nothing")
    parser.add_argument("--json", action="store_true")


def import_output(store: Store, args: argparse.Namespace) -> tuple[str, str]:
    """(standard output, standard error): the counts or JSON, then the first reported rows."""
    actor = Actor(args.actor, Role.ADMIN)  # whoever can run the CLI can already write the database
    if args.connected or args.sheet or (args.file and is_sheet_address(args.file)):
        address, profile_name = _sheet_address(store, args)
        address, table = read_table(address)
        label = f"{address.url}/{address.worksheet}"
        name = args.profile or profile_name
        profile = get_profile(store, name) if name else suggest_profile(table.header, table.kind)
        profile = _with_options(store, profile, args)
        report = import_sheet(
            store, address=address, table=table, profile=profile, actor=actor, dry_run=args.dry_run
        )
    else:
        if not args.file:
            raise ImportUnreadable(
                "Name a file to import, or a Google Sheet (gsheets://ID, --sheet or --connected)."
            )
        try:
            data = read_export_file(Path(args.file))
        except OSError as error:
            raise ImportUnreadable(f"Cannot read {args.file}: {error.strerror or error}.") from None
        label = Path(args.file).name
        table = open_table(data, label)
        profile = (
            get_profile(store, args.profile) if args.profile else suggest_profile(table.header, table.kind)
        )
        profile = _with_options(store, profile, args)
        report = import_table(
            store, table=table, profile=profile, actor=actor, label=label, dry_run=args.dry_run
        )
    if args.errors_csv:
        Path(args.errors_csv).write_text(problems_csv(report), encoding="utf-8")
    if args.json:
        return json.dumps(report.as_dict() | {"profile": profile.name}, ensure_ascii=False) + "\n", ""
    out = f"{label}: {table.kind}, encoding {table.encoding or '-'}, profile {profile.name}\n{report.summary()}\n"
    err = "".join(f"  {note}\n" for note in report.notes)
    err += "".join(f"  row {p.row}: {p.outcome}: {p.message}\n" for p in report.problems[:SHOWN])
    err += "".join(f"  row {p.row}: {p.outcome}: {p.message}\n" for p in report.row_notes[:SHOWN])
    if len(report.problems) > SHOWN:
        err += f"  … {len(report.problems) - SHOWN:,} more (use --errors-csv or --json)\n"
    return out, err


def _sheet_address(store: Store, args: argparse.Namespace) -> tuple[SheetAddress, str | None]:
    """The sheet to read, and with --connected the connection's saved profile."""
    if args.connected:
        connection = load_connection(store)
        if connection is None:
            raise ValidationFailed({"sheet": "no sheet is connected: connect one on the Import page first"})
        return connection.address, connection.profile
    address = parse_address(args.sheet or args.file)
    return replace(address, worksheet=args.worksheet or address.worksheet), None


def _with_options(store: Store, profile: Profile, args: argparse.Namespace) -> Profile:
    mapping = dict(profile.mapping)
    for item in args.map:
        column, sep, field_name = item.partition("=")
        if not sep or (field_name and field_name not in FIELDS):
            raise ValidationFailed(
                {"map": f"{item!r}: write COLUMN=FIELD with FIELD one of {', '.join(FIELDS)}"}
            )
        mapping = {c: f for c, f in mapping.items() if c != column and (not field_name or f != field_name)}
        if field_name:
            mapping[column] = field_name
    changes: dict = {"mapping": mapping}
    if args.source:
        changes["default_source"] = args.source
    if args.touchpoint:
        changes["default_touchpoint_id"] = _touchpoint_id(store, args.touchpoint)
    if args.ref_prefix is not None:
        changes["ref_prefix"] = args.ref_prefix
    for option in ("date_order", "date_default", "timezone", "bad_dates"):
        if getattr(args, option):
            changes[option] = getattr(args, option)
    return replace(profile, **changes)


def _touchpoint_id(store: Store, name: str) -> int:
    wanted = name.strip().lower().replace(">", "›").replace("  ", " ")
    with store.read() as session:
        options = touchpoint_options(session)
    matches = [tp.id for tp in options if wanted in (tp.label.lower(), tp.name.lower())]
    if len(matches) != 1:
        raise ValidationFailed(
            {
                "touchpoint": f"{name!r} names {len(matches)} touchpoints; "
                "use 'Stage › Touchpoint' as the journey shows it"
            }
        )
    return matches[0]
