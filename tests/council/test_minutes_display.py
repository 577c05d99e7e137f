"""The minutes as the council screen renders them: formatted, with people's words shown exactly as typed."""

from datetime import date

from cxos.council.minutes import MinutesInput, render_minutes
from cxos.council.sessions import Decision
from cxos.models import CouncilAction

RECORD = MinutesInput(
    held_on=date(2026, 12, 1),
    attendees=["Priya *the chair*"],
    reviewed=[("fixes planned", 2)],
    decisions=[Decision("Ship the *SSO* fix [first](http://example.com)", "Billing | EU", date(2026, 12, 8))],
    actions=[CouncilAction(id=7, session_id=1, text="Rewrite `SCIM` page", owner="Knowledge", due_on=None)],
)


def test_the_screen_version_escapes_peoples_markdown_and_sits_below_the_page_headings():
    shown = render_minutes(RECORD, top_heading=4)
    assert shown.startswith("#### Experience Council — Tuesday 01 December 2026")
    assert "\n##### Decisions\n" in shown and "\n##### Actions\n" in shown
    assert "**Attendees:** Priya \\*the chair\\*" in shown
    assert (
        "1. Ship the \\*SSO\\* fix \\[first\\]\\(http\\:\\/\\/example\\.com\\) — **owner:** Billing \\| EU"
        in shown
    )
    assert "| 7 | Rewrite \\`SCIM\\` page | Knowledge | — | open |" in shown


def test_the_saved_minutes_are_the_shown_minutes_one_heading_level_up():
    # The saved file is escaped too (issue 18: no live links from people's text in a downloaded file).
    saved, shown = render_minutes(RECORD), render_minutes(RECORD, top_heading=4)
    assert saved.startswith("# Experience Council")
    assert "## Decisions" in saved and "##### Decisions" in shown
    body = [line for line in saved.splitlines() if not line.startswith("#")]
    assert body == [line for line in shown.splitlines() if not line.startswith("#")]
