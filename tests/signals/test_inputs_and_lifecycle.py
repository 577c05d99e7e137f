"""Input validation messages and the lifecycle's allowed moves."""

import pytest

from cxos.errors import ValidationFailed
from cxos.inputs import SignalCreate, parse
from cxos.signals.lifecycle import (
    ALLOWED_TRANSITIONS,
    OWNER_REQUIRED,
    can_transition,
    next_statuses,
    status_change,
)
from cxos.vocabulary import Status


def test_missing_required_fields_each_get_a_plain_message():
    with pytest.raises(ValidationFailed) as refused:
        parse(SignalCreate, {})
    assert refused.value.problems == {
        "title": "is required",
        "source": "is required",
        "touchpoint_id": "is required",
    }


@pytest.mark.parametrize("ref", ["javascript:alert(1)", "data:text/html,x", "file:///etc/passwd"])
def test_links_must_be_web_links(ref):
    with pytest.raises(ValidationFailed) as refused:
        parse(SignalCreate, {"title": "abc", "source": "ticket", "touchpoint_id": 1, "external_ref": ref})
    assert "http" in refused.value.problems["external_ref"]


@pytest.mark.parametrize("ref", ["https://support.example.com/t/1", "ZD-4512", "#4512", "4512"])
def test_web_links_and_ticket_numbers_are_accepted(ref):
    assert (
        parse(
            SignalCreate, {"title": "abc", "source": "ticket", "touchpoint_id": 1, "external_ref": ref}
        ).external_ref
        == ref
    )


def test_blank_optional_text_is_stored_as_nothing():
    parsed = parse(
        SignalCreate, {"title": "  abc  ", "source": "slack", "touchpoint_id": 1, "account": "   "}
    )
    assert (parsed.title, parsed.account) == ("abc", None)


def test_too_long_title_says_the_limit():
    with pytest.raises(ValidationFailed) as refused:
        parse(SignalCreate, {"title": "x" * 201, "source": "slack", "touchpoint_id": 1})
    assert refused.value.problems["title"] == "is too long (at most 200 characters)"


def test_main_path_moves_forward_and_one_step_back():
    assert can_transition(Status.NEW, Status.ROUTED)
    assert can_transition(Status.FIXED, Status.LOOP_CLOSED)
    assert can_transition(Status.FIXING, Status.LINKED)
    assert not can_transition(Status.FIXED, Status.NEW)


def test_every_open_state_has_the_side_exits_and_no_state_moves_to_itself():
    for state in (Status.NEW, Status.ROUTED, Status.LINKED, Status.FIXING, Status.FIXED):
        assert {Status.DUPLICATE, Status.WONT_FIX, Status.NEEDS_INFO} <= ALLOWED_TRANSITIONS[state]
    assert all(state not in targets for state, targets in ALLOWED_TRANSITIONS.items())


def test_closed_decisions_can_be_reopened():
    assert {Status.NEW, Status.ROUTED} <= set(next_statuses(Status.WONT_FIX))
    assert Status.ROUTED in next_statuses(Status.LOOP_CLOSED)


def test_owner_required_states_are_the_main_path_after_new():
    assert OWNER_REQUIRED == {Status.ROUTED, Status.LINKED, Status.FIXING, Status.FIXED, Status.LOOP_CLOSED}


def test_a_refusal_names_the_field_as_the_form_labels_it():
    with pytest.raises(ValidationFailed) as refused:
        status_change(current=Status.ROUTED, target=Status.WONT_FIX, owner_team_id=1, reason=" ")
    assert str(refused.value) == "Reason: say why it won't be fixed"


def test_a_refusal_without_a_form_label_names_the_field_in_words():
    assert str(ValidationFailed({"to_touchpoint_id": "pick a different touchpoint"})) == (
        "To touchpoint: pick a different touchpoint"
    )
