"""A large file's rows prepared in a second process import exactly as rows prepared in the importing one."""

import time
from dataclasses import replace

import pytest
from sqlmodel import select

from cxos.importers import pipeline
from cxos.importers.batch import import_file
from cxos.importers.profiles import BUILT_IN
from cxos.importers.reading import Record
from cxos.models import Signal
from cxos.signals import drivers
from tests.conftest import COUNCIL

HEADER = "Id,Subject,Description,Requester,Organization,Created at,Tags,Priority,Via\n"


def export(rows: int) -> bytes:
    """Tickets with a repeated reference every 9th row, an empty subject every 11th, and drivers to detect."""
    lines = [HEADER]
    for n in range(rows):
        ticket = 500 + (n - 1 if n % 9 == 8 else n)
        subject = "" if n % 11 == 10 else f"Ticket {n}: still waiting for the invoice"
        body = "The export is broken again!!" if n % 2 else "Please advise"
        lines.append(
            f'{ticket},{subject},"{body}\nrow {n}",u{n}@example.com,Acme,2026-07-01 10:{n % 60:02d}:00 +0000,'
            f"tag{n % 3},normal,Web form\n"
        )
    return "".join(lines).encode()


def run(store, data: bytes, touchpoint_id: int, **kwargs):
    profile = replace(BUILT_IN["Zendesk tickets"], default_touchpoint_id=touchpoint_id)
    return import_file(store, data=data, filename="big.csv", profile=profile, actor=COUNCIL, **kwargs)


def outcome(report) -> tuple:
    return (
        report.rows_read,
        report.imported,
        report.routed,
        [(p.row, p.outcome, p.message) for p in report.problems],
    )


def test_rows_prepared_in_a_second_process_import_as_rows_prepared_here(
    journey_store, touchpoint_id, monkeypatch
):
    data = export(120)
    monkeypatch.setattr(pipeline, "FORK_AFTER", 10**9)
    here = run(journey_store, data, touchpoint_id, dry_run=True, batch_size=25)
    forks = []
    start_child = pipeline._start_child
    monkeypatch.setattr(pipeline, "_start_child", lambda *a: forks.append(1) or start_child(*a))
    monkeypatch.setattr(pipeline, "FORK_AFTER", 7)
    monkeypatch.setattr(pipeline, "CHUNK", 10)
    forked = run(journey_store, data, touchpoint_id, batch_size=25)
    assert forks == [1]
    assert outcome(forked) == outcome(here) and forked.balanced
    assert forked.count("duplicate") >= 10 and forked.count("error") >= 9  # every rejected row, by number
    with journey_store.read() as session:
        stored = list(session.exec(select(Signal).order_by(Signal.id)))
    assert len(stored) == forked.imported
    assert [s.external_ref for s in stored] == sorted(
        {s.external_ref for s in stored}, key=lambda r: int(r[3:])
    )
    assert drivers.load(stored[1].driver_evidence)["driver_effort"] == ["still waiting for", "again"]
    again = run(journey_store, data, touchpoint_id, batch_size=25)  # a re-run imports nothing twice
    assert again.imported == 0 and again.count("duplicate") == forked.imported + forked.count("duplicate")


def test_a_small_file_is_prepared_here_without_a_fork(journey_store, touchpoint_id, monkeypatch):
    monkeypatch.setattr(pipeline, "_start_child", lambda *a: pytest.fail("forked for a small file"))
    report = run(journey_store, export(pipeline.FORK_AFTER - 1), touchpoint_id)
    assert report.rows_read == pipeline.FORK_AFTER - 1 and report.balanced


def test_a_failure_while_preparing_in_the_child_is_raised_in_the_importing_process():
    def prepare(record: Record) -> int:
        if record.number == 40:
            raise ValueError("row 40 broke the reader")
        return record.number * 2

    records = iter([Record(number, {}) for number in range(2, 60)])
    seen = []
    with pytest.raises(ValueError, match="row 40 broke"):
        for (number, _, prepared), _ in pipeline.prepared_outcomes(
            records, prepare, inline=5, position=lambda: 0.0
        ):
            seen.append((number, prepared))
    assert seen == [(number, number * 2) for number in range(2, 40)]  # in the file's order, none lost


def test_a_child_that_dies_is_an_error_not_a_short_import(monkeypatch):
    def prepare(record: Record) -> int:
        if record.number == 20:
            pipeline.os._exit(3)  # killed, out of memory: nothing said
        return record.number

    records = iter([Record(number, {}) for number in range(2, 30)])
    with pytest.raises(RuntimeError, match="stopped without a word"):
        list(pipeline.prepared_outcomes(records, prepare, inline=3, position=lambda: 0.0))


def test_a_child_that_hangs_is_stopped_and_an_error_not_a_wait_forever(monkeypatch):
    monkeypatch.setattr(pipeline, "SILENT_FOR_S", 1.0)

    def prepare(record: Record) -> int:
        if record.number == 10:
            time.sleep(3600)  # stuck, as on a lock another thread held when this process forked
        return record.number

    records = iter([Record(number, {}) for number in range(2, 30)])
    with pytest.raises(RuntimeError, match="sent nothing for 1 s"):
        list(pipeline.prepared_outcomes(records, prepare, inline=3, position=lambda: 0.0))


def test_the_child_keeps_preparing_while_the_importing_process_is_busy_storing():
    """Without the thread that empties the pipe, the child stops at the first chunk the pipe cannot hold, and
    the two processes take turns instead of overlapping."""
    import multiprocessing

    prepared = multiprocessing.get_context("fork").Value("i", 0)

    def prepare(record: Record) -> str:
        with prepared.get_lock():
            prepared.value += 1
        return "x" * 500  # a chunk of these is far more than a pipe holds

    records = iter([Record(number, {}) for number in range(2, 20_002)])
    outcomes = pipeline.prepared_outcomes(records, prepare, inline=1, position=lambda: 0.0)
    (
        next(outcomes),
        next(outcomes),
    )  # one prepared here, one from the child: the importing process is "busy" now
    waited = 0.0
    while prepared.value < 20_000 and waited < 60:
        time.sleep(0.2)
        waited += 0.2
    assert prepared.value == 20_000  # every row prepared while nothing was read here
    assert sum(1 for _ in outcomes) == 19_998
