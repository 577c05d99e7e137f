"""Every imported row placed without hand work: placement rules on text and tags, the placement model when
sure, and the rest held in the Unplaced list (stored, counted, placed by the council); imported signals routed
on arrival like quick entry, the events saying what decided."""

import pytest
from sqlmodel import col, select

from cxos.identity import Actor
from cxos.importers.batch import import_file
from cxos.importers.mapping import Profile
from cxos.importers.unplaced import count_unplaced, list_unplaced, place_rows
from cxos.journey.map import touchpoint_options
from cxos.models import Event, Signal, Touchpoint, UnplacedRow
from cxos.routing import owner_model, placement_model
from cxos.routing.model_training import train_and_store
from cxos.routing.owner_model import join_text
from cxos.routing.rule_files import load_default_rules
from cxos.signals.writes import create_signal
from cxos.store.store import Store
from cxos.vocabulary import Role
from tests.conftest import ADMIN, COUNCIL

TEXT_ONLY = Profile("Text only", "csv", {"Text": "message"})
WITH_TAGS = Profile("Text and tags", "csv", {"Text": "message", "Tags": "tags"})


def run(store, csv: str, profile: Profile = TEXT_ONLY, name: str = "notes.csv"):
    return import_file(store, data=csv.encode(), filename=name, profile=profile, actor=COUNCIL)


def touchpoint(store, name: str) -> int:
    with store.read() as session:
        return next(tp.id for tp in touchpoint_options(session) if tp.name == name)


def created_notes(store) -> dict[str, str]:
    """Signal title → the note of its 'created' event."""
    with store.read() as session:
        rows = session.exec(
            select(Signal.title, Event.note)
            .join(Event, (Event.entity_id == Signal.id) & (Event.entity == "signal"))
            .where(Event.action == "created")
        ).all()
    return dict(rows)


@pytest.fixture
def no_placement_rules(tmp_path, monkeypatch):
    empty = tmp_path / "placement_rules.yaml"
    empty.write_text("placement_rules: []\n")
    monkeypatch.setenv("CXOS_PLACEMENT_RULES", str(empty))


def teach_placement(store) -> tuple[int, int]:
    """Placed signals at two touchpoints, and the placement model trained on them (as the worker does)."""
    webinars, kickoff = touchpoint(store, "Webinars"), touchpoint(store, "Kickoff call")
    for n in range(14):
        for text, where in (
            (f"Webinar recording {n} has no audio and the replay link is broken", webinars),
            (f"Kickoff call {n} moved again, the calendar invite went to the wrong people", kickoff),
        ):
            create_signal(
                store, signal_in={"title": text, "source": "call", "touchpoint_id": where}, actor=COUNCIL
            )
    result = placement_model.train_and_store(store)
    assert result.state is not None and result.state.value == "ready", result
    placement_model.forget()
    return webinars, kickoff


def test_a_text_only_file_imports_with_every_row_placed_or_listed_unplaced(journey_store):
    csv = "Text\nWe were charged twice on the March invoice\nSomething felt off today\nOkta SSO login loops\n"
    report = run(journey_store, csv)
    assert report.balanced and report.rows_read == 3 and not report.problems
    assert report.imported + report.unplaced == 3 and report.unplaced == count_unplaced(journey_store) == 1
    (held,) = list_unplaced(journey_store)
    assert (held["title"], held["source"], held["row_number"]) == ("Something felt off today", "other", 3)
    with journey_store.read() as session:
        placed = dict(session.exec(select(Signal.title, Signal.touchpoint_id)).all())
    assert placed == {
        "We were charged twice on the March invoice": touchpoint(journey_store, "Billing & invoices"),
        "Okta SSO login loops": touchpoint(journey_store, "SSO & user provisioning"),
    }


def test_placement_rules_read_the_tags_as_well_as_the_text(journey_store):
    csv = "Text,Tags\nCannot get in this morning,sso\nThe numbers look wrong,billing\n"
    report = run(journey_store, csv, WITH_TAGS)
    assert (report.imported, report.placed_by_rule, report.unplaced) == (2, 2, 0)
    notes = created_notes(journey_store)
    assert "placed by placement rule 'Single sign-on and provisioning'" in notes["Cannot get in this morning"]
    assert "placed by placement rule 'Billing, invoices and refunds'" in notes["The numbers look wrong"]


def test_the_placement_model_places_a_row_it_is_sure_of_and_says_how_sure(
    journey_store, no_placement_rules, monkeypatch
):
    webinars, _ = teach_placement(journey_store)
    monkeypatch.setenv("CXOS_PLACEMENT_CONFIDENCE", "0.6")
    report = run(journey_store, "Text\nThe webinar recording has no audio and the replay link is broken\n")
    assert (report.imported, report.placed_by_model, report.unplaced) == (1, 1, 0)
    with journey_store.read() as session:
        signal = session.exec(select(Signal).where(Signal.title.startswith("The webinar"))).one()
    assert signal.touchpoint_id == webinars
    note = created_notes(journey_store)[signal.title]
    sure = int(note.split("placed by the placement model (")[1].split("%")[0])
    assert 60 <= sure <= 100


def test_a_row_below_the_threshold_waits_unplaced_with_the_models_guess(
    journey_store, no_placement_rules, monkeypatch
):
    webinars, kickoff = teach_placement(journey_store)
    model = placement_model.placement_model(journey_store)
    assert model is not None
    text = "webinar kickoff"  # half one touchpoint's words, half the other's
    (guess, sure), _ = model.suggest([join_text(text, "")])[0]  # the document the import gives it
    assert sure < 1
    monkeypatch.setenv("CXOS_PLACEMENT_CONFIDENCE", repr((sure + 1) / 2))  # the model is not sure enough
    report = run(journey_store, f"Text\n{text}\n")
    assert (report.imported, report.unplaced) == (0, 1)
    (held,) = list_unplaced(journey_store)
    assert held["guess_touchpoint_id"] == guess and guess in {webinars, kickoff}
    assert held["guess_confidence"] == pytest.approx(sure)
    with journey_store.read() as session:
        note = session.exec(select(Event.note).where(Event.entity == "unplaced_row")).one()
    assert f"the placement model was {sure:.0%} sure" in note


def test_a_rerun_of_the_same_file_holds_each_unplaced_row_once(journey_store, no_placement_rules):
    profile = Profile("Text and ref", "csv", {"Text": "message", "Id": "external_ref"})
    csv = "Id,Text\nT-1,Something felt off\nT-2,Another odd thing\n"
    assert run(journey_store, csv, profile).unplaced == 2
    again = run(journey_store, csv, profile)
    assert (again.unplaced, again.count("duplicate"), again.balanced) == (0, 2, True)
    assert "already waiting in the Unplaced list" in again.problems[0].message
    assert count_unplaced(journey_store) == 2


def test_placing_in_bulk_makes_signals_routed_on_arrival_and_keeps_the_held_rows(
    journey_store, no_placement_rules
):
    load_default_rules(journey_store, actor=ADMIN)
    run(journey_store, "Text\nSCIM provisioning created no users\nA strange feeling\n")
    held = list_unplaced(journey_store)
    sso = touchpoint(journey_store, "SSO & user provisioning")
    result = place_rows(
        journey_store, items=[(row["id"], row["version"]) for row in held], touchpoint_id=sso, actor=COUNCIL
    )
    assert not result.refused and len(result.placed) == 2 and count_unplaced(journey_store) == 0
    with journey_store.read() as session:
        kept = session.exec(select(UnplacedRow).order_by(col(UnplacedRow.id))).all()
        signals = {s.id: s for s in session.exec(select(Signal)).all()}
        placed_events = session.exec(select(Event).where(Event.action == "placed")).all()
    assert [row.placed_signal_id for row in kept] == [result.placed[row.id] for row in kept]
    assert {signals[i].touchpoint_id for i in result.placed.values()} == {sso}
    # The rule on SSO & user provisioning routes the placed signal at once, like any new signal.
    routed = signals[result.placed[kept[0].id]]
    assert routed.status == "routed" and routed.routed_by.startswith("rule:")
    assert len(placed_events) == 2 and all(e.actor == COUNCIL.name for e in placed_events)


def test_the_second_person_placing_the_same_row_is_refused_as_stale(journey_store, no_placement_rules):
    run(journey_store, "Text\nA strange feeling\n")
    (held,) = list_unplaced(journey_store)
    seen = [(held["id"], held["version"])]
    first = place_rows(
        journey_store, items=seen, touchpoint_id=touchpoint(journey_store, "Webinars"), actor=COUNCIL
    )
    marco = Actor("Marco Rossi", Role.COUNCIL)
    second = place_rows(
        journey_store, items=seen, touchpoint_id=touchpoint(journey_store, "Kickoff call"), actor=marco
    )
    assert len(first.placed) == 1 and not second.placed
    ((refused_id, why),) = second.refused
    assert refused_id == held["id"] and COUNCIL.name in why and "after you opened it" in why
    with journey_store.read() as session:
        assert len(session.exec(select(Signal)).all()) == 1


def test_imported_rows_are_routed_by_rule_model_or_triage_and_the_events_say_which(demo_db, monkeypatch):
    store = Store(demo_db)
    try:
        tickets = Profile(
            "Tickets", "csv", {"Text": "message"}, default_source="ticket",
            default_touchpoint_id=touchpoint(store, "Support tickets"),
        )  # fmt: skip
        # No owner model stored yet: what no rule takes waits in triage.
        run(store, "Text\nThe dashboard colours changed\n", tickets, "b.csv")
        train_and_store(store)  # as the worker does, between two imports
        owner_model.forget()
        monkeypatch.setenv("CXOS_ROUTING_CONFIDENCE", "0")  # the model now takes whatever no rule does
        run(store, "Text\nSCIM provisioning created no users\nThe export button is slow\n", tickets, "a.csv")
        with store.read() as session:
            by_title = {
                s.title: s
                for s in session.exec(select(Signal).where(col(Signal.created_by) == COUNCIL.name)).all()
                if s.title in {"SCIM provisioning created no users", "The export button is slow",
                               "The dashboard colours changed"}
            }  # fmt: skip
            owner_notes = {
                title: session.exec(
                    select(Event.note).where(
                        Event.entity == "signal", Event.entity_id == signal.id, Event.action == "owner"
                    )
                ).all()
                for title, signal in by_title.items()
            }
        notes = created_notes(store)
    finally:
        store.dispose()
    assert by_title["SCIM provisioning created no users"].routed_by.startswith("rule:")
    assert owner_notes["SCIM provisioning created no users"][0].startswith("rule:")
    assert by_title["The export button is slow"].routed_by.startswith("model")
    assert owner_notes["The export button is slow"][0].startswith("model:")
    assert by_title["The dashboard colours changed"].owner_team_id is None
    assert owner_notes["The dashboard colours changed"] == []
    assert notes["The dashboard colours changed"].endswith("waiting in triage")


def test_a_broken_placement_rule_is_skipped_and_said_in_the_report(journey_store, tmp_path, monkeypatch):
    rules = tmp_path / "placement_rules.yaml"
    rules.write_text(
        "placement_rules:\n"
        "  - {name: Nowhere, touchpoint: Moon base, conditions: [{field: text, op: contains_any, value: [x]}]}\n"
        "  - {name: Refunds, touchpoint: Billing & invoices, conditions: [{field: text, op: contains_any, value: [refund]}]}\n"
    )
    monkeypatch.setenv("CXOS_PLACEMENT_RULES", str(rules))
    report = run(journey_store, "Text\nA refund never came\n")
    assert (report.placed_by_rule, report.unplaced) == (1, 0)
    assert report.notes == [
        "Placement rule 'Nowhere' is skipped: 'Moon base' is not a touchpoint of the journey."
    ]
    rules.write_text("placement_rules: [unclosed\n")
    report = run(journey_store, "Text\nAnother refund never came\n")
    assert report.unplaced == 1 and report.notes[0].startswith("The placement rules are not read")


def test_the_placement_model_needs_placed_signals_at_two_touchpoints(journey_store):
    result = placement_model.train_and_store(journey_store)
    assert result.state is not None and result.state.value == "untrained"
    assert placement_model.placement_model(journey_store) is None
    with journey_store.read() as session:
        assert session.exec(select(Touchpoint)).first() is not None
