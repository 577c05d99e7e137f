"""One signal per (source, external reference), enforced by the database: concurrent imports of one export
store each reference once, and the importer counts the database's refusal as a duplicate, not an error."""

import threading
from dataclasses import replace

import pytest
from sqlmodel import func, select

from cxos.errors import ValidationFailed
from cxos.importers import batch
from cxos.importers.batch import import_file
from cxos.importers.profiles import BUILT_IN
from cxos.models import Signal
from tests.conftest import COUNCIL
from tests.factories import log_signal

ROWS = 3_000


def export(rows: int = ROWS) -> bytes:
    lines = ["Title,Ticket"] + [f"Checkout retried twice ({n}),ZD-{n}" for n in range(rows)]
    return "\n".join(lines).encode()


def profile(touchpoint_id: int):
    return replace(
        BUILT_IN["Generic CSV"],
        mapping={"Title": "title", "Ticket": "external_ref"},
        default_source="ticket",
        default_touchpoint_id=touchpoint_id,
    )


def stored(store) -> tuple[int, int]:
    """(signals, distinct references)."""
    with store.read() as session:
        return (
            session.exec(select(func.count()).select_from(Signal)).one(),
            session.exec(select(func.count(func.distinct(Signal.external_ref)))).one(),
        )


def test_two_imports_of_one_export_at_once_store_each_reference_once(journey_store, touchpoint_id):
    start, reports = threading.Barrier(2), []

    def importing() -> None:
        start.wait()
        reports.append(
            import_file(
                journey_store,
                data=export(),
                filename="export.csv",
                profile=profile(touchpoint_id),
                actor=COUNCIL,
                batch_size=250,  # many batches, so that the two imports interleave
            )
        )

    threads = [threading.Thread(target=importing) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stored(journey_store) == (ROWS, ROWS)
    assert sum(r.imported for r in reports) == ROWS
    assert sum(r.count("duplicate") for r in reports) == ROWS
    assert [r.count("error") for r in reports] == [0, 0]
    assert all(r.balanced for r in reports)


def test_a_reference_stored_between_look_up_and_insert_is_counted_as_a_duplicate(
    journey_store, touchpoint_id, monkeypatch
):
    import_file(
        journey_store, data=export(10), filename="a.csv", profile=profile(touchpoint_id), actor=COUNCIL
    )
    looked_up = batch._stored_references
    calls = []

    def blind_first_look(session, prepared):  # as if the other import committed just after our look-up
        calls.append(1)
        return {} if len(calls) == 1 else looked_up(session, prepared)

    monkeypatch.setattr(batch, "_stored_references", blind_first_look)
    report = import_file(
        journey_store, data=export(10), filename="b.csv", profile=profile(touchpoint_id), actor=COUNCIL
    )
    assert (report.imported, report.count("duplicate"), report.count("error")) == (0, 10, 0)
    assert stored(journey_store) == (10, 10)


def test_quick_entry_with_a_reference_its_source_already_has_names_the_signal(journey_store, touchpoint_id):
    first = log_signal(journey_store, touchpoint_id=touchpoint_id, source="ticket", external_ref="ZD-7")
    with pytest.raises(ValidationFailed, match=f"signal #{first.id} already has this link"):
        log_signal(journey_store, touchpoint_id=touchpoint_id, source="ticket", external_ref="ZD-7")
    log_signal(
        journey_store, touchpoint_id=touchpoint_id, source="slack", external_ref="ZD-7"
    )  # another source
    assert stored(journey_store) == (2, 1)
