"""Reading and preparing a large export's rows in a second process while this one routes and stores them.

Preparing a row (reading its cells, validating its fields, reading its dates, detecting its CX drivers) is
about half of an import's CPU, and it needs nothing from the database. After the first batch is prepared
here, a forked child takes over the rest of the file's records where this process stopped and sends the
outcomes back in order, in chunks, while this process stores the batch in hand: two cores instead of one.

The child only reads and prepares: it opens no connection and writes nothing, so every write still goes
through cxos/signals/writes.py in this process, one batch per transaction, and the rows come back in the
file's order with their row numbers (dedupe, duplicates and the report work as before). A small file (one
batch or less) never forks; where fork is not available (or the child cannot start) rows are prepared
here, as before.
"""

import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from cxos.importers.reading import Record

# Rows prepared here before the child is forked: a smaller file is done before a fork would pay.
FORK_AFTER = 2_000
CHUNK = 1_000  # outcomes per message: large enough that pickling dominates the pipe's own cost
Outcome = tuple[int, int, Any]  # (record's row number, rows it stands for, what preparing it gave)
# A child that sends nothing for this long is stuck (a fork copies only the forking thread, so a lock another
# thread held at that moment stays held in the child): it is stopped and the import fails, never waits forever.
# A chunk of CHUNK rows takes well under a second to prepare.
SILENT_FOR_S = 120.0
AHEAD = 64  # chunks prepared ahead that may wait in this process (64,000 rows)


def _same(outcome: Any) -> Any:
    return outcome


def prepared_outcomes(
    records: Iterator[Record],
    prepare: Callable[[Record], Any],
    *,
    inline: int,
    position: Callable[[], float],
    pack: Callable[[Any], Any] = _same,
    unpack: Callable[[Any], Any] = _same,
    prepare_there: Callable[[Record], Any] | None = None,
) -> Iterator[tuple[Outcome, float]]:
    """Each record's (number, rows, outcome) in the file's order, and how far the reading is (0..1).

    The first `inline` records are prepared in this process; if there are more, a forked child prepares the
    rest. `position` reads the table's progress (in the child once it has taken over). The child sends
    `pack(outcome)` and this process yields `unpack` of it: plain tuples pickle several times faster than
    dataclasses (100k prepared rows: 0.3 CPU-s for both sides instead of 2). `prepare_there`, when given, is
    what the child runs instead of `prepare` (it may leave part of the work for this process)."""
    for count, record in enumerate(records, start=1):
        yield (record.number, record.rows, prepare(record)), position()
        if count >= inline:
            break
    else:
        return
    there = prepare_there or prepare
    child = _start_child(records, lambda record: pack(there(record)), position)
    if child is None:  # no fork here: the rest in this process, as before
        for record in records:
            yield (record.number, record.rows, prepare(record)), position()
        return
    process, receiving = child
    # A thread here empties the pipe as the child fills it, so the child never waits while this process
    # stores a batch (a pipe holds 64 KiB: without it the two processes took turns instead of overlapping).
    # AHEAD chunks at most wait here; past that the child waits, so memory stays bounded.
    arrived: queue.Queue[Any] = queue.Queue(maxsize=AHEAD)
    drainer = threading.Thread(
        target=_drain, args=(receiving, arrived), name="cxos-import-drain", daemon=True
    )
    drainer.start()
    try:
        while True:
            try:
                message = arrived.get(timeout=SILENT_FOR_S)
            except queue.Empty:
                raise RuntimeError(
                    f"the process preparing the rows sent nothing for {SILENT_FOR_S:.0f} s"
                ) from None
            if message[0] == "rows":
                _, outcomes, where = message
                for number, rows, packed in outcomes:
                    yield (number, rows, unpack(packed)), where
            elif message[0] == "done":
                return
            elif message[0] == "ended":  # the pipe closed with no "done": the child died
                raise RuntimeError("the process preparing the rows stopped without a word")
            else:  # "failed": the child's exception, raised here as if preparing had raised it
                raise message[1]
    finally:
        if process.is_alive():
            process.terminate()
        process.join()  # the child gone, its end of the pipe is closed: the drainer reads to the end and stops
        while drainer.is_alive():  # unless it waits on a full queue: what it still passes on is not wanted
            try:
                arrived.get(timeout=0.1)
            except queue.Empty:
                pass
        receiving.close()


def _drain(receiving: Any, arrived: "queue.Queue[Any]") -> None:
    try:
        while True:
            message = receiving.recv()
            arrived.put(message)
            if message[0] in ("done", "failed"):
                return
    except (EOFError, OSError):
        pass
    arrived.put(("ended",))


def _start_child(
    records: Iterator[Record], prepare: Callable[[Record], Any], position: Callable[[], float]
) -> tuple[Any, Any] | None:
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("fork")  # the child goes on with this process's half-read iterator
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_prepare_rest, args=(records, prepare, position, sending), name="cxos-import-rows", daemon=True
    )
    try:
        process.start()
    except OSError:
        receiving.close()
        sending.close()
        return None
    sending.close()  # the child holds the sending end now: its exit ends the pipe
    return process, receiving


def _prepare_rest(
    records: Iterator[Record], prepare: Callable[[Record], Any], position: Callable[[], float], sending: Any
) -> None:
    chunk: list[Outcome] = []
    try:
        for record in records:
            chunk.append((record.number, record.rows, prepare(record)))
            if len(chunk) >= CHUNK:
                sending.send(("rows", chunk, position()))
                chunk = []
        if chunk:
            sending.send(("rows", chunk, position()))
        sending.send(("done",))
    except BrokenPipeError:
        pass  # the importing process stopped listening (it failed or was stopped): nothing to tell
    except BaseException as error:  # noqa: BLE001 - every failure is told to the importing process
        try:  # the rows before it first, as preparing them here would have given them before raising
            sending.send(("rows", chunk, position()))
            sending.send(("failed", error))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled is told as text
            sending.send(("failed", RuntimeError("".join(traceback.format_exception(error)))))
    finally:
        sending.close()
        os._exit(0)  # nothing of the parent's (connections, atexit handlers) is run or closed here
