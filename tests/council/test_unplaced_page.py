"""The council's Unplaced list on the triage step (AppTest): imported rows below the placement threshold are
listed, ticked by id and placed in bulk; a second person placing the same rows is refused as stale."""

import pytest
from sqlmodel import col, select

from components.common import pages
from cxos.importers.batch import import_file
from cxos.importers.mapping import Profile
from cxos.importers.unplaced import count_unplaced
from cxos.journey.map import touchpoint_options
from cxos.models import Signal, UnplacedRow
from cxos.store.store import Store
from cxos.vocabulary import plural
from tests.conftest import COUNCIL
from tests.test_pages import open_page

PAGE = pages.COUNCIL.path
KEY_NOW = "council_unplaced_table_key"
ROWS = ["The thing from Tuesday again", "Nobody could find the setting", "It felt slow somehow"]


@pytest.fixture
def held_rows(demo_db, tmp_path, monkeypatch) -> list[int]:
    """Three rows of a text-only file that no placement rule takes (and no placement model is stored)."""
    empty = tmp_path / "placement_rules.yaml"
    empty.write_text("placement_rules: []\n")
    monkeypatch.setenv("CXOS_PLACEMENT_RULES", str(empty))
    store = Store(demo_db)
    try:
        report = import_file(
            store,
            data=("Text\n" + "\n".join(ROWS) + "\n").encode(),
            filename="notes.csv",
            profile=Profile("Text only", "csv", {"Text": "message"}),
            actor=COUNCIL,
        )
        assert report.unplaced == 3
        with store.read() as session:
            return list(session.exec(select(UnplacedRow.id).order_by(col(UnplacedRow.id))))
    finally:
        store.dispose()


def _unplaced_table(at):
    return next(frame for frame in at.dataframe if "Model's guess" in frame.value.columns)


def _tick(at, *positions: int):
    at.session_state[at.session_state[KEY_NOW]] = {"selection": {"rows": list(positions), "columns": []}}
    return at.run()


def _webinars(url: str) -> int:
    store = Store(url)
    try:
        with store.read() as session:
            return next(tp.id for tp in touchpoint_options(session) if tp.name == "Webinars")
    finally:
        store.dispose()


def _place(at, touchpoint_id: int, count: int):
    at.selectbox(key="council_unplaced_touchpoint").set_value(touchpoint_id).run()
    return next(b for b in at.button if b.label == f"Place {plural(count, 'row')}").click().run()


def test_unplaced_rows_are_listed_and_the_ticked_ones_placed_in_bulk(demo_db, held_rows):
    at = open_page(PAGE, query={"step": "2"})
    assert not at.exception
    assert any("Unplaced: 3 imported rows" in m.value for m in at.markdown)
    assert list(_unplaced_table(at).value["What happened"]) == ROWS
    at = _place(_tick(at, 0, 2), _webinars(demo_db), 2)
    assert not at.exception
    assert any("Placed 2 rows" in s.value for s in at.success)
    store = Store(demo_db)
    try:
        with store.read() as session:
            placed = session.exec(select(Signal).where(col(Signal.title).in_(ROWS))).all()
        assert count_unplaced(store) == 1
    finally:
        store.dispose()
    assert sorted(s.title for s in placed) == sorted([ROWS[0], ROWS[2]])
    assert {s.touchpoint_id for s in placed} == {_webinars(demo_db)}
    assert list(_unplaced_table(at).value["What happened"]) == [ROWS[1]]


def test_a_tick_stays_on_its_row_when_someone_else_places_the_row_above(demo_db, held_rows):
    """Ticks are kept by row id: the row another person placed leaves the list, and only the other ticked row
    is placed, never the row that moved up into its position."""
    webinars = _webinars(demo_db)
    second = _tick(open_page(PAGE, name="Marco Rossi", query={"step": "2"}), 0, 1)
    second.selectbox(key="council_unplaced_touchpoint").set_value(webinars).run()
    first = _place(_tick(open_page(PAGE, query={"step": "2"}), 0), webinars, 1)
    assert any("Placed 1 row" in s.value for s in first.success)
    second = next(b for b in second.button if b.label == "Place 2 rows").click().run()
    assert any("Placed 1 row" in s.value for s in second.success)
    store = Store(demo_db)
    try:
        with store.read() as session:
            held = {row.id: row for row in session.exec(select(UnplacedRow)).all()}
            by = {
                row.id: session.get(Signal, row.placed_signal_id)
                for row in held.values()
                if row.placed_signal_id
            }
    finally:
        store.dispose()
    assert sorted(by) == held_rows[:2]  # the first and second rows; the third still waits
    assert (by[held_rows[0]].created_by, by[held_rows[1]].created_by) == ("Priya Shah", "Marco Rossi")
    assert list(_unplaced_table(second).value["What happened"]) == [ROWS[2]]
