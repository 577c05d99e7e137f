"""AppTest flows on demo data: the failure modes page (accept a candidate, rename, stale copies, split) and handoffs."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from components.common import pages
from components.failure_modes.charts import weekly_signals
from components.routing.handoff_charts import owner_spells
from cxos.failure_modes.writes import update_failure_mode
from cxos.identity import Actor
from cxos.models import Event, FailureMode, Signal
from cxos.routing import handoffs
from cxos.store.store import Store
from cxos.vocabulary import Role
from tests.test_pages import open_page

PAGE = pages.FAILURE_MODES.path
HANDOFFS = pages.HANDOFFS.path
MARCO = Actor("Marco Rossi", Role.COUNCIL)


def _read(url: str, query):
    store = Store(url)
    with store.read() as session:
        result = query(session)
    store.dispose()
    return result


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_ranked_list_shows_every_accepted_failure_mode(demo_db):
    at = open_page(PAGE)
    assert not at.exception
    assert [m.label for m in at.metric][:2] == ["Accepted failure modes", "Signals in them"]
    assert len(at.dataframe[0].value) == 8


def test_council_accepts_a_candidate_as_a_named_failure_mode(demo_db):
    at = _button(open_page(PAGE), "Find candidates").click().run()
    assert not at.exception and any("candidate" in m.value for m in at.markdown)
    next(t for t in at.text_input if t.label == "Name").input("Kickoff step takes longer than promised")
    at = _button(at, "Accept as a failure mode").click().run()
    assert not at.exception and not at.error
    mode = _read(
        demo_db,
        lambda s: s.exec(
            select(FailureMode).where(FailureMode.name == "Kickoff step takes longer than promised")
        ).one(),
    )
    signals = _read(demo_db, lambda s: s.exec(select(Signal).where(Signal.failure_mode_id == mode.id)).all())
    assert mode.status == "accepted" and len(signals) >= 3
    assert all(s.status != "routed" for s in signals)  # owned ones moved on to linked


def test_renaming_from_a_stale_copy_is_refused_and_keeps_the_other_change(demo_db):
    at = open_page(PAGE, query={"failure_mode": "1"})
    store = Store(demo_db)
    update_failure_mode(
        store, failure_mode_id=1, expected_version=1, changes={"name": "Marco's name"}, actor=MARCO
    )
    store.dispose()
    next(t for t in at.text_input if t.label == "Name").input("Priya's name")
    at = _button(at, "Save").click().run()
    assert any("changed by Marco Rossi" in e.value for e in at.error)
    assert _read(demo_db, lambda s: s.get(FailureMode, 1).name) == "Marco's name"
    refused = _read(
        demo_db,
        lambda s: s.exec(
            select(Event).where(Event.entity == "failure_mode", Event.action == "refused")
        ).all(),
    )
    assert [e.actor for e in refused] == ["Priya Shah"]


def test_council_renames_a_failure_mode_and_sets_its_layer(demo_db):
    at = open_page(PAGE, query={"failure_mode": "2"})
    next(t for t in at.text_input if t.label == "Name").input("CSV import rejects European dates")
    next(s for s in at.selectbox if s.label == "Root-cause layer").set_value("Policy")
    at = _button(at, "Save").click().run()
    assert not at.exception and not at.error
    mode = _read(demo_db, lambda s: s.get(FailureMode, 2))
    assert (mode.name, mode.root_cause, mode.version) == ("CSV import rejects European dates", "Policy", 2)


def test_council_splits_chosen_signals_into_a_new_failure_mode(demo_db):
    members = _read(
        demo_db,
        lambda s: s.exec(select(Signal.id).where(Signal.failure_mode_id == 3).order_by(Signal.id)).all(),
    )
    at = open_page(PAGE, query={"failure_mode": "3"})
    next(m for m in at.multiselect if m.label == "Signals to split out or unlink").set_value(members[:2])
    next(t for t in at.text_input if t.label.startswith("Name of the new")).input("Token article missing")
    at = _button(at, "Split into a new failure mode").click().run()
    assert not at.exception and not at.error
    new = _read(
        demo_db,
        lambda s: s.exec(select(FailureMode).where(FailureMode.name == "Token article missing")).one(),
    )
    assert (
        _read(
            demo_db,
            lambda s: s.exec(
                select(Signal.id).where(Signal.failure_mode_id == new.id).order_by(Signal.id)
            ).all(),
        )
        == members[:2]
    )


def test_a_viewer_sees_the_figures_but_no_edit_form(demo_db):
    at = open_page(PAGE, name="Board Viewer", query={"failure_mode": "1"})
    assert not at.exception and [m.label for m in at.metric][:3] == ["Signals", "Accounts", "ARR affected"]
    assert not [t for t in at.text_input if t.label == "Name"]


def test_handoffs_flags_the_signals_bounced_three_times(demo_db):
    at = open_page(HANDOFFS)
    assert not at.exception
    flagged = _read(demo_db, lambda s: handoffs.count_bounced(s))
    assert flagged > 0
    assert next(m for m in at.metric if m.label == "Bounced 3+ times").value == f"{flagged:,}"


def test_handoffs_stale_age_is_set_on_the_page(demo_db):
    at = open_page(HANDOFFS)
    at.number_input(key="handoffs_stale_days").set_value(60).run()
    assert not at.exception
    assert any(m.label == "Stale: no change for 60 days" for m in at.metric)


def test_weekly_chart_labels_each_week_by_its_start_and_marks_the_current_one():
    data = weekly_signals((1, 0, 4), now=datetime(2026, 11, 21, tzinfo=UTC)).to_dict()["datasets"]
    rows = next(iter(data.values()))
    assert [(r["week"], r["signals"], r["current"]) for r in rows] == [
        ("31 Oct", 1, False),
        ("07 Nov", 0, False),
        ("14 Nov", 4, True),
    ]


def test_owner_spell_chart_has_one_bar_per_spell_in_days():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    spells = [
        ("Triage", start, start + timedelta(days=1)),
        ("Product", start + timedelta(days=1), start + timedelta(days=4)),
    ]
    rows = next(iter(owner_spells(spells).to_dict()["datasets"].values()))
    assert [(r["owner"], r["days"]) for r in rows] == [("Triage", 1.0), ("Product", 3.0)]


def test_merging_into_a_failure_mode_renamed_since_the_page_showed_it_is_refused(demo_db):
    at = open_page(PAGE, query={"failure_mode": "1"})
    target = _read(demo_db, lambda s: s.get(FailureMode, 2))
    members = _read(demo_db, lambda s: s.exec(select(Signal.id).where(Signal.failure_mode_id == 1)).all())
    store = Store(demo_db)
    update_failure_mode(
        store,
        failure_mode_id=2,
        expected_version=target.version,
        changes={"name": "Marco's name"},
        actor=MARCO,
    )
    store.dispose()
    next(s for s in at.selectbox if s.label == "Merge into").set_value(2)
    at = _button(at, "Merge").click().run()
    assert any("changed by Marco Rossi" in e.value for e in at.error), [e.value for e in at.error]
    assert _read(demo_db, lambda s: s.get(FailureMode, 1).status) != "merged"
    assert (
        _read(demo_db, lambda s: s.exec(select(Signal.id).where(Signal.failure_mode_id == 1)).all())
        == members
    )
