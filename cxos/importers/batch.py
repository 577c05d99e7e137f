"""Turning an opened export into signals: validate each row, dedupe, route, and store a batch per transaction."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from cxos.clock import utcnow
from cxos.errors import CxosError, ValidationFailed
from cxos.identity import Actor, require
from cxos.importers.mapping import (
    Profile,
    known_source,
    message_title,
    parse_arr,
    parse_created,
    parse_severity,
    parse_source,
    reference,
)
from cxos.importers.reading import Record, Table, open_table
from cxos.importers.report import ImportReport
from cxos.inputs import SignalCreate, parse
from cxos.journey.map import touchpoint_options
from cxos.models import Signal, table_of
from cxos.routing.decision import Decision
from cxos.signals import writes as signals
from cxos.signals.arrival import ArrivalRouter, arrival_router, understood
from cxos.store.bulk import cyclic_gc_paused
from cxos.store.store import Store

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


@dataclass(frozen=True)
class Context:
    touchpoints: dict[str, list[int]]  # lower-cased name and "stage › name" → ids
    router: ArrivalRouter
    now: Any
    actor: Actor
    label: str


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
    absent = [column for column in profile.mapping if column not in table.header]
    profile = replace(profile, mapping={c: f for c, f in profile.mapping.items() if c not in absent})
    check_profile(profile, context)
    report = ImportReport(
        kind=table.kind,
        encoding=table.encoding,
        delimiter=table.delimiter,
        dry_run=dry_run,
        notes=[f"The file has no column {c!r}: its field stays empty." for c in absent],
    )
    seen: dict[str, int] = {}  # external ref → the row of this file that has it
    pending: list[Prepared] = []
    for record in table.records():
        report.rows_read += record.rows  # more than one: the rest of a file the reader gave up on
        outcome = _prepare(record, profile, context, table.kind)
        if isinstance(outcome, Prepared):
            ref = outcome.fields["external_ref"]
            if ref and ref in seen:
                report.add(record.number, "duplicate", f"same reference as row {seen[ref]} ({ref})")
                continue
            if ref:
                seen[ref] = record.number
            pending.append(outcome)
        else:
            report.add(record.number, *outcome, rows=record.rows)
        if len(pending) >= batch_size:
            _store_batch(store, pending, context, report, seen, dry_run)
            pending = []
            if progress:
                progress(table.position, report.rows_read)
    _store_batch(store, pending, context, report, seen, dry_run)
    if progress:
        progress(1.0, report.rows_read)
    return report


def check_profile(profile: Profile, context: Context) -> None:
    """Refuse a mapping that would fail every row, before reading any: say what to map or choose."""
    problems = {}
    fields = set(profile.mapping.values())
    if not fields & {"title", "message"}:
        problems["title"] = "map a column to Title (or to Message)"
    if "source" not in fields and not known_source(profile.default_source):
        problems["source"] = "map a Source column or choose a default source"
    all_ids = {i for ids in context.touchpoints.values() for i in ids}
    if "touchpoint" not in fields and profile.default_touchpoint_id not in all_ids:
        problems["touchpoint"] = "map a Touchpoint column or choose a default touchpoint"
    if profile.default_touchpoint_id is not None and profile.default_touchpoint_id not in all_ids:
        problems["touchpoint"] = f"touchpoint #{profile.default_touchpoint_id} is not in the journey"
    if problems:
        raise ValidationFailed(problems)


def _context(store: Store, actor: Actor, label: str) -> Context:
    with store.read() as session:
        touchpoints: dict[str, list[int]] = {}
        for tp in touchpoint_options(session):
            for key in {tp.name.lower(), tp.label.lower(), f"{tp.stage} > {tp.name}".lower()}:
                touchpoints.setdefault(key, []).append(tp.id)
    return Context(touchpoints, arrival_router(store), utcnow(), actor, label)


def _prepare(record: Record, profile: Profile, context: Context, kind: str) -> Prepared | tuple[str, str]:
    if record.values is None:
        return "error", record.problem or "could not be read"
    values = record.values
    if kind == "slack_json":
        if values.get("subtype") in SLACK_NOISE:
            return "skipped", f"not a message ({values['subtype']})"
        if profile.skip_replies and values.get("thread_ts") and values["thread_ts"] != values.get("ts"):
            return "skipped", "a reply in a thread: the thread's first message stands for it"
    given = {field_name: values.get(column, "") for column, field_name in profile.mapping.items()}
    data: dict[str, Any] = {"title": given.get("title", ""), "description": given.get("description", "")}
    if "message" in given:
        message = given["message"].strip()
        data["title"] = data["title"] or message_title(message)
        if "description" not in given and message != data["title"]:
            data["description"] = message
    data["source"] = parse_source(given.get("source", "")) or profile.default_source
    touchpoint = _touchpoint(given, profile, context)
    if isinstance(touchpoint, str):
        return "error", touchpoint
    data["touchpoint_id"] = touchpoint
    for field_name in ("account", "reporter"):
        data[field_name] = given.get(field_name) or None
    data["arr"] = parse_arr(given.get("arr", ""))
    data["severity"] = parse_severity(given.get("severity", "")) or "medium"
    ref = given.get("external_ref", "") or (values.get("ts", "") if kind == "slack_json" else "")
    data["external_ref"] = reference(ref, profile.ref_prefix)
    try:
        signal_in: SignalCreate = parse(SignalCreate, data)
    except ValidationFailed as refused:
        return "error", str(refused)
    created_at = parse_created(given.get("created_at", ""), now=context.now) or context.now
    fields = understood(signal_in.model_dump(exclude={"client_token"}))  # drivers, before routing sees it
    return Prepared(record.number, fields, created_at)


def _route(batch: list[Prepared], context: Context) -> None:
    """Routing on arrival for a whole batch (the model ranks the rows no rule took in one pass)."""
    decisions = context.router.decide_many([prepared.fields for prepared in batch])
    for prepared, decision in zip(batch, decisions, strict=True):
        prepared.decision = decision
        prepared.row = signals.new_signal_row(
            fields=prepared.fields,
            created_at=prepared.created_at,
            decision=decision,
            actor=context.actor,
            at=context.now,
        )


def _touchpoint(given: dict[str, str], profile: Profile, context: Context) -> int | str | None:
    name = given.get("touchpoint", "").strip()
    if not name:
        return profile.default_touchpoint_id
    ids = context.touchpoints.get(
        name.lower().replace("›", ">").replace(" > ", " › "), []
    ) or context.touchpoints.get(name.lower(), [])
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
                f"already in the friction log as signal #{existing[ref]} ({ref})",
            )
        else:
            report.count_imported(prepared.decision)


def _insert_new(store: Store, batch: list[Prepared], context: Context, dry_run: bool) -> dict[str, int]:
    """Store the rows whose reference is not stored yet; the stored ones' references → their signal ids.

    Another import of the same file at once (PostgreSQL, or another replica) may store a reference between
    our look-up and our insert: the database's unique key then refuses the whole batch, and the next try
    finds those rows stored and counts them as duplicates.
    """
    for attempt in range(1, REFERENCE_CLASH_TRIES + 1):
        try:
            with store.read() if dry_run else store.write() as session:
                existing = _stored_references(session, batch)
                fresh = [p for p in batch if p.row["external_ref"] not in existing]
                if fresh and not dry_run:
                    ids = signals.reserve_ids(session, count=len(fresh), sqlite=store.is_sqlite)
                    signals.insert_batch(
                        session,
                        rows=[p.row | {"id": i} for p, i in zip(fresh, ids, strict=True)],
                        events=list(_events(fresh, ids, context)),
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
    query = select(_SIGNALS.c.external_ref, _SIGNALS.c.id).where(_SIGNALS.c.external_ref.in_(refs))
    return {ref: signal_id for ref, signal_id in session.execute(query).all()}


def _events(fresh: list[Prepared], ids: list[int], context: Context) -> Iterator[dict[str, Any]]:
    """Per signal: 'created' by the importing person, then the events of its routing on arrival."""
    note = f"imported from {context.label}" if context.label else "imported"
    for prepared, signal_id in zip(fresh, ids, strict=True):
        yield from signals.arrival_events(
            signal_id=signal_id,
            row=prepared.row,
            decision=prepared.decision,
            actor=context.actor,
            at=context.now,
            note=f"{note}, row {prepared.number}",
        )
