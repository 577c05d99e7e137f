"""Text the databases cannot store (NUL, lone surrogates) is cleaned or refused with a field message, on both backends.

Free text (titles, details, reasons, descriptions, tools) is stored with NUL removed and a lone surrogate as
U+FFFD; names and identifiers (account, reporter, ticket reference, client token, journey names) are stored
without NUL and refused when they hold half of a character pair. Never a raw database error.
"""

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from cxos.errors import ValidationFailed
from cxos.importers.batch import import_file
from cxos.importers.profiles import BUILT_IN
from cxos.inputs import NAME_FIELDS, SignalCreate, SignalUpdate, StatusChange, parse
from cxos.journey.yaml_files import import_journey_yaml
from cxos.models import Event, Signal, Stage, Team, Touchpoint
from cxos.signals.writes import set_status, update_signal
from tests.conftest import ADMIN, COUNCIL
from tests.factories import log_signal

NUL, HIGH, LOW, PAIR = "\x00", "\ud800", "\udfff", "\ud83d\ude00"  # the last: 😀 written as its two halves
FREE_TEXT = ["title", "description"]


def stored(store, signal_id: int) -> Signal:
    with store.read() as session:
        return session.get(Signal, signal_id)


def count(store, model) -> int:
    with store.read() as session:
        return len(session.exec(select(model)).all())


@pytest.mark.parametrize("field", FREE_TEXT)
@pytest.mark.parametrize(("bad", "kept"), [(NUL, ""), (HIGH, "\ufffd"), (LOW, "\ufffd"), (PAIR, "😀")])
def test_free_text_is_stored_cleaned(journey_store, touchpoint_id, field, bad, kept):
    created = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, **{field: f"Sync {bad}drops"}
    )
    assert getattr(stored(journey_store, created.id), field) == f"Sync {kept}drops"


@pytest.mark.parametrize("field", sorted(NAME_FIELDS))
def test_a_nul_in_a_name_or_identifier_is_removed(journey_store, touchpoint_id, field):
    created = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, **{field: f"ZD{NUL}-42"})
    assert getattr(stored(journey_store, created.id), field) == "ZD-42"


@pytest.mark.parametrize("field", sorted(NAME_FIELDS))
@pytest.mark.parametrize("bad", [HIGH, LOW])
def test_half_a_character_in_a_name_or_identifier_is_refused_with_a_field_message(
    journey_store, touchpoint_id, field, bad
):
    with pytest.raises(ValidationFailed) as refused:
        log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, **{field: f"Acme{bad}"})
    assert refused.value.problems == {
        field: f"has half of a character pair (U+{ord(bad):04X}) that cannot be stored: retype that character"
    }
    assert count(journey_store, Signal) == 0


def test_a_whole_character_written_as_two_halves_is_a_name_that_is_kept(journey_store, touchpoint_id):
    created = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, account=f"Acme {PAIR}")
    assert stored(journey_store, created.id).account == "Acme 😀"


def test_an_edit_cleans_free_text_and_refuses_a_broken_name(journey_store, touchpoint_id):
    created = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL)
    edited = update_signal(
        journey_store,
        signal_id=created.id,
        expected_version=created.version,
        changes={"title": f"Sync{NUL} drops {HIGH}users", "description": f"a{NUL}b{LOW}"},
        actor=COUNCIL,
    )
    assert (stored(journey_store, created.id).title, stored(journey_store, created.id).description) == (
        "Sync drops \ufffdusers",
        "ab\ufffd",
    )
    with pytest.raises(ValidationFailed, match="Reported by: has half of a character pair"):
        update_signal(
            journey_store,
            signal_id=created.id,
            expected_version=edited.version,
            changes={"reporter": f"sam{HIGH}@example.com"},
            actor=COUNCIL,
        )
    assert stored(journey_store, created.id).reporter is None


@pytest.mark.parametrize(("bad", "kept"), [(NUL, ""), (HIGH, "\ufffd")])
def test_a_status_reason_is_stored_cleaned(journey_store, touchpoint_id, bad, kept):
    created = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL)
    set_status(
        journey_store,
        signal_id=created.id,
        expected_version=created.version,
        status="needs_info",
        reason=f"Which {bad}workspace?",
        actor=COUNCIL,
    )
    signal_now = stored(journey_store, created.id)
    assert signal_now.status_reason == f"Which {kept}workspace?"
    with journey_store.read() as session:
        events = session.exec(select(Event).where(Event.entity_id == created.id)).all()
    assert all("\x00" not in (event.to_value or "") for event in events)


def test_an_import_stores_cleaned_rows_and_reports_a_broken_name_by_row(journey_store, touchpoint_id):
    messages = [
        {"text": f"SSO {NUL}loops back to sign-in", "ts": "1759316400.000100"},
        {"text": f"Export half {HIGH}an emoji", "ts": "1759316401.000100"},
        {"text": "Invoice VAT wrong", "ts": "1759316402.000100", "user_profile": {"real_name": f"Sam{LOW}"}},
    ]
    profile = replace(BUILT_IN["Slack channel export"], default_touchpoint_id=touchpoint_id)
    report = import_file(
        journey_store,
        data=json.dumps(messages).encode(),  # json.dumps writes the halves as \ud800 escapes, as exports do
        filename="channel.json",
        profile=profile,
        actor=COUNCIL,
    )
    assert (report.rows_read, report.imported, report.balanced) == (3, 2, True)
    [problem] = report.problems
    assert problem.row == 3 and problem.message.startswith(
        "Reported by: has half of a character pair (U+DFFF)"
    )
    with journey_store.read() as session:
        titles = sorted(s.title for s in session.exec(select(Signal)))
    assert titles == ["Export half \ufffdan emoji", "SSO loops back to sign-in"]


JOURNEY = """teams:
  - name: "{team}"
    description: "Owns {text}sign-in"
stages:
  - name: "{stage}"
    description: "Where {text}it starts"
    touchpoints:
      - name: "{touchpoint}"
        team: "{team}"
        component: onboarding_activation
        tool: "Okta {text}SSO"
"""


def test_a_journey_file_with_nul_escapes_is_stored_without_them(journey_store):
    """The probe: a NUL in a team name raised PostgreSQL's DataError. YAML writes one with the escape \\0."""
    text = JOURNEY.format(team="Iden\\0tity", stage="Sign\\0 up", touchpoint="SSO\\0 setup", text="\\0")
    report = import_journey_yaml(journey_store, text=text, actor=ADMIN)
    assert report["created"] == ["team Identity", "stage Sign up", "Sign up › SSO setup"]
    with journey_store.read() as session:
        team = session.exec(select(Team).where(Team.name == "Identity")).one()
        stage = session.exec(select(Stage).where(Stage.name == "Sign up")).one()
        touchpoint = session.exec(select(Touchpoint).where(Touchpoint.name == "SSO setup")).one()
    assert (team.description, stage.description, touchpoint.tool) == (
        "Owns sign-in",
        "Where it starts",
        "Okta SSO",
    )
    assert touchpoint.team_id == team.id


def test_a_journey_file_with_half_a_character_cleans_free_text_and_refuses_names(journey_store):
    teams_before, stages_before = count(journey_store, Team), count(journey_store, Stage)
    text = JOURNEY.format(
        team="Iden\\ud800tity", stage="Sign up", touchpoint="SSO \\udfffsetup", text="\\ud800"
    )
    with pytest.raises(ValidationFailed) as refused:
        import_journey_yaml(journey_store, text=text, actor=ADMIN)
    assert refused.value.problems == {
        "team Iden\ufffdtity": "name has half of a character pair (U+D800) that cannot be stored: "
        "retype that character",
        "Sign up › SSO \ufffdsetup": "name has half of a character pair (U+DFFF) that cannot be stored: "
        "retype that character",
        "Sign up › SSO \ufffdsetup (team)": "team has half of a character pair (U+D800) that cannot be stored: "
        "retype that character",
    }
    assert (count(journey_store, Team), count(journey_store, Stage)) == (teams_before, stages_before)
    fine = JOURNEY.format(team="Identity", stage="Sign up", touchpoint="SSO setup", text="\\ud800")
    import_journey_yaml(journey_store, text=fine, actor=ADMIN)
    with journey_store.read() as session:
        assert (
            session.exec(select(Touchpoint.tool).where(Touchpoint.name == "SSO setup")).one()
            == "Okta \ufffdSSO"
        )


def test_a_journey_name_of_nothing_but_nul_is_refused(journey_store):
    text = JOURNEY.format(team="\\0", stage="Sign up", touchpoint="SSO setup", text="")
    with pytest.raises(ValidationFailed, match="name holds nothing but NUL characters"):
        import_journey_yaml(journey_store, text=text, actor=ADMIN)


# Any text at all, NULs and halves of pairs included, through every input shape: a value or a field message.
HOSTILE_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from([NUL, HIGH, LOW, "\udc00", "\ud83d"])), max_size=30
)


def storable(value) -> bool:
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


@settings(max_examples=200, deadline=None)
@given(text=HOSTILE_TEXT, field=st.sampled_from(["title", "description", *sorted(NAME_FIELDS)]))
def test_every_input_shape_gives_storable_text_or_a_field_message(text, field):
    data = {"title": "Sync drops users", "source": "ticket", "touchpoint_id": 1, field: text}
    for shape, payload in [
        (SignalCreate, data),
        (SignalUpdate, {field: text}),
        (StatusChange, {"status": "needs_info", "reason": text}),
    ]:
        if field not in shape.model_fields and shape is not StatusChange:
            continue
        try:
            parsed = parse(shape, payload)
        except ValidationFailed as refused:
            assert refused.problems and all(isinstance(why, str) and why for why in refused.problems.values())
            continue
        assert all(storable(value) for value in parsed.model_dump().values())
