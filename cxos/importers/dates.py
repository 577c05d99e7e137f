"""Reading an export's dates: which order a column writes day and month in, its time zone, and UTC out.

A date is read or refused with the reason, never guessed: 31/02/2026, "yesterday" and a blank cell are each
a row's error (or, when the person asks for it, the import time with a note in the report). Day-first or
month-first is decided per column from its values: one value whose first number is over 12 (31/03/2026)
makes the column day-first, one whose second number is (03/31/2026) makes it month-first; a column where
no value decides follows the profile's default; a column where values decide both ways reads only the
values one order can read, and refuses the ones both could.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_FIRST = "day_first"
MONTH_FIRST = "month_first"
ORDERS = (DAY_FIRST, MONTH_FIRST)
ORDER_LABELS = {DAY_FIRST: "day/month/year", MONTH_FIRST: "month/day/year"}
BLANKS = {"", "-", "n/a", "na", "none", "null"}
EARLIEST_YEAR = 1990  # older than any help desk: a 1970 date is an empty timestamp, not a ticket
# A clock a few minutes fast is not a typo; anything later than this is refused as in the future.
FUTURE_SLACK = timedelta(minutes=5)
RELATIVE_WORDS = re.compile(
    r"\b(today|yesterday|tomorrow|now|ago|last|next|this|week|month|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday)\b",
    re.IGNORECASE,
)
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_TIME = r"(?:[ T,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
_ZONE = r"\s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
# 31/03/2026, 3-31-2026, 31.03.26 with an optional time and zone: the order of the first two is the question.
_NUMERIC = re.compile(rf"^(?P<a>\d{{1,2}})[/.-](?P<b>\d{{1,2}})[/.-](?P<year>\d{{4}}|\d{{2}}){_TIME}{_ZONE}$")
# 2 Oct 2026, 02/Oct/26 9:15 AM (Jira), 2-October-2026.
_DAY_MONTH_NAME = re.compile(
    rf"^(?:[A-Za-z]{{3,9}},?\s+)?(?P<day>\d{{1,2}})[ /-](?P<month>[A-Za-z]{{3,9}})\.?[ /-](?P<year>\d{{4}}|\d{{2}}){_TIME}{_ZONE}$"
)
# Oct 2, 2026 9:15 AM; October 2 2026 09:15.
_MONTH_NAME_DAY = re.compile(
    rf"^(?:[A-Za-z]{{3,9}},?\s+)?(?P<month>[A-Za-z]{{3,9}})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}}){_TIME}{_ZONE}$"
)
_ISO_ZONE_WORD = re.compile(r"\s*(UTC|GMT|Z)$", re.IGNORECASE)
_YEAR_FIRST_SLASH = re.compile(rf"^(?P<year>\d{{4}})/(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}}){_TIME}{_ZONE}$")


class DateUnreadable(ValueError):
    """Why one value is not a date this import can store (the message is the row's error)."""


@dataclass(frozen=True)
class DateReading:
    """How a column's numeric dates are read, and why: shown in the preview, used for every row."""

    order: str  # DAY_FIRST | MONTH_FIRST
    why: str  # "because row 7 has 31/03/2026" | "the profile says so" | "no value decides: the default"
    mixed: bool = False  # values decide both ways: the ones either order could read are refused
    # The column's first dates needed no order (ISO, Unix times), so the rest was not read to decide one:
    # a later date either order could read is refused rather than read by the default.
    unscanned: bool = False

    def describe(self) -> str:
        if self.unscanned:
            return f"read as written ({self.why}); a day/month date either order could read is reported, not guessed"
        if self.mixed:
            return f"dates both ways: {self.why}; a date either order could read is reported, not guessed"
        return f"read as {ORDER_LABELS[self.order]}, {self.why}"


def zone_named(name: str | None) -> tzinfo:
    """The zone an export's times without an offset are in (IANA name; blank is UTC)."""
    if not name or name.strip().upper() in ("UTC", "Z", "GMT"):
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise DateUnreadable(
            f"{name!r} is not a time zone name (write it as Europe/Berlin, America/New_York or UTC)"
        ) from None


# A column whose first this many dates are all ISO or Unix times is not read further to decide an order: an
# import of 100k ISO-dated rows would otherwise read the file twice (0.45 CPU-s of ~9).
ORDERLESS_SAMPLE = 1_000


def detect_order(
    values: Iterable[tuple[int, str]], *, fixed: str | None = None, default: str = DAY_FIRST
) -> DateReading:
    """The reading of one column from its (row number, value) pairs; `fixed` (the profile's) wins outright."""
    if fixed in ORDERS:
        return DateReading(fixed, "as the profile says")
    day_first: tuple[int, str] | None = None
    month_first: tuple[int, str] | None = None
    orderless = 0  # dates seen so far that need no order, while no day/month date has been seen
    for number, value in values:
        text = value.strip()
        found = _NUMERIC.match(text)
        if not found:
            if orderless >= 0 and _needs_no_order(text):
                orderless += 1
                if orderless >= ORDERLESS_SAMPLE:
                    return DateReading(
                        default, f"the first {ORDERLESS_SAMPLE:,} dates are ISO or Unix times", unscanned=True
                    )
            continue
        orderless = -1  # a day/month date: the whole column is read to decide
        a, b = int(found["a"]), int(found["b"])
        if a > 12 and b <= 12 and day_first is None:
            day_first = (number, value.strip())
        elif b > 12 and a <= 12 and month_first is None:
            month_first = (number, value.strip())
        if day_first and month_first:
            break
    if day_first and month_first:
        return DateReading(
            default,
            f"row {day_first[0]} has {day_first[1]} but row {month_first[0]} has {month_first[1]}",
            mixed=True,
        )
    if day_first:
        return DateReading(DAY_FIRST, f"because row {day_first[0]} has {day_first[1]}")
    if month_first:
        return DateReading(MONTH_FIRST, f"because row {month_first[0]} has {month_first[1]}")
    return DateReading(default, "the profile's default: no value has a day over 12")


def parse_date(value: str, *, reading: DateReading, zone: tzinfo = UTC, now: datetime) -> datetime:
    """The value as an aware UTC datetime (to the second), or DateUnreadable saying why not."""
    text = value.strip()
    if text.lower() in BLANKS:
        raise DateUnreadable("the date is blank")
    # The form most exports write (2026-10-02 09:15:00 +0000) is tried first: it is most rows of a big import.
    parsed = (
        (_iso(text) if text[4:5] == "-" else None) or _unix(text) or _iso(text) or _written(text, reading)
    )
    if parsed is None:
        if RELATIVE_WORDS.search(text):
            raise DateUnreadable(f"{text!r} is relative to a day the file does not say: give the date itself")
        raise DateUnreadable(f"{text!r} is not a date in any form this import reads")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    parsed = parsed.astimezone(UTC).replace(microsecond=0)
    if parsed.year < EARLIEST_YEAR:
        raise DateUnreadable(f"{text!r} is before {EARLIEST_YEAR}: an empty timestamp, not a ticket's date")
    if parsed > now + FUTURE_SLACK:
        raise DateUnreadable(f"{text!r} is in the future (after the import time)")
    return parsed if parsed <= now else now.replace(microsecond=0)


def _needs_no_order(text: str) -> bool:
    try:
        return text.lower() not in BLANKS and (_unix(text) or _iso(text)) is not None
    except DateUnreadable:  # 2026/02/31: year first all the same
        return True


def _unix(text: str) -> datetime | None:
    try:
        seconds = float(text)
    except (ValueError, OverflowError):
        return None
    if 1e8 < seconds < 1e10:  # Slack ts and Unix seconds
        return datetime.fromtimestamp(seconds, UTC)
    if 1e11 < seconds < 1e13:  # Unix milliseconds (HubSpot, many APIs)
        return datetime.fromtimestamp(seconds / 1000, UTC)
    return None


def _iso(text: str) -> datetime | None:
    if not text[:4].isdigit() or len(text) < 8:
        return None
    for candidate in (text, _ISO_ZONE_WORD.sub("+00:00", text)):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    found = _YEAR_FIRST_SLASH.match(text)
    if found:
        return _build(text, int(found["year"]), int(found["month"]), int(found["day"]), found)
    return None


def _written(text: str, reading: DateReading) -> datetime | None:
    if found := _NUMERIC.match(text):
        a, b = int(found["a"]), int(found["b"])
        day, month = (a, b) if reading.order == DAY_FIRST else (b, a)
        if month > 12 and day <= 12:
            if not (reading.mixed or reading.unscanned):
                raise DateUnreadable(
                    f"{text!r} reads only as {ORDER_LABELS[_other(reading.order)]}, but this column is read "
                    f"as {ORDER_LABELS[reading.order]} ({reading.why})"
                )
            day, month = month, day
        elif reading.mixed and a != b and a <= 12 and b <= 12:
            raise DateUnreadable(f"{text!r} could be either order, and this column has both ({reading.why})")
        elif reading.unscanned and a != b and a <= 12 and b <= 12:
            raise DateUnreadable(
                f"{text!r} could be either order, and this column's other dates do not say which ({reading.why}): "
                "choose the date order"
            )
        return _build(text, _year(found["year"]), month, day, found)
    for pattern in (_DAY_MONTH_NAME, _MONTH_NAME_DAY):
        if found := pattern.match(text):
            named = MONTHS.get(found["month"].lower())
            if named is None:
                return None
            return _build(text, _year(found["year"]), named, int(found["day"]), found)
    return None


def _other(order: str) -> str:
    return MONTH_FIRST if order == DAY_FIRST else DAY_FIRST


def _year(digits: str) -> int:
    return int(digits) if len(digits) == 4 else 2000 + int(digits)


def _build(text: str, year: int, month: int, day: int, found: re.Match[str]) -> datetime:
    hour, minute = int(found["hour"] or 0), int(found["minute"] or 0)
    second = int(found["second"] or 0)
    if ampm := found["ampm"]:
        if not 1 <= hour <= 12:
            raise DateUnreadable(f"{text!r} has hour {hour} with {ampm}")
        hour = hour % 12 + (12 if ampm[0].lower() == "p" else 0)
    try:
        built = datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise DateUnreadable(f"{text!r} is not a day of the calendar ({error})") from None
    zone = found["zone"]
    if zone is None:
        return built
    if zone.upper() in ("Z", "UTC", "GMT"):
        return built.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= timedelta(hours=24):
        raise DateUnreadable(f"{text!r} has an offset of {zone}, more than a day")
    return built.replace(tzinfo=timezone(sign * offset))


def _fixed(offset: timedelta) -> tzinfo:
    from datetime import timezone

    return timezone(offset)
