"""A team's own friction-log Google Sheet as an import source: read (never written), keyed rows, a saved connection."""

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

from cxos.errors import ValidationFailed
from cxos.identity import Actor, require
from cxos.importers.batch import Progress, import_table
from cxos.importers.mapping import Profile, reference
from cxos.importers.profiles import get_profile
from cxos.importers.reading import Record, Table, unique_header
from cxos.importers.report import ImportReport
from cxos.store.settings import CONNECTED_SHEET, read_setting, setting_version, write_setting
from cxos.store.sheets.a1 import quote_title
from cxos.store.sheets.address import DOC_URL, SCHEMES, is_sheets_url
from cxos.store.store import Store

if (
    TYPE_CHECKING
):  # gspread is loaded only when a sheet is read (the CLI imports this module for every import)
    from cxos.store.sheets.api import SheetsApi, Transport

KIND = "google_sheet"
CONNECTION_KEY = CONNECTED_SHEET
ROW_KEY = "(row key)"  # the column a keyed table adds: the row's reference, or a key from its content
T = TypeVar("T")


@dataclass(frozen=True)
class SheetAddress:
    """Which spreadsheet (and maybe which worksheet); `fake` is the offline stand-in (gsheets+fake://NAME)."""

    spreadsheet_id: str
    worksheet: str | None = None
    fake: bool = False

    @property
    def url(self) -> str:
        return f"{'gsheets+fake' if self.fake else 'gsheets'}://{self.spreadsheet_id}"


@dataclass(frozen=True)
class SheetConnection:
    """The saved link between the team's sheet and CX OS: pull its new rows with this profile's mapping."""

    spreadsheet_id: str
    worksheet: str
    profile: str
    fake: bool = False

    @property
    def address(self) -> SheetAddress:
        return SheetAddress(self.spreadsheet_id, self.worksheet, self.fake)


def is_sheet_address(text: str) -> bool:
    return is_sheets_url(text)


def parse_address(text: str) -> SheetAddress:
    """A docs.google.com address, gsheets://ID[/WORKSHEET], gsheets+fake://NAME[/WORKSHEET], or a bare id."""
    text = text.strip()
    doc = DOC_URL.search(text)
    if doc:
        return SheetAddress(doc[1])
    if text.startswith(SCHEMES):
        parts = urlsplit(text)
        spreadsheet_id, _, worksheet = (parts.netloc + parts.path).partition("/")
        fake = parts.scheme == "gsheets+fake"
    else:
        spreadsheet_id, worksheet, fake = text, "", False
    if not spreadsheet_id or any(c in spreadsheet_id for c in " /:?#"):
        raise ValidationFailed(
            {
                "sheet": f"{text!r} is not a spreadsheet address: paste the sheet's "
                "https://docs.google.com/spreadsheets/d/… address"
            }
        )
    return SheetAddress(spreadsheet_id, unquote(worksheet) or None, fake)


@dataclass(frozen=True)
class SheetReader:
    """Reads one spreadsheet as the service account; a refusal says whom to share the sheet with."""

    api: "SheetsApi"
    client_email: str

    def worksheet_titles(self) -> list[str]:
        titles = self._explained(self.api.worksheet_titles)
        if not titles:
            raise ValidationFailed({"sheet": "the spreadsheet has no worksheets"})
        return titles

    def read(self, worksheet: str | None = None) -> tuple[str, list[list[str]]]:
        """(worksheet title, its cells as text): as the person sees them, so a date reads 14/03/2026, not 46095."""
        titles = self.worksheet_titles()
        title = worksheet or titles[0]
        if title not in titles:
            raise ValidationFailed(
                {
                    "worksheet": f"the spreadsheet has no worksheet {title!r}; it has "
                    f"{', '.join(repr(t) for t in titles)}"
                }
            )
        values = self._explained(lambda: self.api.read([quote_title(title)], render="FORMATTED_VALUE"))[0]
        return title, [["" if cell is None else str(cell) for cell in row] for row in values]

    def _explained(self, request: Callable[[], T]) -> T:
        from google.auth.exceptions import RefreshError, TransportError
        from gspread.exceptions import APIError

        from cxos.store.sheets.api import SheetsRefused, SheetsUnavailable

        try:
            return request()
        except (
            TransportError
        ) as error:  # signing in (the token request) failed to connect: not caught in api.py
            raise SheetsUnavailable(
                "Google Sheets cannot be reached (signing in to Google failed). The sheet was "
                "not read; try again in a minute."
            ) from error
        except RefreshError as error:
            raise SheetsRefused(
                f"Google refused the service account {self.client_email} ({error})."
            ) from error
        except SheetsRefused as error:
            status = error.__cause__.response.status_code if isinstance(error.__cause__, APIError) else None
            if status in (403, 404):
                raise SheetsRefused(
                    f"CX OS cannot open spreadsheet {self.api.spreadsheet_id}: check the address, and share the "
                    f"sheet with {self.client_email} (Viewer is enough). Google said: {error}"
                ) from error
            raise
        except SheetsUnavailable as error:
            raise SheetsUnavailable(
                f"{error} The sheet was not read; try again in a minute.", quota=error.quota
            ) from error


def open_sheet(
    address: SheetAddress,
    *,
    service_account: dict[str, Any] | None = None,
    transport: "Transport | None" = None,
    **retry: Any,
) -> SheetReader:
    """A reader for the spreadsheet; the fake's own key and server for gsheets+fake:// addresses.
    `retry` goes to cxos.store.sheets.api.connect (retry=RetryPolicy(...), sleep=...)."""
    from cxos.store.sheets.api import connect, load_service_account

    if address.fake and transport is None:
        from cxos.store.sheets.fake_api import shared_server

        transport, service_account = shared_server(address.spreadsheet_id)
    key = load_service_account(service_account)
    api = connect(address.spreadsheet_id, key, transport=transport, **retry)
    return SheetReader(api, key.get("client_email") or "the service account")


def sheet_table(values: list[list[str]]) -> Table:
    """The first non-empty row names the columns; each later non-blank row is a record numbered by its sheet row."""
    start = next((index for index, row in enumerate(values) if any(cell.strip() for cell in row)), None)
    if start is None:
        raise ValidationFailed(
            {"sheet": "the worksheet is empty: its first filled row should name the columns"}
        )
    width = max(len(row) for row in values[start:])
    # Padded to the widest row: a note typed right of the last named column still gets a column to map.
    header = unique_header(values[start] + [""] * (width - len(values[start])))
    return Table(KIND, header, _reread=lambda table: _records(table, values, start))


def _records(table: Table, values: list[list[str]], start: int) -> Iterator[Record]:
    total = max(len(values), 1)
    for index in range(start + 1, len(values)):
        table.position = (index + 1) / total
        cells = values[index]
        if any(cell.strip() for cell in cells):
            padded = cells + [""] * (len(table.header) - len(cells))
            yield Record(index + 1, dict(zip(table.header, padded, strict=True)))


def with_row_keys(table: Table, profile: Profile, spreadsheet_id: str) -> tuple[Table, Profile]:
    """The table and profile to import: every row gets a reference, so pulling again imports nothing twice.

    A row's reference is its ticket link or id when the mapping has that column and the row fills it;
    otherwise a key from the mapped fields' values, not from the row's position: sorting or inserting rows
    in the sheet imports nothing twice, and filling in an unmapped column (an "Owner" or "Done?" the team
    keeps) does not either. Editing a mapped cell makes a new key, so the edited row comes in as a new
    signal: the sheet is the team's, and CX OS does not guess which old signal an edited row was. Changing
    the mapping changes every key, so a connected sheet's mapping is best left as it is once rows are in.
    The key is a link to the sheet (a signal's "Open the ticket" opens it; Sheets ignores the fragment):
    a bare "sheet:…" would be refused as an unknown link scheme.
    """
    ref_column = next(
        (c for c, f in profile.mapping.items() if f == "external_ref" and c in table.header), None
    )
    content = sorted((f, c) for c, f in profile.mapping.items() if f != "external_ref" and c in table.header)

    def keyed(outer: Table) -> Iterator[Record]:
        for record in table.records():
            outer.position = table.position
            if record.values is None:
                yield record
                continue
            ref = reference(record.values[ref_column], profile.ref_prefix) if ref_column else None
            if not ref:
                cells = json.dumps([[f, record.values[c].strip()] for f, c in content], ensure_ascii=False)
                ref = f"{sheet_link(spreadsheet_id)}#cxos-row={hashlib.sha1(cells.encode('utf-8')).hexdigest()[:12]}"
            yield replace(record, values=record.values | {ROW_KEY: ref})

    mapping = {c: f for c, f in profile.mapping.items() if f != "external_ref"} | {ROW_KEY: "external_ref"}
    return Table(table.kind, [*table.header, ROW_KEY], _reread=keyed), replace(
        profile, mapping=mapping, ref_prefix=""
    )


def sheet_link(spreadsheet_id: str) -> str:
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"


def sheet_label(worksheet: str) -> str:
    return f"Google Sheet “{worksheet}”"


def read_table(
    address: SheetAddress,
    *,
    service_account: dict[str, Any] | None = None,
    transport: "Transport | None" = None,
    **retry: Any,
) -> tuple[SheetAddress, Table]:
    """Read the worksheet now (the first one when the address names none): the address with its title, its rows."""
    reader = open_sheet(address, service_account=service_account, transport=transport, **retry)
    title, values = reader.read(address.worksheet)
    return replace(address, worksheet=title), sheet_table(values)


def import_sheet(
    store: Store,
    *,
    address: SheetAddress,
    table: Table,
    profile: Profile,
    actor: Actor,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the worksheet's rows; rows imported before come back as duplicates, so a pull imports only new rows."""
    keyed_table, keyed_profile = with_row_keys(table, profile, address.spreadsheet_id)
    return import_table(
        store,
        table=keyed_table,
        profile=keyed_profile,
        actor=actor,
        label=sheet_label(address.worksheet or ""),
        dry_run=dry_run,
        progress=progress,
    )


def load_connection(store: Store) -> SheetConnection | None:
    with store.read() as session:
        raw = read_setting(session, CONNECTION_KEY)
    try:
        saved = json.loads(raw) if raw else None
        return SheetConnection(**saved) if isinstance(saved, dict) else None
    except (
        TypeError
    ):  # saved by a version with other fields: treat as not connected rather than fail the page
        return None


def connection_version(store: Store) -> int:
    """The version of the saved connection (0: never saved), to send back with a change of it."""
    with store.read() as session:
        return setting_version(session, CONNECTION_KEY)


def save_connection(
    store: Store, *, connection: SheetConnection, expected_version: int, actor: Actor
) -> SheetConnection:
    """Remember which sheet to pull and with which saved profile, over the connection the person saw."""
    require(actor, "import_signals")
    if not connection.worksheet.strip():
        raise ValidationFailed({"worksheet": "choose the worksheet to pull"})
    get_profile(store, connection.profile)  # NotFound names the known profiles
    write_setting(
        store,
        key=CONNECTION_KEY,
        value=json.dumps(asdict(connection), ensure_ascii=False),
        expected_version=expected_version,
        actor=actor,
    )
    return connection


def forget_connection(store: Store, *, expected_version: int, actor: Actor) -> None:
    require(actor, "import_signals")
    write_setting(store, key=CONNECTION_KEY, value="", expected_version=expected_version, actor=actor)
