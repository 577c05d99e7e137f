"""The Fixes & loops page sends the versions it drew: a change someone made meanwhile is refused, not overwritten."""

from sqlmodel import col, select

from components.common import pages
from cxos.fixes.lifecycle import update_fix
from cxos.fixes.loops import edit_notice, notice_template, save_template, template_version
from cxos.models import Fix, LoopNotice
from cxos.store.store import Store
from tests.stale_pairs import SOMEONE_ELSE, behind_the_page
from tests.test_pages import open_page

FIXES = pages.FIXES_AND_LOOPS.path


def _refused_naming_someone_else(at) -> bool:
    return any(SOMEONE_ELSE.name in e.value and "after you opened it" in e.value for e in at.error)


def test_saving_the_template_over_someone_elses_save_is_refused_and_reload_shows_theirs(demo_db):
    store = Store(demo_db)
    at = open_page(FIXES)
    with store.read() as session:
        seen = template_version(session)
    behind_the_page(
        lambda: save_template(store, template="Theirs: {title}", expected_version=seen, actor=SOMEONE_ELSE)
    )
    at.text_area(key=f"notices_template_{seen}").set_value("Mine: {title}")
    at.button(key="notices_template_save").click().run()
    assert _refused_naming_someone_else(at)
    with store.read() as session:
        assert notice_template(session) == "Theirs: {title}"
    next(b for b in at.button if b.label == "Reload").click().run()
    assert at.text_area(key=f"notices_template_{seen + 1}").value == "Theirs: {title}"


def test_an_owners_update_on_a_fix_someone_changed_is_refused(demo_db):
    store = Store(demo_db)
    at = open_page(FIXES)
    fix_id = at.selectbox(key="fixes_flight_pick").value
    with store.read() as session:
        fix = session.get(Fix, fix_id)
    behind_the_page(
        lambda: update_fix(
            store,
            fix_id=fix_id,
            expected_version=fix.version,
            changes={"title": "Theirs"},
            actor=SOMEONE_ELSE,
        )
    )
    form = next(t for t in at.text_area if t.label == "Owner's update")
    form.set_value("Shipped to staging.")
    next(b for b in at.button if b.label == "Record the update").click().run()
    assert _refused_naming_someone_else(at)
    with store.read() as session:
        assert session.get(Fix, fix_id).version == fix.version + 1  # theirs, and nothing after it


def test_saving_a_notice_someone_reworded_is_refused(demo_db):
    store = Store(demo_db)
    at = open_page(FIXES)
    save = next(b for b in at.button if str(b.key).startswith("notices_save_"))
    notice_id = int(save.key.rsplit("_", 1)[1])
    with store.read() as session:
        notice = session.get(LoopNotice, notice_id)
    behind_the_page(
        lambda: edit_notice(
            store,
            notice_id=notice_id,
            expected_version=notice.version,
            body="Their wording",
            actor=SOMEONE_ELSE,
        )
    )
    at.text_area(key=f"notices_body_{notice_id}_{notice.version}").set_value("My wording")
    at.button(key=save.key).click().run()
    assert _refused_naming_someone_else(at)
    with store.read() as session:
        assert session.get(LoopNotice, notice_id).body == "Their wording\n"
        assert (
            session.exec(select(col(LoopNotice.id)).where(LoopNotice.body == "My wording\n")).first() is None
        )
