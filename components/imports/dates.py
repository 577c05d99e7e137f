"""The wizard's date settings (order, zone, what an unreadable date does) and how the file's dates will be read."""

import streamlit as st

from components.common.safe import md_escape
from cxos.importers.batch import read_dates
from cxos.importers.dates import DAY_FIRST, MONTH_FIRST, ORDER_LABELS, DateUnreadable, zone_named
from cxos.importers.mapping import BAD_DATE_ERROR, BAD_DATE_IMPORT_TIME, Profile
from cxos.importers.reading import Table

DECIDE = "decide"  # the order select's "from the values" choice
ORDER_CHOICES = {
    DECIDE: "Decide from the values",
    DAY_FIRST: f"Always {ORDER_LABELS[DAY_FIRST]}",
    MONTH_FIRST: f"Always {ORDER_LABELS[MONTH_FIRST]}",
}
BAD_DATE_CHOICES = {
    BAD_DATE_ERROR: "Report the row as an error",
    BAD_DATE_IMPORT_TIME: "Import it with the import time, noted in the report",
}


def date_settings(profile: Profile, keys: str) -> dict:
    """The profile's date options as the person sets them (`keys` % name gives each widget's key)."""
    order_col, default_col, zone_col, bad_col = st.columns(4)
    order = order_col.selectbox(
        "Date order",
        list(ORDER_CHOICES),
        index=list(ORDER_CHOICES).index(profile.date_order or DECIDE),
        format_func=ORDER_CHOICES.__getitem__,
        key=keys % "date_order",
        help="A date with a day over 12 (31/03) decides the whole column; choose an order to fix it.",
    )
    default = default_col.selectbox(
        "When no date decides",
        [DAY_FIRST, MONTH_FIRST],
        index=[DAY_FIRST, MONTH_FIRST].index(profile.date_default),
        format_func=ORDER_LABELS.__getitem__,
        key=keys % "date_default",
        help="For a file whose dates all have day and month ≤ 12 (03/04/2026).",
    )
    zone = zone_col.text_input(
        "Export's time zone",
        profile.timezone,
        key=keys % "timezone",
        help="For times written without an offset, e.g. Europe/Berlin; stored times are UTC.",
    )
    bad = bad_col.selectbox(
        "A date no form reads",
        list(BAD_DATE_CHOICES),
        index=list(BAD_DATE_CHOICES).index(profile.bad_dates),
        format_func=BAD_DATE_CHOICES.__getitem__,
        key=keys % "bad_dates",
    )
    return {
        "date_order": None if order == DECIDE else order,
        "date_default": default,
        "timezone": zone.strip() or "UTC",
        "bad_dates": bad,
    }


def date_reading_caption(table: Table, profile: Profile, *, cache_key: str | None) -> None:
    """Say how the created-at column will be read ("read as day/month/year, because row 7 has 31/03/2026").
    The reading reads the column to its first deciding value; it is remembered per upload and settings."""
    column = next((c for c, f in profile.mapping.items() if f == "created_at"), None)
    if column is None:
        st.caption("No date column is mapped: every row gets the import time.")
        return
    try:
        zone_named(profile.timezone)
    except DateUnreadable as error:
        st.error(md_escape(error))
        return
    memo = st.session_state.setdefault("import_date_readings", {})
    key = (cache_key, column, profile.date_order, profile.date_default) if cache_key else None
    reading = memo.get(key) if key else None
    if reading is None:
        reading = read_dates(table, profile)
        if key:
            memo[key] = reading
    st.caption(md_escape(f"Dates in “{column}” ({profile.timezone}): {reading.describe()}."))
