"""Text the databases cannot store (a NUL, a lone surrogate) sent into every write service that keeps a person's
text: on SQLite and PostgreSQL it is stored cleaned, or refused naming the field; never a raw DataError."""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from cxos.council.closing import close_council
from cxos.council.sessions import add_action, add_decision, set_attendees, start_session
from cxos.errors import ValidationFailed
from cxos.failure_modes.writes import create_failure_mode, update_failure_mode
from cxos.fixes.lifecycle import advance_fix, plan_fix, record_fix_update, update_fix
from cxos.fixes.loops import draft_notices, edit_notice, save_template
from cxos.importers.mapping import Profile
from cxos.importers.profiles import save_profile
from cxos.journey.editor import add_stage, add_touchpoint, update_stage
from cxos.journey.map import stages, teams
from cxos.models import (
    CouncilAction,
    CouncilSession,
    Event,
    FailureMode,
    Fix,
    ImportProfile,
    LoopNotice,
    Rule,
    Setting,
    Stage,
    Touchpoint,
)
from cxos.routing.rules import create_rule
from cxos.store.settings import NOTICE_TEMPLATE, write_setting
from cxos.store.store import Store
from cxos.vocabulary import Component
from tests.conftest import ADMIN
from tests.factories import as_seen, routed_signal

UNSTORABLE = {"NUL": "a\x00b", "lone surrogate": "a\ud83db"}


@dataclass(frozen=True)
class TextWrite:
    """One service taking a person's text in `field`: `write(store, text)` saves it, returns the row's id."""

    name: str
    field: str
    write: Callable[[Store, str], int]
    stored: Callable[[Session, int], str]  # the text as the database holds it now


def _team(store: Store) -> int:
    with store.read() as session:
        return teams(session)[0].id


def _stage(store: Store) -> int:
    with store.read() as session:
        return stages(session)[0].id


def _mode(store: Store) -> int:
    return create_failure_mode(store, name="Exports time out", signals_seen={}, actor=ADMIN).id


def _fix(store: Store) -> Fix:
    return plan_fix(
        store,
        failure_mode_id=_mode(store),
        title="Faster exports",
        owner_team_id=None,
        due_on=None,
        actor=ADMIN,
    )


def _council(store: Store, attendees: tuple[str, ...] = ()) -> int:
    return start_session(store, actor=ADMIN, attendees=attendees).id


def _notice(store: Store) -> LoopNotice:
    with store.read() as session:
        touchpoint_id = session.exec(select(Touchpoint.id)).first()
    signal = routed_signal(
        store, touchpoint_id=touchpoint_id, team_id=_team(store), reporter="kim@example.com"
    )
    mode = create_failure_mode(
        store, name="Exports time out", signals_seen=as_seen(store, [signal.id]), actor=ADMIN
    )
    fix = plan_fix(
        store, failure_mode_id=mode.id, title="Faster exports", owner_team_id=None, due_on=None, actor=ADMIN
    )
    advance_fix(
        store,
        fix_id=fix.id,
        expected_version=fix.version,
        status="shipped",
        what_changed="Faster",
        actor=ADMIN,
    )
    return draft_notices(store, fix_id=fix.id, actor=ADMIN)[0]


def _column(model, column: str) -> Callable[[Session, int], str]:
    return lambda session, row_id: getattr(session.get_one(model, row_id), column)


def _setting(key: str) -> Callable[[Session, int], str]:
    return lambda session, _: session.exec(select(Setting.value).where(Setting.key == key)).one()


def _last_event_note(session: Session, row_id: int) -> str:
    return session.exec(
        select(Event.note)
        .where(Event.entity == "fix", Event.entity_id == row_id)
        .order_by(col(Event.id).desc())
    ).first()


def _rule_in(store: Store, text: str, name: str = "Exports to Product") -> dict:
    return {
        "name": name,
        "owner_team_id": _team(store),
        "conditions": [{"field": "text", "op": "contains_any", "value": [f"export {text}"]}],
    }


def _touchpoint(store: Store, text: str, **fields) -> int:
    given = {"name": "Exports", "tool": "Looker"} | fields
    return add_touchpoint(
        store, stage_id=_stage(store), component=Component.KNOWLEDGE, actor=ADMIN, **given
    ).id


def _update_fix(store: Store, text: str) -> int:
    fix = _fix(store)
    return update_fix(
        store, fix_id=fix.id, expected_version=fix.version, changes={"what_changed": text}, actor=ADMIN
    ).id


def _fix_note(store: Store, text: str) -> int:
    fix = _fix(store)
    return record_fix_update(store, fix_id=fix.id, expected_version=fix.version, note=text, actor=ADMIN).id


def _ship_fix(store: Store, text: str) -> int:
    fix = _fix(store)
    return advance_fix(
        store, fix_id=fix.id, expected_version=fix.version, status="shipped", what_changed=text, actor=ADMIN
    ).id


def _rename_mode(store: Store, text: str) -> int:
    mode_id = _mode(store)
    return update_failure_mode(
        store, failure_mode_id=mode_id, expected_version=1, changes={"name": text}, actor=ADMIN
    ).id


def _edit_notice(store: Store, text: str) -> int:
    notice = _notice(store)
    return edit_notice(store, notice_id=notice.id, expected_version=notice.version, body=text, actor=ADMIN).id


def _stage_renamed(store: Store, text: str) -> int:
    stage = add_stage(store, name="Renewal", actor=ADMIN)
    return update_stage(
        store, stage_id=stage.id, expected_version=stage.version, changes={"description": text}, actor=ADMIN
    ).id


def _attendees(store: Store, text: str) -> int:
    session_id = _council(store)
    return set_attendees(store, session_id=session_id, seen=[], attendees=[text], actor=ADMIN).id


def _minutes(store: Store, text: str) -> int:
    return close_council(store, session_id=_council(store), actor=ADMIN, pulse_line=text).id


WRITES = [
    TextWrite(
        "stage name", "name", lambda s, t: add_stage(s, name=t, actor=ADMIN).id, _column(Stage, "name")
    ),
    TextWrite(
        "stage description",
        "description",
        lambda s, t: add_stage(s, name="Renewal", description=t, actor=ADMIN).id,
        _column(Stage, "description"),
    ),
    TextWrite("stage edit", "description", _stage_renamed, _column(Stage, "description")),
    TextWrite("touchpoint name", "name", lambda s, t: _touchpoint(s, t, name=t), _column(Touchpoint, "name")),
    TextWrite("touchpoint tool", "tool", lambda s, t: _touchpoint(s, t, tool=t), _column(Touchpoint, "tool")),
    TextWrite(
        "failure mode name",
        "name",
        lambda s, t: create_failure_mode(s, name=t, signals_seen={}, actor=ADMIN).id,
        _column(FailureMode, "name"),
    ),
    TextWrite("failure mode rename", "name", _rename_mode, _column(FailureMode, "name")),
    TextWrite(
        "failure mode cause",
        "upstream_cause",
        lambda s, t: (
            create_failure_mode(s, name="Exports time out", signals_seen={}, upstream_cause=t, actor=ADMIN).id
        ),
        _column(FailureMode, "upstream_cause"),
    ),
    TextWrite(
        "fix title",
        "title",
        lambda s, t: (
            plan_fix(s, failure_mode_id=_mode(s), title=t, owner_team_id=None, due_on=None, actor=ADMIN).id
        ),
        _column(Fix, "title"),
    ),
    TextWrite("fix what changed", "what_changed", _update_fix, _column(Fix, "what_changed")),
    TextWrite("fix shipped", "what_changed", _ship_fix, _column(Fix, "what_changed")),
    TextWrite("fix update note", "note", _fix_note, _last_event_note),
    TextWrite(
        "notice template",
        "template",
        lambda s, t: save_template(s, template=t, expected_version=0, actor=ADMIN).id,
        _setting(NOTICE_TEMPLATE),
    ),
    TextWrite(
        "setting value",
        "digest_note",
        lambda s, t: write_setting(s, key="digest_note", value=t, expected_version=0, actor=ADMIN).id,
        _setting("digest_note"),
    ),
    TextWrite("notice body", "body", _edit_notice, _column(LoopNotice, "body")),
    TextWrite(
        "council attendees", "attendees", lambda s, t: _council(s, (t,)), _column(CouncilSession, "attendees")
    ),
    TextWrite("council attendee list", "attendees", _attendees, _column(CouncilSession, "attendees")),
    TextWrite(
        "council decision",
        "text",
        lambda s, t: (
            add_decision(s, session_id=_council(s), text=t, owner="Product", due_on=None, actor=ADMIN).id
        ),
        _column(CouncilSession, "decisions"),
    ),
    TextWrite(
        "council decision owner",
        "owner",
        lambda s, t: (
            add_decision(s, session_id=_council(s), text="Ship it", owner=t, due_on=None, actor=ADMIN).id
        ),
        _column(CouncilSession, "decisions"),
    ),
    TextWrite(
        "council action",
        "text",
        lambda s, t: (
            add_action(s, session_id=_council(s), text=t, owner="Product", due_on=None, actor=ADMIN).id
        ),
        _column(CouncilAction, "text"),
    ),
    TextWrite("council minutes", "pulse_line", _minutes, _column(CouncilSession, "minutes")),
    TextWrite(
        "import profile name",
        "name",
        lambda s, t: save_profile(s, profile=Profile(name=t, mapping={"Subject": "title"}), actor=ADMIN).id,
        _column(ImportProfile, "name"),
    ),
    TextWrite(
        "import profile columns",
        "mapping",
        lambda s, t: save_profile(s, profile=Profile(name="Ours", mapping={t: "title"}), actor=ADMIN).id,
        _column(ImportProfile, "mapping"),
    ),
    TextWrite(
        "rule name",
        "name",
        lambda s, t: create_rule(s, rule_in=_rule_in(s, "", name=t), actor=ADMIN).id,
        _column(Rule, "name"),
    ),
    TextWrite(
        "rule keyword",
        "conditions",
        lambda s, t: create_rule(s, rule_in=_rule_in(s, t), actor=ADMIN).id,
        _column(Rule, "conditions"),
    ),
]


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
@pytest.mark.parametrize("path", WRITES, ids=lambda path: path.name)
def test_unstorable_text_is_cleaned_or_refused_naming_the_field(journey_store, path, text):
    try:
        row_id = path.write(journey_store, text)
    except ValidationFailed as refused:
        assert path.field in refused.problems, refused.problems
        assert "\x00" not in text, "a NUL is removed, never refused"
        return
    with journey_store.read() as session:
        stored = path.stored(session, row_id)
    try:  # attendees, decisions, a profile's columns, a rule's conditions are stored as JSON
        flat = json.dumps(json.loads(stored), ensure_ascii=False)
    except json.JSONDecodeError:
        flat = stored
    assert "\x00" not in flat
    flat.encode("utf-8")  # no lone surrogate left: UTF-8 cannot encode one
    assert "a" in flat and "b" in flat, "the rest of the text is kept"
