"""AppTest of the journey, heatmaps and fit-score pages: the map, the editor's rules, drill-down by URL."""

from sqlmodel import select

from components.common import pages
from cxos.models import Signal, Touchpoint
from cxos.store.store import Store
from tests.test_pages import open_page

JOURNEY, HEATMAPS, FIT = pages.JOURNEY.path, pages.HEATMAPS.path, pages.FIT_SCORE.path


def _first_touchpoint(url: str) -> Touchpoint:
    store = Store(url)
    with store.read() as session:
        touchpoint = session.exec(
            select(Touchpoint).order_by(Touchpoint.stage_id, Touchpoint.position)
        ).first()
    store.dispose()
    return touchpoint


def test_journey_map_shows_every_stage_and_links_each_touchpoint_to_its_signals(demo_db):
    at = open_page(JOURNEY)
    assert not at.exception
    stages = [m.value for m in at.main.markdown if m.value.startswith("### ")]
    assert stages == [
        "### Handoff",
        "### Onboard",
        "### Adopt",
        "### Get help",
        "### Renew \\& expand",
        "### Advocate",
    ]
    cards = [m.value for m in at.main.markdown if m.value.startswith("**") and m.value.endswith("**")]
    assert len(cards) == 25
    links = [p for p in at.main.get("page_link") if p.proto.label == "Open its signals"]
    assert len(links) == 25 and all("touchpoint=" in p.proto.query_string for p in links)


def test_the_editor_is_for_admins_only(demo_db):
    assert open_page(JOURNEY, name="Priya Shah").segmented_control[0].options == ["Map"]
    assert open_page(JOURNEY, name="Dana Kim").segmented_control[0].options == ["Map", "Edit the journey"]


def _editor(demo_db, touchpoint_id: int):
    at = open_page(JOURNEY, name="Dana Kim")
    at.session_state["edit_tp_pick"] = touchpoint_id
    return at.segmented_control[0].set_value("Edit the journey").run()


def test_renaming_in_the_editor_keeps_the_signals_linked(demo_db):
    tp = _first_touchpoint(demo_db)
    at = _editor(demo_db, tp.id)
    next(t for t in at.text_input if t.label == "Name" and t.value == tp.name).input("Sales handoff")
    at = next(b for b in at.button if b.label == "Save touchpoint").click().run()
    assert not at.exception and not at.error
    store = Store(demo_db)
    with store.read() as session:
        assert session.get(Touchpoint, tp.id).name == "Sales handoff"
        assert session.exec(select(Signal.id).where(Signal.touchpoint_id == tp.id)).first() is not None
    store.dispose()


def test_removing_a_touchpoint_with_signals_says_to_move_them_first(demo_db):
    tp = _first_touchpoint(demo_db)
    at = _editor(demo_db, tp.id)
    at = next(b for b in at.button if b.label == "Remove").click().run()
    assert any("move them to another touchpoint first" in e.value for e in at.error)
    assert _first_touchpoint(demo_db).id == tp.id


def test_heatmap_cell_from_the_url_drills_into_its_signals_and_links_the_log(demo_db):
    at = open_page(
        HEATMAPS, query={"view": "stage_component", "cell": "Onboard|Onboarding & Activation", "days": "182"}
    )
    assert not at.exception
    heading = next(m.value for m in at.markdown if m.value.startswith("#### Onboarding"))
    assert "signals" in heading
    link = next(p for p in at.get("page_link") if "friction log" in p.proto.label)
    assert (
        "stage=" in link.proto.query_string and "component=onboarding_activation" in link.proto.query_string
    )


def test_fit_score_page_explains_every_component(demo_db):
    at = open_page(FIT)
    assert not at.exception
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 6
    assert any(m.value.startswith("#### Weakest:") for m in at.markdown)


def test_a_stale_edit_is_refused_naming_who_and_reload_lets_the_admin_act_on_theirs(demo_db):
    from cxos.journey.editor import update_touchpoint
    from tests.stale_pairs import SOMEONE_ELSE, behind_the_page

    tp = _first_touchpoint(demo_db)
    at = _editor(demo_db, tp.id)
    store = Store(demo_db)
    behind_the_page(
        lambda: update_touchpoint(
            store,
            touchpoint_id=tp.id,
            expected_version=tp.version,
            changes={"tool": "Gong"},
            actor=SOMEONE_ELSE,
        )
    )
    next(t for t in at.text_input if t.label == "Name" and t.value == tp.name).input("Sales handoff")
    at = next(b for b in at.button if b.label == "Save touchpoint").click().run()
    assert any(SOMEONE_ELSE.name in e.value and "after you opened it" in e.value for e in at.error)
    at = next(b for b in at.button if b.label == "Reload").click().run()
    assert next(t for t in at.text_input if t.label == "Tool").value == "Gong"  # their change, on screen
    next(t for t in at.text_input if t.label == "Name").input("Sales handoff")
    at = next(b for b in at.button if b.label == "Save touchpoint").click().run()
    assert not at.error
    with store.read() as session:
        saved = session.get(Touchpoint, tp.id)
    assert (saved.name, saved.tool) == ("Sales handoff", "Gong")
    store.dispose()


def test_moving_a_touchpoint_after_someone_reordered_them_is_refused(demo_db):
    from cxos.journey.editor import move
    from tests.stale_pairs import SOMEONE_ELSE, behind_the_page

    first = _first_touchpoint(demo_db)
    store = Store(demo_db)
    with store.read() as session:
        second = session.exec(
            select(Touchpoint)
            .where(Touchpoint.stage_id == first.stage_id, Touchpoint.archived == False)  # noqa: E712
            .order_by(Touchpoint.position, Touchpoint.id)
        ).all()[1]
    at = _editor(demo_db, first.id)
    behind_the_page(
        lambda: move(
            store,
            entity=Touchpoint,
            row_id=second.id,
            expected_version=second.version,
            direction=-1,
            neighbour=(first.id, first.version),
            actor=SOMEONE_ELSE,
        )
    )
    at = next(b for b in at.button if b.label == "▼ Down").click().run()
    # Their move renumbered this touchpoint too, so the refusal names it, and them.
    assert any(f"was changed by {SOMEONE_ELSE.name}" in e.value for e in at.error)
    assert _first_touchpoint(demo_db).id == second.id  # their order stands
    store.dispose()
