"""Loop notices out of the app: formula-safe CSV, Markdown, mailto links, and SMTP against a local server."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from cxos.errors import ValidationFailed
from cxos.fixes.notice_export import (
    SmtpSettings,
    mailbox,
    mailto_link,
    notices_csv,
    notices_markdown,
    send_notices,
)
from cxos.inputs import md_escape
from cxos.models import Fix, LoopNotice, Signal
from tests.conftest import COUNCIL
from tests.factories import as_seen, log_signal, overwrite_signal
from tests.smtp_receiver import smtp_receiver

FIX = Fix(
    id=7,
    failure_mode_id=1,
    title="Remember tenant",
    what_changed="SSO now remembers the tenant.",
    status="shipped",
    shipped_at=datetime(2026, 6, 1, tzinfo=UTC),
)


def _notice(recipient="sam@acme.com", body="Hi sam,\nfixed.\n", **extra) -> LoopNotice:
    return LoopNotice(id=1, fix_id=7, signal_id=3, recipient=recipient, account="Acme", body=body, **extra)


def test_notice_csv_is_formula_safe():
    rows = list(csv.DictReader(io.StringIO(notices_csv([_notice(body='=HYPERLINK("x")')], FIX))))
    assert rows[0]["body"].startswith("'=") and rows[0]["subject"] == "We fixed it: Remember tenant"


def test_notice_markdown_quotes_each_body():
    text = notices_markdown([_notice()], FIX)
    assert f"## To {md_escape('sam@acme.com')} (Acme)" in text and "> Hi sam," in text


def test_mailto_only_for_email_addresses():
    assert mailto_link(_notice(), FIX).startswith("mailto:sam@acme.com?subject=We%20fixed%20it")
    assert mailto_link(_notice(recipient="Acme Bank"), FIX) is None


@pytest.fixture
def smtp_server():
    with smtp_receiver() as (inbox, port):
        yield inbox, port


def test_sending_by_smtp_delivers_and_marks_sent(journey_store, touchpoint_id, smtp_server):
    from cxos.failure_modes.writes import create_failure_mode
    from cxos.fixes.loops import draft_notices
    from tests.fixes.test_fixes_and_loops import SSO_LOOPS, _shipped

    inbox, port = smtp_server
    first = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(journey_store, signal_id=first, status="fixing", owner_team_id=1)
    mode = create_failure_mode(
        journey_store,
        name="SSO loops",
        signals_seen=as_seen(journey_store, [first]),
        actor=COUNCIL,
        status="accepted",
    )
    globex = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, **(SSO_LOOPS | {"account": "Globex"})
    ).id
    overwrite_signal(
        journey_store, signal_id=globex, status="fixing", owner_team_id=1, failure_mode_id=mode.id
    )
    fix = _shipped(journey_store, mode.id)
    notices = draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL)
    sent, skipped = send_notices(
        journey_store,
        notices=notices,
        fix=fix,
        actor=COUNCIL,
        smtp=SmtpSettings(host="127.0.0.1", port=port, sender="cx@example.com", starttls=False),
    )
    assert [to for to, _ in inbox.messages] == [["sam@acme.com"]]
    assert "SSO now remembers the tenant." in inbox.messages[0][1]
    assert list(skipped) == ["Globex"]
    with journey_store.read() as session:
        statuses = {n.recipient: (n.status, n.sent_by) for n in session.exec(select(LoopNotice))}
        assert session.get(Signal, first).status == "loop_closed"
    assert (len(sent), statuses["sam@acme.com"], statuses["Globex"]) == (
        1,
        ("sent", "Priya Shah"),
        ("drafted", None),
    )


def test_a_notice_reworded_since_it_was_seen_is_not_mailed(journey_store, touchpoint_id, smtp_server):
    from cxos.failure_modes.writes import create_failure_mode
    from cxos.fixes.loops import draft_notices, edit_notice
    from tests.fixes.test_fixes_and_loops import SSO_LOOPS, _shipped
    from tests.stale_pairs import SOMEONE_ELSE

    inbox, port = smtp_server
    first = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(journey_store, signal_id=first, status="fixing", owner_team_id=1)
    mode = create_failure_mode(
        journey_store,
        name="SSO loops",
        signals_seen=as_seen(journey_store, [first]),
        actor=COUNCIL,
        status="accepted",
    )
    fix = _shipped(journey_store, mode.id)
    (notice,) = draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL)  # what the page shows
    edit_notice(
        journey_store, notice_id=notice.id, expected_version=notice.version, body="Theirs", actor=SOMEONE_ELSE
    )
    sent, skipped = send_notices(
        journey_store,
        notices=[notice],
        fix=fix,
        actor=COUNCIL,
        smtp=SmtpSettings(host="127.0.0.1", port=port, sender="cx@example.com", starttls=False),
        seen_versions={notice.id: notice.version},
    )
    assert not inbox.messages and not sent, "the wording on screen is not the stored one: nothing goes out"
    assert f"changed by {SOMEONE_ELSE.name}" in skipped["sam@acme.com"]


def test_smtp_settings_from_secrets():
    settings = SmtpSettings.from_secrets(
        {"host": "mail.example.com", "port": 465, "from": "cx@example.com", "starttls": False}
    )
    assert (settings.host, settings.port, settings.sender, settings.starttls) == (
        "mail.example.com",
        465,
        "cx@example.com",
        False,
    )
    assert SmtpSettings.from_secrets({}) is None


@pytest.mark.parametrize(
    "recipient",
    [
        "a@x.com,attacker@y.com",
        "a@x.com;attacker@y.com",
        "a@x.com\r\nBcc: attacker@y.com",
        "a@x.com\n",
        "Sam <sam@acme.com>, attacker@y.com",
        "sam@acme",
        '"a,b"@x.com',
        "a@x..com",
    ],
)
def test_a_recipient_that_is_not_exactly_one_mailbox_is_no_address(recipient):
    assert mailbox(recipient) is None
    assert mailto_link(_notice(recipient=recipient), FIX) is None


def test_a_plain_address_is_one_mailbox():
    assert mailbox(" first.last+cx@mail.acme.co.uk ") == "first.last+cx@mail.acme.co.uk"


def test_bad_addresses_are_reported_per_notice_and_never_reach_the_server(
    journey_store, touchpoint_id, smtp_server
):
    from cxos.failure_modes.writes import create_failure_mode
    from cxos.fixes.loops import draft_notices
    from tests.fixes.test_fixes_and_loops import SSO_LOOPS, _shipped

    inbox, port = smtp_server
    first = log_signal(
        journey_store, touchpoint_id=touchpoint_id, actor=COUNCIL, reporter="sam@acme.com", **SSO_LOOPS
    ).id
    overwrite_signal(journey_store, signal_id=first, status="fixing", owner_team_id=1)
    mode = create_failure_mode(
        journey_store,
        name="SSO loops",
        signals_seen=as_seen(journey_store, [first]),
        actor=COUNCIL,
        status="accepted",
    )
    fix = _shipped(journey_store, mode.id)
    (sam,) = draft_notices(journey_store, fix_id=fix.id, actor=COUNCIL)
    hostile = [
        _notice(recipient="a@x.com,attacker@y.com", status="drafted"),
        _notice(recipient="b@x.com\r\nBcc: attacker@y.com", status="drafted"),
    ]
    sent, skipped = send_notices(
        journey_store,
        notices=[hostile[0], sam, hostile[1]],
        fix=fix,
        actor=COUNCIL,
        smtp=SmtpSettings(host="127.0.0.1", port=port, sender="cx@example.com", starttls=False),
    )
    assert [to for to, _ in inbox.messages] == [["sam@acme.com"]]
    assert "attacker" not in inbox.messages[0][1]
    assert sent == [sam.id]
    assert set(skipped) == {n.recipient for n in hostile}
    assert all("not one e-mail address" in why for why in skipped.values())


def test_a_sender_that_is_not_one_address_is_refused_before_connecting():
    smtp = SmtpSettings(host="127.0.0.1", port=9, sender="cx@example.com, other@example.com")
    with pytest.raises(ValidationFailed, match="not one e-mail address"):
        send_notices(None, notices=[_notice(status="drafted")], fix=FIX, smtp=smtp, actor=COUNCIL)
