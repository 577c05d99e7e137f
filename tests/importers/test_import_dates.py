"""Dates from exports: a property test over the forms exports write (day-first, month-first, ISO, with a
time, with a zone): a date is read as written or refused with a reason, never read as another date; a day
over 12 always decides its column's order."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxos.importers.dates import (
    DAY_FIRST,
    MONTH_FIRST,
    ORDERLESS_SAMPLE,
    DateReading,
    DateUnreadable,
    detect_order,
    parse_date,
    zone_named,
)

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
PROPERTY = settings(max_examples=300, deadline=None)
# Up to the end of 2025: with day and month swapped a date is still in the past, so only the order is tested.
moments = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2025, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(
    lambda quarters: timedelta(minutes=15 * quarters)
)


def written(moment: datetime, order: str, *, with_time: bool, separator: str = "/") -> str:
    first, second = (moment.day, moment.month) if order == DAY_FIRST else (moment.month, moment.day)
    text = f"{first:02d}{separator}{second:02d}{separator}{moment.year}"
    return f"{text} {moment:%H:%M:%S}" if with_time else text


def truth(moment: datetime, with_time: bool) -> datetime:
    return (moment if with_time else moment.replace(hour=0, minute=0, second=0)).replace(tzinfo=UTC)


@PROPERTY
@given(
    column=st.lists(moments, min_size=1, max_size=30),
    order=st.sampled_from([DAY_FIRST, MONTH_FIRST]),
    default=st.sampled_from([DAY_FIRST, MONTH_FIRST]),
    with_time=st.booleans(),
    separator=st.sampled_from(["/", "-", "."]),
)
def test_a_column_in_one_order_is_read_in_it_whenever_a_day_over_12_says_so(
    column, order, default, with_time, separator
):
    values = [
        (n, written(m, order, with_time=with_time, separator=separator)) for n, m in enumerate(column, 2)
    ]
    reading = detect_order(values, default=default)
    decided = any(m.day > 12 for m in column)
    assert reading.order == (order if decided else default) and not reading.mixed
    for moment, (_row, value) in zip(column, values, strict=True):
        try:
            parsed = parse_date(value, reading=reading, now=NOW)
        except DateUnreadable:
            # Only an undecided column read the other way may refuse a value (3/14 read day-first), never swap it.
            assert not decided and reading.order != order
            continue
        if reading.order == order or moment.day == moment.month:
            assert parsed == truth(moment, with_time)
        else:
            # Undecided and read by the other default: only days ≤ 12 are here, read as the default says.
            assert not decided and (parsed.day, parsed.month) == (moment.month, moment.day)


@PROPERTY
@given(moment=moments, order=st.sampled_from([DAY_FIRST, MONTH_FIRST]), with_time=st.booleans())
def test_a_value_only_the_other_order_reads_is_refused_not_swapped(moment, order, with_time):
    other = MONTH_FIRST if order == DAY_FIRST else DAY_FIRST
    value = written(moment, other, with_time=with_time)
    reading = DateReading(order, "as the profile says")
    if moment.day > 12:
        with pytest.raises(DateUnreadable, match="reads only as"):
            parse_date(value, reading=reading, now=NOW)
    else:
        parsed = parse_date(value, reading=reading, now=NOW)
        # Both orders read it: the profile's order is what it says (the preview shows the reading).
        assert (parsed.day, parsed.month) == (moment.month, moment.day)


@PROPERTY
@given(
    moment=moments,
    offset=offsets,
    form=st.sampled_from(["T", " "]),
    zone_form=st.sampled_from(["colon", "compact", "Z"]),
    order=st.sampled_from([DAY_FIRST, MONTH_FIRST]),
)
def test_iso_dates_with_a_zone_are_read_as_written_whatever_the_columns_order(
    moment, offset, form, zone_form, order
):
    if zone_form == "Z":
        offset = timedelta(0)
    local = moment.replace(tzinfo=timezone(offset))
    stamp = local.isoformat(sep=form)
    if zone_form == "Z":
        stamp = stamp.replace("+00:00", "Z")
    elif zone_form == "compact":
        stamp = stamp[:-3] + stamp[-2:]
    expected = local.astimezone(UTC)
    if expected > NOW:
        return
    assert parse_date(stamp, reading=DateReading(order, "x"), now=NOW) == expected


@PROPERTY
@given(moment=moments, order=st.sampled_from([DAY_FIRST, MONTH_FIRST]))
def test_a_time_without_an_offset_is_in_the_profiles_zone_and_stored_as_utc(moment, order):
    zone = zone_named("America/New_York")
    value = written(moment, order, with_time=True)
    reading = DateReading(order, "as the profile says")
    expected = moment.replace(tzinfo=zone).astimezone(UTC)
    assert parse_date(value, reading=reading, zone=zone, now=NOW) == expected


@PROPERTY
@given(text=st.text(max_size=40))
def test_any_text_is_a_utc_date_in_range_or_refused_with_a_reason(text):
    for reading in (
        DateReading(DAY_FIRST, "x"),
        DateReading(MONTH_FIRST, "x", mixed=True),
        DateReading(DAY_FIRST, "x", unscanned=True),
    ):
        try:
            parsed = parse_date(text, reading=reading, now=NOW)
        except DateUnreadable as why:
            assert str(why)
            continue
        assert parsed.tzinfo == UTC and datetime(1990, 1, 1, tzinfo=UTC) <= parsed <= NOW


@pytest.mark.parametrize("word", ["yesterday", "today", "2 days ago", "last week", "next tuesday", "now"])
def test_relative_words_are_refused_not_the_import_time(word):
    with pytest.raises(DateUnreadable, match="relative"):
        parse_date(word, reading=DateReading(DAY_FIRST, "x"), now=NOW)


@pytest.mark.parametrize(
    "value",
    ["31/02/2026", "", "  ", "n/a", "1969-07-20", "2027-01-01", "00/00/0000", "12/31/2026 25:00"],
)
def test_values_no_form_reads_are_refused(value):
    with pytest.raises(DateUnreadable):
        parse_date(value, reading=DateReading(MONTH_FIRST, "x"), now=NOW)


def test_a_column_with_both_orders_refuses_only_the_values_either_could_be():
    reading = detect_order([(2, "31/03/2026"), (3, "03/04/2026"), (4, "03/31/2026")])
    assert reading.mixed and "row 2 has 31/03/2026 but row 4 has 03/31/2026" in reading.describe()
    assert parse_date("31/03/2026", reading=reading, now=NOW) == datetime(2026, 3, 31, tzinfo=UTC)
    assert parse_date("03/31/2026", reading=reading, now=NOW) == datetime(2026, 3, 31, tzinfo=UTC)
    assert parse_date("04/04/2026", reading=reading, now=NOW) == datetime(2026, 4, 4, tzinfo=UTC)
    with pytest.raises(DateUnreadable, match="either order"):
        parse_date("03/04/2026", reading=reading, now=NOW)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01/Oct/26 9:15 AM", datetime(2026, 10, 1, 9, 15, tzinfo=UTC)),  # Jira
        ("Oct 2, 2026 9:15 PM", datetime(2026, 10, 2, 21, 15, tzinfo=UTC)),
        ("2 October 2026", datetime(2026, 10, 2, tzinfo=UTC)),
        ("Fri, 02 Oct 2026 09:15:00 +0200", datetime(2026, 10, 2, 7, 15, tzinfo=UTC)),
        ("2026-10-02 18:20:00 UTC", datetime(2026, 10, 2, 18, 20, tzinfo=UTC)),  # Discourse
        ("2026/10/02 10:00", datetime(2026, 10, 2, 10, tzinfo=UTC)),
        ("1759316400.000200", datetime(2025, 10, 1, 11, tzinfo=UTC)),  # Slack ts
        ("1759316400000", datetime(2025, 10, 1, 11, tzinfo=UTC)),  # Unix milliseconds
    ],
)
def test_written_forms_tools_use(value, expected):
    assert parse_date(value, reading=DateReading(DAY_FIRST, "x"), now=NOW) == expected


def test_a_column_of_iso_dates_is_not_read_to_the_end_and_a_later_ambiguous_date_is_refused():
    iso = [(n, f"2026-10-0{n % 9 + 1} 09:15:00 +0000") for n in range(2, ORDERLESS_SAMPLE + 2)]
    never_read = [(ORDERLESS_SAMPLE + 2, "31/03/2026")]  # past the sample: it does not decide the column
    reading = detect_order([*iso, *never_read], default=MONTH_FIRST)
    assert reading.unscanned and "the first 1,000 dates are ISO or Unix times" in reading.describe()
    assert parse_date("31/03/2026", reading=reading, now=NOW) == datetime(2026, 3, 31, tzinfo=UTC)
    assert parse_date("03/31/2026", reading=reading, now=NOW) == datetime(2026, 3, 31, tzinfo=UTC)
    with pytest.raises(DateUnreadable, match="choose the date order"):
        parse_date("03/04/2026", reading=reading, now=NOW)
    # One day/month date inside the sample and the whole column is read to decide.
    decided = detect_order([(2, "2026-10-01"), (3, "03/04/2026"), *iso, *never_read], default=MONTH_FIRST)
    assert (decided.order, decided.unscanned) == (DAY_FIRST, False)
