"""What people see of the Google Sheets backend: offline banner, queued changes, unreadable rows, conflicts."""

import json
from datetime import datetime

import streamlit as st

from components.common.safe import md_escape
from cxos.clock import utcnow
from cxos.store.store import Store
from cxos.vocabulary import plural

SHEETS = "Google Sheets"  # Store.backend of the Sheets store
LISTED_ROWS = 200  # unreadable rows listed; the rest are counted


def is_sheets(store: Store) -> bool:
    return store.backend == SHEETS


def show_sheet_status(store: Store) -> None:
    """At the top of every page when the data lives in a sheet; nothing at all when all is well or on SQL."""
    if not is_sheets(store):
        return
    with store.read():  # brings the copy and the status up to date (at most one read of the sheet per TTL)
        pass
    status = store.status
    if not status.reachable:
        st.warning(
            f"**Google Sheets can't be reached** — showing {_copy_read(status.last_read_at)}. Changes you "
            f"make are kept here and sent when it answers.  \nReason: {md_escape(status.problem)}",
            icon=":material/cloud_off:",
        )
    elif status.problem:  # it answered, but what it holds could not be loaded: the last good copy is in use
        st.warning(md_escape(status.problem), icon=":material/table_rows:")
    if status.queued:
        _queued(store, status.queued)
    if status.conflicts:
        _conflicts(store, status.conflicts)
    if status.unreadable:
        _unreadable(status.unreadable)


def data_caption(store: Store) -> str:
    """The sidebar's one line about where the data is."""
    if not is_sheets(store):
        return f"Data: {store.backend}"
    status = store.status
    read = f"read {status.last_read_at:%H:%M} UTC" if status.last_read_at else "not read yet"
    parts = [f"Data: {SHEETS}", read if status.reachable else f"offline, {read}"]
    if status.reachable and status.problem:
        parts.append("not loaded")
    if status.queued:
        parts.append(f"{status.queued:,} queued")
    return " · ".join(parts)


def toast_if_queued(store: Store) -> None:
    """Right after a write: say so when it is kept here and queued rather than in the sheet."""
    if is_sheets(store) and store.status.queued:
        st.toast(
            f"Saved here; queued for Google Sheets ({plural(store.status.queued, 'changed row')} waiting). "
            "It is sent automatically.",
            icon=":material/schedule_send:",
        )


def _copy_read(at: datetime | None, now: datetime | None = None) -> str:
    if at is None:
        return "the copy kept on this server (not read from the sheet since the app started)"
    now = now or utcnow()
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes >= 24 * 60:
        return f"the copy read on {at:%d %b %Y at %H:%M} UTC"
    ago = (
        "less than a minute ago"
        if minutes == 0
        else f"{minutes} min ago"
        if minutes < 60
        else f"{minutes // 60} h {minutes % 60} min ago"
    )
    return f"the copy read at {at:%H:%M} UTC ({ago})"


def _queued(store: Store, queued: int) -> None:
    message, send = st.columns([6, 1], vertical_alignment="center")
    verb = "is" if queued == 1 else "are"
    message.info(
        f"{plural(queued, 'changed row')} {verb} queued for Google Sheets (quota: 60 writes a minute) and "
        "will be sent automatically; nothing is lost.",
        icon=":material/schedule_send:",
    )
    send.button(
        "Send now",
        key="sheet_send_now",
        icon=":material/send:",
        on_click=_send_now,
        args=(store,),
        width="stretch",
    )


def _send_now(store: Store) -> None:
    from components.common.data import refresh_after_write  # that module imports this one

    store.refresh(force=True)
    refresh_after_write()  # the sheet was re-read (new data versions): pages show what it holds now


def _conflicts(store: Store, count: int) -> None:
    from cxos.store.sheets.conflicts import list_conflicts

    st.warning(
        f"{plural(count, 'queued change')} conflicted with edits made directly in the sheet and "
        f"{'was' if count == 1 else 'were'} set aside: the sheet's version stands. Our values are below, "
        "to redo by hand.",
        icon=":material/call_split:",
    )
    with st.expander(f"Set-aside changes ({count:,})"):
        for conflict in list_conflicts(store):
            st.text(
                f"{conflict['tbl']} #{conflict['row_id']} · {conflict['at'][:16].replace('T', ' ')} UTC\n"
                f"{conflict['reason']}"
            )
            st.code(json.dumps(conflict["ours"], ensure_ascii=False, indent=1, default=str), language="json")


def _unreadable(rows: list[str]) -> None:
    with st.expander(f":material/report: {plural(len(rows), 'row')} in the sheet could not be read"):
        st.caption("Skipped on the last read; the rest of the sheet was read. Fix them in the sheet.")
        more = len(rows) - LISTED_ROWS
        st.text("\n".join(rows[:LISTED_ROWS]) + (f"\n… and {more:,} more" if more > 0 else ""))
