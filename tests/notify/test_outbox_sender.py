"""The notice outbox end to end: what a write enqueues, what the sender sends to a real local Slack webhook
and SMTP server, retries with back-off, and no notice sent twice."""

import json
import multiprocessing
import threading
from datetime import datetime, timedelta

from sqlmodel import col, select

from cxos.cli.main import main
from cxos.failure_modes.writes import create_failure_mode, update_failure_mode
from cxos.fixes.lifecycle import plan_fix
from cxos.fixes.notice_export import SmtpSettings
from cxos.journey.map import load_journey_template
from cxos.models import OutboxNotice, Team
from cxos.notify.delivery import slack_escape
from cxos.notify.sender import backoff, send_pass
from cxos.notify.status import state_counts
from cxos.store.store import Store
from cxos.vocabulary import NoticeKind, NoticeState
from tests.conftest import ADMIN, COUNCIL
from tests.factories import routed_signal
from tests.notify.conftest import AFTER_THE_MINUTE, PINNED, set_channels


def _smtp(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, sender="cx@example.com", starttls=False)


def _not_digest(texts: list[str]) -> list[str]:
    """What was sent besides the weekly digest (each pass makes the week's digest due once)."""
    return [text for text in texts if not text.startswith("# CX OS weekly digest")]


def _slack_texts(slack) -> list[str]:
    return _not_digest([message["text"] for message in slack.messages])


def _mails(inbox) -> list[tuple[list[str], str]]:
    return [(to, mail) for to, mail in inbox.messages if "Subject: CX OS weekly digest" not in mail]


def _notices(store, kind: NoticeKind | None = None) -> list[OutboxNotice]:
    with store.read() as session:
        query = select(OutboxNotice).order_by(col(OutboxNotice.id))
        if kind is not None:
            query = query.where(col(OutboxNotice.kind) == kind.value)
        return list(session.exec(query))


def test_routed_signals_are_one_message_per_team_per_minute(
    journey_store, touchpoint_id, team_ids, pinned, slack, smtp
):
    inbox, port = smtp
    first, second = team_ids[:2]
    set_channels(journey_store, first, slack=slack.url)
    set_channels(journey_store, second, email="docs@example.com")
    for n in range(3):
        routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=first, title=f"Login loop {n}")
    routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=second, title="Docs 404")

    send_pass(journey_store, now=PINNED + timedelta(seconds=10), smtp=_smtp(port))
    assert not _slack_texts(slack) and not _mails(inbox)  # the minute is not over: more may join its batch

    send_pass(journey_store, now=AFTER_THE_MINUTE, smtp=_smtp(port))
    (text,) = _slack_texts(slack)
    assert text.startswith("3 signals routed to ") and all(f"Login loop {n}" in text for n in range(3))
    ((recipients, mail),) = _mails(inbox)
    assert recipients == ["docs@example.com"] and "Docs 404" in mail
    assert "Subject: CX OS: signals routed" in mail
    assert send_pass(journey_store, now=AFTER_THE_MINUTE + timedelta(minutes=5), smtp=_smtp(port)).sent == 0
    assert len(_slack_texts(slack)) == 1 and len(_mails(inbox)) == 1


def test_a_team_without_channels_gets_no_notice(journey_store, touchpoint_id, team_ids, pinned):
    routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=team_ids[0])
    assert _notices(journey_store) == []


def test_a_failing_receiver_is_retried_with_back_off_until_it_takes_it(
    journey_store, touchpoint_id, team_ids, pinned, slack
):
    set_channels(journey_store, team_ids[0], slack=slack.url)
    routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=team_ids[0])
    slack.refuse = 2

    now = AFTER_THE_MINUTE
    assert send_pass(journey_store, now=now).failed == 2  # the notice and the week's digest
    (notice,) = _notices(journey_store, NoticeKind.SIGNALS_ROUTED)
    assert notice.attempts == 1 and "500" in notice.last_error and notice.next_attempt_at == now + backoff(1)
    assert state_counts(journey_store)[NoticeState.FAILING] == 2

    assert send_pass(journey_store, now=now + backoff(1) - timedelta(seconds=1)).failed == 0  # not yet due
    now += backoff(1)
    slack.refuse = 2
    assert send_pass(journey_store, now=now).failed == 2
    (notice,) = _notices(journey_store, NoticeKind.SIGNALS_ROUTED)
    assert (
        notice.attempts == 2 and notice.next_attempt_at == now + backoff(2) and backoff(2) == 2 * backoff(1)
    )

    assert send_pass(journey_store, now=now + backoff(2)).sent == 2
    (notice,) = _notices(journey_store, NoticeKind.SIGNALS_ROUTED)
    assert notice.sent_at is not None and notice.last_error == "" and len(_slack_texts(slack)) == 1
    counts = state_counts(journey_store)
    assert counts == {NoticeState.PENDING: 0, NoticeState.SENT: 2, NoticeState.FAILING: 0}


def test_two_senders_at_once_send_each_notice_once(journey_store, touchpoint_id, team_ids, pinned, slack):
    for team_id in team_ids[:3]:
        set_channels(journey_store, team_id, slack=slack.url)
        routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=team_id)
    start = threading.Barrier(4)
    results = []

    def sender():
        start.wait()
        results.append(send_pass(journey_store, now=AFTER_THE_MINUTE))

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # three routed batches and three teams' digests, each sent by exactly one of the four senders
    assert sum(r.sent for r in results) == 6 and len(slack.messages) == 6
    texts = _slack_texts(slack)
    assert len(texts) == 3 and len(set(texts)) == 3


def _sender_process(url: str, now: str, start, outcomes) -> None:
    """One sender pass in a process of its own, on the same database."""
    store = Store.open(url)
    start.wait()
    try:
        outcomes.put(send_pass(store, now=datetime.fromisoformat(now)).sent)
    finally:
        store.dispose()


def test_two_sender_processes_send_each_notice_once(journey_store, touchpoint_id, team_ids, pinned, slack):
    for team_id in team_ids[:3]:
        set_channels(journey_store, team_id, slack=slack.url)
        for n in range(2):
            routed_signal(journey_store, touchpoint_id=touchpoint_id, team_id=team_id, title=f"Seat sync {n}")
    spawn = multiprocessing.get_context("spawn")
    start, outcomes = spawn.Barrier(2), spawn.Queue()
    senders = [
        spawn.Process(
            target=_sender_process, args=(journey_store.url, AFTER_THE_MINUTE.isoformat(), start, outcomes)
        )
        for _ in range(2)
    ]
    for process in senders:
        process.start()
    sent = [outcomes.get(timeout=300) for _ in senders]
    for process in senders:
        process.join()
    assert sum(sent) == 6 and len(slack.messages) == 6  # three batches of two, three digests
    assert len(set(_slack_texts(slack))) == 3


def test_failure_mode_assigned_is_told_once_per_assignment(
    journey_store, touchpoint_id, team_ids, pinned, slack
):
    first, second = team_ids[:2]
    set_channels(journey_store, first, slack=slack.url)
    set_channels(journey_store, second, slack=slack.url)
    mode = create_failure_mode(
        journey_store, name="SSO <!channel> loop", signals_seen={}, actor=COUNCIL, owner_team_id=first
    )
    update_failure_mode(
        journey_store,
        failure_mode_id=mode.id,
        expected_version=mode.version,
        changes={"name": "SSO loop"},
        actor=COUNCIL,
    )
    assert len(_notices(journey_store, NoticeKind.FAILURE_MODE_ASSIGNED)) == 1  # a rename is not a new owner
    update_failure_mode(
        journey_store,
        failure_mode_id=mode.id,
        expected_version=mode.version + 1,
        changes={"owner_team_id": second},
        actor=COUNCIL,
    )
    assert [n.team_id for n in _notices(journey_store, NoticeKind.FAILURE_MODE_ASSIGNED)] == [first, second]
    send_pass(journey_store, now=PINNED)
    texts = _slack_texts(slack)
    assert "SSO &lt;!channel&gt; loop" in texts[0] and "<!channel>" not in texts[0]


def test_fixes_due_and_overdue_and_the_digest_are_enqueued_once_by_key(
    journey_store, team_ids, pinned, slack
):
    team = team_ids[0]
    set_channels(journey_store, team, slack=slack.url)
    mode = create_failure_mode(
        journey_store, name="Billing drift", signals_seen={}, actor=COUNCIL, owner_team_id=team
    )
    today = PINNED.date()
    due = plan_fix(
        journey_store,
        failure_mode_id=mode.id,
        title="Due fix",
        owner_team_id=team,
        due_on=today + timedelta(days=1),
        actor=COUNCIL,
    )
    late = plan_fix(
        journey_store,
        failure_mode_id=mode.id,
        title="Late fix",
        owner_team_id=team,
        due_on=today - timedelta(days=3),
        actor=COUNCIL,
    )

    for _ in range(2):  # two passes the same day: the same keys, no second row
        send_pass(journey_store, now=PINNED)
    keys = {
        n.kind: n.dedupe_key for n in _notices(journey_store) if n.kind != NoticeKind.FAILURE_MODE_ASSIGNED
    }
    week = "{}-W{:02d}".format(*today.isocalendar()[:2])
    assert keys == {
        NoticeKind.FIX_DUE: f"fix-due:{due.id}:{due.due_on}:slack",
        NoticeKind.FIX_OVERDUE: f"fix-overdue:{late.id}:{today}:slack",
        NoticeKind.WEEKLY_DIGEST: f"digest:{team}:{week}:slack",
    }
    assert len(slack.messages) == 4  # the assignment, due, overdue and the digest, each once

    send_pass(
        journey_store, now=PINNED + timedelta(days=1)
    )  # next day: overdue again (daily), due fix is due today
    kinds = [n.kind for n in _notices(journey_store)]
    assert kinds.count(NoticeKind.FIX_OVERDUE) == 2 and kinds.count(NoticeKind.FIX_DUE) == 1
    new_week = (today + timedelta(days=1)).isocalendar()[1] != today.isocalendar()[1]
    assert kinds.count(NoticeKind.WEEKLY_DIGEST) == 1 + new_week


def test_text_people_typed_is_escaped_for_slack(journey_store, touchpoint_id, team_ids, pinned, slack):
    set_channels(journey_store, team_ids[0], slack=slack.url)
    routed_signal(
        journey_store,
        touchpoint_id=touchpoint_id,
        team_id=team_ids[0],
        title="<https://evil.example|Click> & <@U123>",
    )
    send_pass(journey_store, now=AFTER_THE_MINUTE)
    (text,) = _slack_texts(slack)
    assert "&lt;https://evil.example|Click&gt; &amp; &lt;@U123&gt;" in text
    assert "<" not in text and ">" not in text
    assert slack_escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"


def test_send_notices_is_one_pass_from_the_command_line(sqlite_store, slack, capsys):
    load_journey_template(sqlite_store, actor=ADMIN)
    with sqlite_store.read() as session:
        team_id = session.exec(select(Team.id)).first()
    set_channels(sqlite_store, team_id, slack=slack.url)
    assert main(["--database-url", sqlite_store.url, "send-notices", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"enqueued": 1, "sent": 1, "failed": 0}  # the week's digest
    assert slack.messages[0]["text"].startswith("# CX OS weekly digest")
    assert main(["--database-url", sqlite_store.url, "send-notices", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"enqueued": 0, "sent": 0, "failed": 0}
