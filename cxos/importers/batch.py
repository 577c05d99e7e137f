"""Turning an opened export into signals: validate each row, dedupe, route, and store a batch per transaction."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from cxos.clock import utcnow
from cxos.errors import CxosError, ValidationFailed
from cxos.identity import Actor, require
from cxos.importers import pipeline, unplaced
from cxos.importers.dates import DAY_FIRST, DateReading, DateUnreadable, detect_order, parse_date, zone_named
from cxos.importers.mapping import (
    BAD_DATE_IMPORT_TIME,
    PLACEMENT_FIELDS,
    Profile,
    fit_to_header,
    known_source,
    message_title,
    missing_fields,
    parse_arr,
    parse_severity,
    parse_source,
    reference,
)
from cxos.importers.placement import Placement, Placer, UnplacedSignal, placer_for, tags_of
from cxos.importers.reading import Record, Table, open_table
from cxos.importers.report import ImportReport
from cxos.inputs import SignalCreate, parse
from cxos.journey.map import touchpoint_options
from cxos.models import Signal, table_of
from cxos.notify.outbox import enqueue_routed
from cxos.routing.decision import Decision
from cxos.signals import writes as signals
from cxos.signals.arrival import ArrivalRouter, arrival_router, understood
from cxos.store.bulk import among, cyclic_gc_paused
from cxos.store.store import Store
from cxos.vocabulary import Source

# When a second process prepares the rows, every DETECT_HERE-th row's CX drivers are detected in the importing
# process instead (before its batch is placed and routed): detection is 60% of preparing a row, and this
# share evens out the two processes' CPU (100k rows: 12.7 CPU-s preparing against 6-9 storing before).
DETECT_HERE = 3
# Rows per transaction. Each commit writes out every index page it touched, so fewer, larger batches are
# faster (100k rows: 2,000 → 10,000 saves 1.5 s, for ~25 MiB more); a refused batch still names its rows.
BATCH = 10_000
SLACK_NOISE = {
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "bot_add",
    "bot_remove",
    "pinned_item",
    "unpinned_item",
    "channel_archive",
    "tombstone",
}
# A clash with a concurrent import is retried; each retry finds more of the batch stored, so two are plenty.
REFERENCE_CLASH_TRIES = 3
Progress = Callable[[float, int], None]
_SIGNALS = table_of(Signal)


@dataclass
class Prepared:
    """A valid row: its row number and fields; once its batch is routed, the signal's columns and decision."""

    number: int
    fields: dict[str, Any]
    created_at: Any
    row: dict[str, Any] = field(default_factory=dict)
    decision: Decision = field(default_factory=lambda: Decision(None))
    # Tags, group and channel as the export wrote them (absent when it has none): no signal column holds them,
    # so they travel with the row for the placement rules.
    tag_columns: dict[str, str] = field(default_factory=dict)
    placement: Placement | None = None  # None: a column (or the chosen default) named the touchpoint
    # Reported with the imported row: a date no form reads, stored as the import time as the person chose.
    note: str | None = None
    # Its CX drivers detected yet: a row prepared in the second process may leave that to this one (below).
    understood: bool = True


DEFAULT_READING = DateReading(DAY_FIRST, "")  # a file read before its dates were looked at: day first


@dataclass(frozen=True)
class Context:
    touchpoints: dict[str, list[int]]  # lower-cased name and "stage › name" → ids
    router: ArrivalRouter
    placer: Placer
    now: Any
    actor: Actor
    label: str
    dates: DateReading = DEFAULT_READING
    zone: Any = UTC  # the export's zone for times written without an offset


def import_file(
    store: Store,
    *,
    data: bytes,
    filename: str,
    profile: Profile,
    actor: Actor,
    dry_run: bool = False,
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> ImportReport:
    """Read an export and import its rows; every row ends imported, a duplicate, skipped, or an error with its number."""
    require(actor, "import_signals")
    table = open_table(data, filename)
    return import_table(
        store,
        table=table,
        profile=profile,
        actor=actor,
        label=filename,
        dry_run=dry_run,
        batch_size=batch_size,
        progress=progress,
    )


@cyclic_gc_paused()
def import_table(
    store: Store,
    *,
    table: Table,
    profile: Profile,
    actor: Actor,
    label: str = "",
    dry_run: bool = False,
    batch_size: int = BATCH,
    progress: Progress | None = None,
) -> ImportReport:
    require(actor, "import_signals")
    context = _context(store, actor, label)
    absent = missing_fields(profile, table.header)
    profile = fit_to_header(profile, table.header, table.preview() if profile.free_text else None)
    check_profile(profile, context)
    try:
        context = replace(context, zone=zone_named(profile.timezone), dates=read_dates(table, profile))
    except DateUnreadable as error:
        raise ValidationFailed({"timezone": str(error)}) from None
    report = ImportReport(
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
        dry_run=dry_run,
        notes=[f"The file has no column {c!r}: its field stays empty." for c in absent]
        + list(context.placer.warnings),
    )
    if "created_at" in profile.mapping.values():
        report.notes.append(f"Dates {context.dates.describe()}.")
    seen: dict[str, int] = {}  # external ref → the row of this file that has it
    pending: list[Prepared] = []
    # A large file's rows are read and prepared in a second process while this one stores (pipeline.py).
    outcomes = pipeline.prepared_outcomes(
        table.records(),
        partial(_prepare, profile=profile, context=context, kind=table.kind),
        prepare_there=partial(_prepare, profile=profile, context=context, kind=table.kind, here=False),
        inline=pipeline.FORK_AFTER,
        position=lambda: table.position,
        pack=_packed,
        unpack=_unpacked,
    )
    for (number, rows, outcome), position in outcomes:
        report.rows_read += rows  # more than one: the rest of a file the reader gave up on
        if isinstance(outcome, Prepared):
            ref = outcome.fields["external_ref"]
            if ref and ref in seen:
                report.add(number, "duplicate", f"same reference as row {seen[ref]} ({ref})")
                continue
            if ref:
                seen[ref] = number
            pending.append(outcome)
        else:
            report.add(number, *outcome, rows=rows)
        if len(pending) >= batch_size:
            _store_batch(store, pending, context, report, seen, dry_run)
            pending = []
            if progress:
                progress(position, report.rows_read)
    _store_batch(store, pending, context, report, seen, dry_run)
    if progress:
        progress(1.0, report.rows_read)
    return report


def read_dates(table: Table, profile: Profile) -> DateReading:
    """How the file's created-at column is read: fixed by the profile, else decided by its values (a pass
    over the column that stops where a value decides, or after 1,000 dates that need no order)."""
    column = next((c for c, f in profile.mapping.items() if f == "created_at"), None)
    if column is None or profile.date_order is not None:
        return detect_order((), fixed=profile.date_order, default=profile.date_default)
    values = ((r.number, r.values[column]) for r in table.records() if r.values is not None)
    return detect_order(values, default=profile.date_default)


def check_profile(profile: Profile, context: Context) -> None:
    """Refuse a mapping that would fail every row, before reading any: say what to map or choose."""
    problems = {}
    fields = set(profile.mapping.values())
    if not fields & {"title", "message"}:
        problems["title"] = "map a column to Title (or to Message)"
    if profile.default_source and not known_source(profile.default_source):
        problems["source"] = f"{profile.default_source!r} is not a source"
    # No touchpoint column and no default: each row is placed by the placement rules and model, or held.
    all_ids = {i for ids in context.touchpoints.values() for i in ids}
    if profile.default_touchpoint_id is not None and profile.default_touchpoint_id not in all_ids:
        problems["touchpoint"] = f"touchpoint #{profile.default_touchpoint_id} is not in the journey"
    if problems:
        raise ValidationFailed(problems)


def _context(store: Store, actor: Actor, label: str) -> Context:
    with store.read() as session:
        touchpoints = touchpoint_keys(session)
    live = frozenset(i for ids in touchpoints.values() for i in ids)
    placer = placer_for(store, touchpoints, live)
    return Context(touchpoints, arrival_router(store), placer, utcnow(), actor, label)


def touchpoint_keys(session: Session) -> dict[str, list[int]]:
    """Every spelling a file or payload may name a touchpoint by (lower-cased name, "stage › name") → ids."""
    touchpoints: dict[str, list[int]] = {}
    for tp in touchpoint_options(session):
        for key in {tp.name.lower(), tp.label.lower(), f"{tp.stage} > {tp.name}".lower()}:
            touchpoints.setdefault(key, []).append(tp.id)
    return touchpoints


@dataclass(frozen=True)
class Mapped:
    """One record through a profile: its signal fields (touchpoint_id None: to be placed), when it happened,
    its tag-like columns, and a note for the report (a date stored as the import time)."""

    fields: dict[str, Any]
    created_at: Any
    tag_columns: dict[str, str]
    note: str | None = None


def _prepare(
    record: Record, *, profile: Profile, context: Context, kind: str, here: bool = True
) -> Prepared | tuple[str, str]:
    """One record as a row to store, or why not. `here` False: in the second process, which leaves the
    detection of every DETECT_HERE-th row to the importing one (_understand_rest)."""
    if record.values is None:
        return "error", record.problem or "could not be read"
    values = record.values
    if kind == "slack_json":
        if values.get("subtype") in SLACK_NOISE:
            return "skipped", f"not a message ({values['subtype']})"
        if profile.skip_replies and values.get("thread_ts") and values["thread_ts"] != values.get("ts"):
            return "skipped", "a reply in a thread: the thread's first message stands for it"
    mapped = mapped_fields(
        values,
        profile,
        touchpoints=context.touchpoints,
        now=context.now,
        dates=context.dates,
        zone=context.zone,
        ref_fallback=values.get("ts", "") if kind == "slack_json" else "",
        placeable=True,
    )
    if isinstance(mapped, str):
        return "error", mapped
    understand = here or record.number % DETECT_HERE != 0
    return Prepared(
        record.number,
        # its CX drivers read from the text, before routing sees it
        understood(mapped.fields) if understand else mapped.fields,
        mapped.created_at,
        tag_columns=mapped.tag_columns,
        note=mapped.note,
        understood=understand,
    )


def _packed(outcome: Prepared | tuple[str, str]) -> tuple[Any, ...]:
    """A prepared row as plain values, for the pipe from the preparing process (a refusal is already plain)."""
    if isinstance(outcome, Prepared):
        return (
            None,
            outcome.number,
            outcome.fields,
            outcome.created_at,
            outcome.tag_columns,
            outcome.note,
            outcome.understood,
        )
    return outcome


def _unpacked(packed: tuple[Any, ...]) -> Prepared | tuple[str, str]:
    if packed[0] is None:
        _, number, fields, created_at, tag_columns, note, done = packed
        return Prepared(number, fields, created_at, tag_columns=tag_columns, note=note, understood=done)
    return packed  # ("error" | "skipped", why)


def mapped_fields(
    values: dict[str, str],
    profile: Profile,
    *,
    touchpoints: dict[str, list[int]],
    now: Any,
    dates: DateReading = DEFAULT_READING,
    zone: Any = UTC,
    ref_fallback: str = "",
    placeable: bool = False,
) -> Mapped | str:
    """One record's signal fields through a profile (a file's row, or a webhook's JSON flattened to dotted
    keys), or why it cannot be a signal. `placeable`: a record that names no touchpoint is kept for the
    placement step (an import); otherwise it is refused (a webhook must say where it belongs)."""
    given = {field_name: values.get(column, "") for column, field_name in profile.mapping.items()}
    data: dict[str, Any] = {"title": given.get("title", ""), "description": given.get("description", "")}
    if "message" in given:
        message = given["message"].strip()
        data["title"] = data["title"] or message_title(message)
        if "description" not in given and message != data["title"]:
            data["description"] = message
    # No source column and no default (a file with only a text column): "other", never a refusal.
    data["source"] = parse_source(given.get("source", "")) or profile.default_source or Source.OTHER.value
    touchpoint = _touchpoint(given, profile, touchpoints)
    if isinstance(touchpoint, str):
        return touchpoint
    data["touchpoint_id"] = touchpoint
    for field_name in ("account", "reporter"):
        data[field_name] = given.get(field_name) or None
    data["arr"] = parse_arr(given.get("arr", ""))
    data["severity"] = parse_severity(given.get("severity", "")) or "medium"
    data["external_ref"] = reference(given.get("external_ref", "") or ref_fallback, profile.ref_prefix)
    try:
        signal_in: SignalCreate = parse(SignalCreate if touchpoint or not placeable else UnplacedSignal, data)
    except ValidationFailed as refused:
        return str(refused)
    created_at, note = now, None
    if "created_at" in given:
        try:
            created_at = parse_date(given["created_at"], reading=dates, zone=zone, now=now)
        except DateUnreadable as unreadable:
            if profile.bad_dates != BAD_DATE_IMPORT_TIME:
                return f"Created at: {unreadable}"
            note = f"Created at: {unreadable}; stored with the import time instead"
    return Mapped(
        signal_in.model_dump(exclude={"client_token"}),
        created_at,
        {name: given[name].strip() for name in PLACEMENT_FIELDS if name in given},
        note,
    )


def _understand_rest(batch: list[Prepared]) -> None:
    """The CX drivers of the rows the second process left to this one, before anything reads them."""
    for prepared in batch:
        if not prepared.understood:
            prepared.fields = understood(prepared.fields)
            prepared.understood = True


def _place(batch: list[Prepared], context: Context) -> None:
    """The rows no column placed get a touchpoint from the placement rules or model, or stay unplaced."""
    waiting = [prepared for prepared in batch if prepared.fields["touchpoint_id"] is None]
    if not waiting:
        return
    placements = context.placer.place_many(
        [p.fields for p in waiting], [tags_of(p.tag_columns) for p in waiting]
    )
    for prepared, placement in zip(waiting, placements, strict=True):
        prepared.placement = placement
        prepared.fields["touchpoint_id"] = placement.touchpoint_id


def _is_held(prepared: Prepared) -> bool:
    return prepared.fields["touchpoint_id"] is None


def _route(batch: list[Prepared], context: Context) -> None:
    """Routing on arrival for a whole batch (the model ranks the rows no rule took in one pass); a held row
    gets its holding row instead, and is routed when the council places it."""
    placed = [prepared for prepared in batch if not _is_held(prepared)]
    for prepared in batch:
        if _is_held(prepared) and prepared.placement is not None:
            prepared.row = unplaced.held_row(
                number=prepared.number,
                fields=prepared.fields,
                created_at=prepared.created_at,
                placement=prepared.placement,
                label=context.label,
                actor=context.actor,
                at=context.now,
            )
    decisions = context.router.decide_many([prepared.fields for prepared in placed])
    for prepared, decision in zip(placed, decisions, strict=True):
        prepared.decision = decision
        prepared.row = signals.new_signal_row(
            fields=prepared.fields,
            created_at=prepared.created_at,
            decision=decision,
            actor=context.actor,
            at=context.now,
        )


def _touchpoint(
    given: dict[str, str], profile: Profile, touchpoints: dict[str, list[int]]
) -> int | str | None:
    name = given.get("touchpoint", "").strip()
    if not name:
        return profile.default_touchpoint_id
    ids = touchpoints.get(name.lower().replace("›", ">").replace(" > ", " › "), []) or touchpoints.get(
        name.lower(), []
    )
    if len(ids) == 1:
        return ids[0]
    if profile.default_touchpoint_id is not None:
        return profile.default_touchpoint_id
    if ids:
        return f"Touchpoint: {name!r} is in several stages; write it as 'Stage › Touchpoint'"
    return f"Touchpoint: {name!r} is not a touchpoint of the journey (choose a default touchpoint to catch these)"


def _store_batch(
    store: Store,
    batch: list[Prepared],
    context: Context,
    report: ImportReport,
    seen: dict[str, int],
    dry_run: bool,
) -> None:
    if not batch:
        return
    _understand_rest(batch)
    _place(batch, context)
    _route(batch, context)
    try:
        existing = _insert_new(store, batch, context, dry_run)
    except (SQLAlchemyError, CxosError) as error:
        first, last = batch[0].number, batch[-1].number
        why = str(error).splitlines()[0][:300]
        for prepared in batch:
            seen.pop(prepared.row["external_ref"] or "", None)
            report.add(
                prepared.number,
                "error",
                f"not imported: the database refused rows {first}–{last} and stored none of them ({why})",
            )
        return
    for prepared in batch:
        ref = prepared.row["external_ref"]
        if ref in existing:
            report.add(
                prepared.number,
                "duplicate",
                f"already in the friction log as signal #{existing[ref]} ({ref})"
                if existing[ref] > 0
                else f"already waiting in the Unplaced list as row #{-existing[ref]} ({ref})",
            )
        elif _is_held(prepared):
            report.count_unplaced()
        else:
            report.count_imported(
                prepared.decision, prepared.placement.decided_by if prepared.placement else ""
            )
            if prepared.note:
                report.note_row(prepared.number, prepared.note)


def _insert_new(store: Store, batch: list[Prepared], context: Context, dry_run: bool) -> dict[str, int]:
    """Store the rows whose reference is not stored yet; the stored ones' references → their signal ids (a held
    row's reference → minus its held row's id). Placed rows become signals, unplaced ones held rows.

    Another import of the same file at once (PostgreSQL, or another replica) may store a reference between
    our look-up and our insert: the database's unique key then refuses the whole batch, and the next try
    finds those rows stored and counts them as duplicates.
    """
    for attempt in range(1, REFERENCE_CLASH_TRIES + 1):
        try:
            with store.read() if dry_run else store.write() as session:
                existing = _stored_references(session, batch)
                fresh = [p for p in batch if p.row["external_ref"] not in existing]
                held = [p for p in fresh if _is_held(p)]
                fresh = [p for p in fresh if not _is_held(p)]
                if held and not dry_run:
                    unplaced.hold(
                        session, rows=[p.row for p in held], actor=context.actor, sqlite=store.is_sqlite
                    )
                if fresh and not dry_run:
                    ids = signals.reserve_ids(session, count=len(fresh), sqlite=store.is_sqlite)
                    signals.insert_batch(
                        session,
                        rows=[p.row | {"id": i} for p, i in zip(fresh, ids, strict=True)],
                        events=list(_events(fresh, ids, context)),
                    )
                    # After the batch is stored, in its transaction: the owners of the rows routed on arrival.
                    enqueue_routed(
                        session, routed=[(i, p.row["owner_team_id"]) for p, i in zip(fresh, ids, strict=True)]
                    )
                return existing
        except IntegrityError as clash:
            if not signals.is_reference_clash(clash) or attempt == REFERENCE_CLASH_TRIES:
                raise
    raise AssertionError("unreachable: the last try returns or raises")


def _stored_references(session: Session, batch: list[Prepared]) -> dict[str, int]:
    refs = [p.row["external_ref"] for p in batch if p.row["external_ref"]]
    if not refs:
        return {}
    postgres = session.get_bind().dialect.name == "postgresql"
    query = select(_SIGNALS.c.external_ref, _SIGNALS.c.id).where(
        among(_SIGNALS.c.external_ref, refs, postgres=postgres)
    )
    held = {ref: -held_id for ref, held_id in unplaced.held_references(session, refs).items()}
    return held | {ref: signal_id for ref, signal_id in session.execute(query).all()}


def _events(fresh: list[Prepared], ids: list[int], context: Context) -> Iterator[dict[str, Any]]:
    """Per signal: 'created' by the importing person (saying what placed it, and that it waits in triage when
    nothing routed it), then the events of its routing on arrival (their note says the rule or the model)."""
    note = f"imported from {context.label}" if context.label else "imported"
    for prepared, signal_id in zip(fresh, ids, strict=True):
        placed = f"; {prepared.placement.note}" if prepared.placement else ""
        waiting = "; waiting in triage" if prepared.decision.team_id is None else ""
        yield from signals.arrival_events(
            signal_id=signal_id,
            row=prepared.row,
            decision=prepared.decision,
            actor=context.actor,
            at=context.now,
            note=f"{note}, row {prepared.number}{placed}{waiting}",
        )
