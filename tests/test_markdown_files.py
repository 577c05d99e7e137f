"""The Markdown the app writes (minutes, digest, loop notices) carries no live link, image or HTML from user text."""

import re
from datetime import UTC, date, datetime

import pytest

from cxos.clock import utcnow
from cxos.council.minutes import MinutesInput, render_minutes
from cxos.council.sessions import Decision
from cxos.fixes.notice_export import notices_markdown
from cxos.inputs import md_escape, md_inline
from cxos.kpis.digest import weekly_digest
from cxos.models import CouncilAction, Fix, LoopNotice, Team

HOSTILE = (
    "![px](http://tracker.example/p.png) [click](javascript:alert(1)) <img src=x onerror=alert(1)> **loud**"
)
LIVE = ("![", "](", "<", "**loud**", "http:")
ESCAPED = re.compile(r"\\.")  # a backslash and the character it makes literal


def _inert(markdown: str) -> None:
    """Nothing of HOSTILE is live: with every escaped character taken out, none of its syntax is left."""
    unescaped = ESCAPED.sub("", markdown)
    for live in LIVE:
        assert live not in unescaped, f"{live!r} is live in:\n{markdown}"
    assert "tracker" in markdown  # the text itself is still there, shown as typed


def test_minutes_escape_attendees_decisions_and_actions():
    action = CouncilAction(id=1, session_id=1, text=HOSTILE, owner=HOSTILE, due_on=date(2026, 12, 1))
    record = MinutesInput(
        held_on=date(2026, 11, 30),
        attendees=[HOSTILE],
        reviewed=[],
        decisions=[Decision(HOSTILE, HOSTILE, None)],
        actions=[action],
    )
    _inert(render_minutes(record))


def test_notice_markdown_escapes_every_text_a_person_wrote():
    fix = Fix(id=7, failure_mode_id=1, title=HOSTILE, what_changed=HOSTILE, status="shipped")
    notice = LoopNotice(
        id=1,
        fix_id=7,
        signal_id=3,
        recipient=HOSTILE,
        account=HOSTILE,
        body=f"Hi,\n{HOSTILE}\n",
        status="sent",
        sent_by=HOSTILE,
        sent_at=datetime(2026, 11, 30, tzinfo=UTC),
    )
    _inert(notices_markdown([notice], fix))


def test_the_digest_escapes_fix_titles_changes_and_team_names(journey_store, touchpoint_id):
    from cxos.failure_modes.writes import create_failure_mode
    from cxos.fixes.lifecycle import advance_fix, plan_fix
    from tests.conftest import COUNCIL
    from tests.factories import as_seen, log_signal

    with journey_store.write() as session:  # a team named by an admin who typed the hostile text
        team = session.get_one(Team, 1)
        team.name = HOSTILE
        session.add(team)
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, title="SSO login loops")
    mode = create_failure_mode(
        journey_store,
        name=HOSTILE,
        signals_seen=as_seen(journey_store, [signal.id]),
        actor=COUNCIL,
        status="accepted",
    )
    fix = plan_fix(
        journey_store, failure_mode_id=mode.id, title=HOSTILE, owner_team_id=1, due_on=None, actor=COUNCIL
    )
    fix = advance_fix(
        journey_store, fix_id=fix.id, expected_version=fix.version, status="in_progress", actor=COUNCIL
    )
    advance_fix(
        journey_store,
        fix_id=fix.id,
        expected_version=fix.version,
        status="shipped",
        what_changed=HOSTILE,
        actor=COUNCIL,
    )
    with journey_store.read() as session:
        digest = weekly_digest(session, now=utcnow())
    assert "## Fixes shipped, last 7 days" in digest
    _inert(digest)


@pytest.mark.parametrize("text", [HOSTILE, "a\r\nb", "a\rb", "x | y", "  spaced\tout  "])
def test_one_line_markdown_is_one_escaped_line(text):
    line = md_inline(text)
    assert "\n" not in line and "\r" not in line and "|" not in line.replace("\\|", "")
    assert md_escape("a\r\nb") == "a  \nb"
