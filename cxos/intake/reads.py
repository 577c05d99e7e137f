"""The intake API's reads: the friction log's filters from a query string, newest first, a page per cursor."""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select

from cxos.errors import ValidationFailed
from cxos.journey.map import touchpoint_options
from cxos.models import Signal
from cxos.signals.queries import SignalFilter
from cxos.store.store import Store
from cxos.url_params import MAX_ITEMS as MAX_LIST_ITEMS
from cxos.url_params import Unreadable, read_choices, read_date, read_date_range, read_id, read_int, read_text
from cxos.vocabulary import Component, Source, Status

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
SEARCH_MAX_CHARS = 200
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2999, 12, 31)
# The query parameters GET /api/v1/signals reads: the log page's filters, then the page's size and place.
PARAMS = (
    "q",
    "status",
    "source",
    "stage",
    "touchpoint",
    "component",
    "team",
    "since",
    "until",
    "limit",
    "cursor",
)
FIELDS = (
    "id",
    "title",
    "description",
    "source",
    "severity",
    "status",
    "touchpoint_id",
    "owner_team_id",
    "account",
    "arr",
    "reporter",
    "external_ref",
    "created_at",
    "created_by",
    "updated_at",
    "version",
)


@dataclass(frozen=True)
class Query:
    """One page's request: the filters, how many, and after which signal (None: from the newest)."""

    signal_filter: SignalFilter
    limit: int
    after: tuple[datetime, int] | None


def signal_json(signal: Signal) -> dict[str, Any]:
    """A signal as the API returns it: plain JSON values, datetimes in ISO 8601 UTC."""
    data = {field: getattr(signal, field) for field in FIELDS}
    for field in ("created_at", "updated_at"):
        data[field] = data[field].isoformat()
    return data


def read_query(store: Store, params: Mapping[str, str]) -> Query:
    """The filters and page a query string asks for; every unreadable parameter is named in one refusal."""
    problems: dict[str, str] = {}
    with store.read() as session:
        touchpoints = tuple(touchpoint_options(session, include_archived=True))

    def ids(name: str, *, skip: str = "") -> tuple[int, ...]:
        chosen, rejected = _read_ids(params.get(name, ""), skip=skip)
        if rejected:
            problems[name] = f"not ids: {', '.join(rejected[:5])}"
        return chosen

    def choices(name: str, options: Mapping[str, str]) -> tuple[str, ...]:
        chosen, rejected = read_choices(params.get(name, ""), options)
        if rejected:
            problems[name] = f"not one of {', '.join(options)}: {', '.join(rejected[:5])}"
        return tuple(chosen)

    def day(name: str) -> date | None:
        raw = params.get(name, "").strip()
        try:
            return read_date(raw, lo=EARLIEST_DAY, hi=LATEST_DAY) if raw else None
        except Unreadable as why:
            problems[name] = str(why)
            return None

    unowned = "none" in {item.strip().lower() for item in params.get("team", "").split(",")}
    team_ids = ids("team", skip="none")  # "none": signals with no owner, the triage queue
    since, until = day("since"), day("until")
    try:
        since, until = read_date_range(since, until)
    except Unreadable as why:
        problems["until"] = str(why)
    text, cut = read_text(params.get("q", ""), max_chars=SEARCH_MAX_CHARS)
    if cut:
        problems["q"] = f"is longer than {SEARCH_MAX_CHARS} characters"
    signal_filter = SignalFilter(
        stage_ids=ids("stage"),
        touchpoint_ids=ids("touchpoint"),
        components=choices("component", {c.value: c.value for c in Component}),
        team_ids=team_ids,
        unowned=unowned,
        statuses=choices("status", {s.value: s.value for s in Status}),
        sources=choices("source", {s.value: s.value for s in Source}),
        since=since,
        until=until,
        text=text,
        touchpoints=touchpoints,
    )
    limit = DEFAULT_LIMIT
    if params.get("limit", "").strip():
        try:
            limit = read_int(params["limit"], lo=1, hi=MAX_LIMIT)
        except Unreadable as why:
            problems["limit"] = str(why)
    after = None
    if params.get("cursor", "").strip():
        try:
            after = read_cursor(params["cursor"])
        except Unreadable as why:
            problems["cursor"] = str(why)
    if problems:
        raise ValidationFailed(problems)
    return Query(signal_filter, limit, after)


def page(store: Store, query: Query) -> tuple[list[Signal], str | None]:
    """One page of signals, newest first, and the cursor of the next page (None on the last one)."""
    where = query.signal_filter.conditions()
    if query.after is not None:
        at, signal_id = query.after
        where.append(
            or_(col(Signal.created_at) < at, and_(col(Signal.created_at) == at, col(Signal.id) < signal_id))
        )
    with store.read() as session:
        rows = list(
            session.exec(
                select(Signal)
                .where(*where)
                .order_by(col(Signal.created_at).desc(), col(Signal.id).desc())
                .limit(query.limit + 1)
            )
        )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, (cursor_after(rows[-1]) if more and rows else None)


def cursor_after(signal: Signal) -> str:
    """An opaque cursor for the page after this signal."""
    raw = f"{signal.created_at.isoformat()}|{signal.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(raw: str) -> tuple[datetime, int]:
    """The (created_at, id) a cursor stands for, or Unreadable."""
    try:
        text = base64.urlsafe_b64decode(raw.strip() + "=" * (-len(raw.strip()) % 4)).decode()
        at, signal_id = text.split("|")
        return datetime.fromisoformat(at), read_id(signal_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unreadable("not a cursor this API gave out") from None


def _read_ids(raw: str, *, skip: str = "") -> tuple[tuple[int, ...], list[str]]:
    """A comma-separated list of row ids: the ones read, in order without repeats, and the items that are not."""
    chosen: list[int] = []
    rejected: list[str] = []
    for item in (part.strip() for part in raw.split(",")[:MAX_LIST_ITEMS]):
        if not item or item.lower() == skip:
            continue
        try:
            value = read_id(item)
        except Unreadable:
            rejected.append(item)
            continue
        if value not in chosen:
            chosen.append(value)
    return tuple(chosen), rejected
