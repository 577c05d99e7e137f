"""The Import page's Google Sheet section: read the team's friction-log sheet, map it once, pull its new rows."""

from dataclasses import replace
from typing import Any

import streamlit as st

from components.common.data import get_store, load_setting_versions, sheets_service_account, versioned
from components.common.page import PageContext
from components.common.safe import md_escape
from components.common.seen import seen_version, setting_kind
from components.common.writes import run_write
from components.imports.report import report_card
from components.imports.wizard import (
    mapping_card,
    preview_card,
    run_with_progress,
    save_profile_form,
    seen_profiles,
    store_profile,
)
from cxos.errors import CxosError
from cxos.importers.mapping import Profile
from cxos.importers.profiles import get_profile
from cxos.importers.reading import Table
from cxos.importers.sheet_source import (
    CONNECTION_KEY,
    KIND,
    SheetAddress,
    SheetConnection,
    SheetReader,
    forget_connection,
    load_connection,
    open_sheet,
    parse_address,
    save_connection,
    sheet_label,
    sheet_table,
    with_row_keys,
)
from cxos.models import Setting

KEY = "sheet"  # widget-key prefix, so the file wizard's widgets and these never collide
READERS = "sheet_readers"  # session state: address url → {"reader", "titles", "values": {worksheet: cells}}
REPORT = "sheet_import_report"
PULL_REPORT = "sheet_pull_report"
CONNECTION_SEEN = setting_kind(CONNECTION_KEY)


@versioned(Setting)
def connected_sheet() -> SheetConnection | None:
    return load_connection(get_store())


def seen_connection() -> int:
    """The version of the saved connection this person first saw here: a change made meanwhile is refused."""
    return seen_version(CONNECTION_SEEN, 0, load_setting_versions((CONNECTION_KEY,))[CONNECTION_KEY])


def sheet_section(ctx: PageContext) -> None:
    """Pull the connected sheet in one click; or open a sheet, map it, try it, import it and connect it."""
    connection = connected_sheet()
    seen_connection()  # remembered as drawn: connecting or disconnecting later is checked against it
    if connection is not None:
        pull_card(ctx, connection)
    default = connection.address.url if connection else ""
    where, which = st.columns([3, 1])
    text = where.text_input(
        "Spreadsheet address",
        default,
        key=f"{KEY}_address",
        placeholder="https://docs.google.com/spreadsheets/d/…",
        help="The sheet's address from the browser, or gsheets://SPREADSHEET_ID. CX OS only reads "
        "it: share it with the app's service account as a Viewer.",
    )
    if not text.strip():
        st.info(
            "Paste the address of your team's friction-log sheet to see a preview. CX OS reads the sheet and "
            "never writes to it; nothing is stored until you press Import."
        )
        return
    opened = _open(text)
    if opened is None:
        return
    address, sheet = opened
    titles = sheet["titles"]
    wanted = (
        connection.worksheet if connection and connection.spreadsheet_id == address.spreadsheet_id else None
    )
    worksheet = which.selectbox(
        "Worksheet",
        titles,
        index=titles.index(wanted) if wanted in titles else 0,
        key=f"{KEY}_worksheet_{address.spreadsheet_id}",
    )
    address = replace(address, worksheet=worksheet)
    table = _table(sheet, address)
    if table is None:
        return
    preview_card(table)
    st.caption(f"The report's row numbers are the sheet's own: row 14 is row 14 in “{md_escape(worksheet)}”.")
    profile = replace(
        mapping_card(ctx, table, key=KEY, preferred=connection.profile if wanted else None), kind=KIND
    )
    _actions(ctx, address, table, profile)
    if st.session_state.get(REPORT) is not None:
        report_card(st.session_state[REPORT], key=KEY)


def pull_card(ctx: PageContext, connection: SheetConnection) -> None:
    with st.container(border=True):
        st.markdown("**Connected sheet**")
        st.caption(
            f"“{md_escape(connection.worksheet)}” in spreadsheet {md_escape(connection.spreadsheet_id)}, mapped with "
            f"the profile “{md_escape(connection.profile)}”. Pulling imports the rows that are not in yet."
        )
        left, right, _ = st.columns([1.4, 1, 3])
        pull = left.button(
            f"Pull new rows from {md_escape(connection.worksheet)}",
            type="primary",
            icon=":material/sync:",
            key=f"{KEY}_pull",
        )
        if right.button(
            "Disconnect",
            icon=":material/link_off:",
            key=f"{KEY}_disconnect",
            help="Forget the connection; the signals already imported stay.",
        ):
            seen = seen_connection()
            run_write(
                lambda: forget_connection(ctx.store, expected_version=seen, actor=ctx.actor),
                done=None,
                rows=[(CONNECTION_SEEN, 0)],
            )
        if pull:
            st.session_state[PULL_REPORT] = _pull(ctx, connection)
        if st.session_state.get(PULL_REPORT) is not None:
            report_card(st.session_state[PULL_REPORT], key=f"{KEY}_pull")


def _pull(ctx: PageContext, connection: SheetConnection):
    address = connection.address
    _forget_values(address)  # a pull always reads the sheet as it is now
    sheet = _open(address.url)
    table = _table(sheet[1], address) if sheet else None
    profile = _run(lambda: get_profile(ctx.store, connection.profile))
    if table is None or profile is None:
        return None
    return run_with_progress(
        ctx,
        *with_row_keys(table, profile, address.spreadsheet_id),
        label=sheet_label(connection.worksheet),
        dry_run=False,
    )


def _actions(ctx: PageContext, address: SheetAddress, table: Table, profile: Profile) -> None:
    cells = st.columns([1, 1, 1.4, 1.4, 1.2])
    dry_run = cells[0].button(
        "Dry run",
        icon=":material/fact_check:",
        key=f"{KEY}_dry_run",
        help="Validate every row; store nothing.",
    )
    go = cells[1].button("Import", type="primary", icon=":material/upload:", key=f"{KEY}_import")
    with cells[2]:
        save_profile_form(ctx, profile, key=KEY)
    with cells[3]:
        _connect_form(ctx, address, profile)
    if cells[4].button("Read the sheet again", icon=":material/refresh:", key=f"{KEY}_reread"):
        _forget_values(address)
        st.rerun()
    if dry_run or go:
        st.session_state[REPORT] = run_with_progress(
            ctx,
            *with_row_keys(table, profile, address.spreadsheet_id),
            label=sheet_label(address.worksheet or ""),
            dry_run=dry_run,
        )


def _connect_form(ctx: PageContext, address: SheetAddress, profile: Profile) -> None:
    seen_profiles()  # remembered as drawn: saving over one of them later is checked against it
    with st.popover("Save mapping and connect", icon=":material/link:"):
        st.caption(
            f"Saves this mapping as a profile and remembers “{md_escape(address.worksheet)}”, so next time "
            "“Pull new rows” is one click. Rows already imported are never imported twice."
        )
        name = st.text_input(
            "Profile name",
            "" if profile.built_in else profile.name,
            max_chars=80,
            key=f"{KEY}_connect_profile",
            placeholder=f"{address.worksheet} sheet",
        )
        if not st.button("Save and connect", type="primary", key=f"{KEY}_connect"):
            return
        saved = store_profile(ctx, profile, name)
        if saved is None:
            return
        connection = SheetConnection(
            address.spreadsheet_id, address.worksheet or "", saved.name, address.fake
        )
        seen = seen_connection()
        run_write(
            lambda: save_connection(ctx.store, connection=connection, expected_version=seen, actor=ctx.actor),
            done=f"Connected “{md_escape(address.worksheet)}” with the profile “{md_escape(saved.name)}”.",
            show="inline",
            rows=[(CONNECTION_SEEN, 0)],
        )


def _open(text: str) -> tuple[SheetAddress, dict[str, Any]] | None:
    """The address and its session entry (reader and worksheet titles, read once), or None after saying why."""
    address = _run(lambda: parse_address(text))
    if address is None:
        return None
    readers = st.session_state.setdefault(READERS, {})
    if address.url not in readers:
        reader: SheetReader | None = _run(
            lambda: open_sheet(address, service_account=sheets_service_account())
        )
        titles = _run(reader.worksheet_titles) if reader else None
        if titles is None:
            return None
        readers[address.url] = {"reader": reader, "titles": titles, "values": {}}
    return address, readers[address.url]


def _table(sheet: dict[str, Any], address: SheetAddress) -> Table | None:
    """The worksheet's rows, read once per session until "Read the sheet again" (Google allows 60 reads a minute)."""
    values = sheet["values"]
    if address.worksheet not in values:
        read = _run(lambda: sheet["reader"].read(address.worksheet))
        if read is None:
            return None
        values[address.worksheet] = read[1]
    return _run(lambda: sheet_table(values[address.worksheet]))


def _forget_values(address: SheetAddress) -> None:
    st.session_state.get(READERS, {}).pop(address.url, None)


def _run(call):
    """The call's result, or None after showing its refusal (no access, unreachable, not a spreadsheet)."""
    try:
        return call()
    except CxosError as error:
        st.error(md_escape(error))
        return None
