"""The outbox sender: one pass enqueues what time makes due (fixes due or overdue, the weekly digest), then
sends every notice whose time has come, trying a failed one again later with exponential back-off.

No notice goes out twice, however many senders run: a pass first claims a notice's rows (a compare-and-set
on the claim, committed before anything is sent) and only the pass holding the claim sends and records them.
A claim is held for LEASE; only a sender stopped between delivering and recording (a crash inside those few
milliseconds) leaves a claim that expires, and then that notice is sent again.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.fixes.lifecycle import IN_FLIGHT
from cxos.fixes.notice_export import SmtpSettings
from cxos.kpis.digest import weekly_digest
from cxos.models import Fix, OutboxNotice, Signal, Team, TeamChannel
from cxos.notify.delivery import DeliveryFailed, deliver, smtp_settings
from cxos.notify.outbox import OUTBOX, add_notices, destinations, notice_row
from cxos.store.store import Store
from cxos.vocabulary import NoticeChannel, NoticeKind

LOG = logging.getLogger("cxos.notify")
LEASE = timedelta(minutes=5)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
PASS_LIMIT = 500  # notices looked at in one pass; the next pass takes the rest
ERROR_MAX = 1_000
SUBJECTS = {
    NoticeKind.SIGNALS_ROUTED: "CX OS: signals routed to your team",
    NoticeKind.FAILURE_MODE_ASSIGNED: "CX OS: a failure mode is now your team's",
    NoticeKind.FIX_DUE: "CX OS: a fix is due tomorrow",
    NoticeKind.FIX_OVERDUE: "CX OS: a fix is overdue",
    NoticeKind.WEEKLY_DIGEST: "CX OS weekly digest",
}

Deliver = Callable[[NoticeChannel, str, str, str], None]


@dataclass(frozen=True)
class PassResult:
    enqueued: int
    sent: int
    failed: int


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 30 s, 1 min, 2 min … at most 6 hours."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def send_pass(
    store: Store,
    *,
    now: datetime | None = None,
    smtp: SmtpSettings | None = None,
    send: Deliver | None = None,
) -> PassResult:
    """Enqueue the time-based notices, then send every notice that is due. `send` replaces the delivery (the
    default posts to Slack and mails through `smtp`, else the [smtp] of the secrets file)."""
    now = now or utcnow()
    enqueued = enqueue_due_notices(store, now=now)
    if send is None:
        settings = smtp or smtp_settings()

        def send(channel: NoticeChannel, address: str, subject: str, text: str) -> None:
            deliver(channel, address, subject, text, smtp=settings)

    sent = failed = 0
    for group in _due_groups(store, now):
        outcome = _send_group(store, group, now, send)
        sent += outcome is True
        failed += outcome is False
    return PassResult(enqueued, sent, failed)


def enqueue_due_notices(store: Store, *, now: datetime) -> int:
    """Fixes due tomorrow or overdue (once a day each) and this ISO week's digest (once per team)."""
    today = now.date()
    week = "{}-W{:02d}".format(*today.isocalendar()[:2])
    with store.read() as session:  # most passes find nothing to add: no write transaction for them
        team_ids = [row.team_id for row in session.exec(select(TeamChannel)) if destinations(row)]
    if not team_ids:
        return 0
    with store.write() as session:
        rows = []
        fixes = session.exec(
            select(Fix).where(
                col(Fix.status).in_(IN_FLIGHT),
                col(Fix.owner_team_id).in_(team_ids),
                col(Fix.due_on) <= today + timedelta(days=1),
            )
        )
        for fix in fixes:
            assert fix.due_on is not None and fix.owner_team_id is not None
            if fix.due_on < today:
                kind, key = NoticeKind.FIX_OVERDUE, f"fix-overdue:{fix.id}:{today}"
                body = f"Fix #{fix.id} was due on {fix.due_on:%d %b %Y} and is not shipped: {fix.title}"
            elif fix.due_on > today:
                kind, key = NoticeKind.FIX_DUE, f"fix-due:{fix.id}:{fix.due_on}"
                body = f"Fix #{fix.id} is due tomorrow, {fix.due_on:%d %b %Y}: {fix.title}"
            else:
                continue  # due today: yesterday's "due tomorrow" said so, tomorrow's "overdue" will
            rows += notice_row(
                session, team_id=fix.owner_team_id, kind=kind, key=key, body=body, ref_id=fix.id, now=now
            )
        if _digest_missing(session, team_ids, week):
            digest = weekly_digest(session, now=now)
            for team_id in team_ids:
                rows += notice_row(
                    session,
                    team_id=team_id,
                    kind=NoticeKind.WEEKLY_DIGEST,
                    key=f"digest:{team_id}:{week}",
                    body=digest,
                    ref_id=None,
                    now=now,
                )
        return add_notices(session, rows)


def _digest_missing(session: Session, team_ids: list[int], week: str) -> bool:
    stored = session.exec(
        select(OutboxNotice.team_id).where(
            col(OutboxNotice.kind) == NoticeKind.WEEKLY_DIGEST.value,
            col(OutboxNotice.dedupe_key).like(f"digest:%:{week}:%"),
        )
    ).all()
    return bool(set(team_ids) - set(stored))


def _due_groups(store: Store, now: datetime) -> list[tuple[str | None, int]]:
    """Each due notice once: (its batch, the id of a row), oldest first."""
    with store.read() as session:
        rows = session.exec(
            select(OutboxNotice.batch, OutboxNotice.id)
            .where(
                col(OutboxNotice.sent_at).is_(None),
                col(OutboxNotice.next_attempt_at) <= now,
                or_(col(OutboxNotice.claimed_until).is_(None), col(OutboxNotice.claimed_until) < now),
            )
            .order_by(col(OutboxNotice.next_attempt_at), col(OutboxNotice.id))
            .limit(PASS_LIMIT)
        ).all()
    groups: dict[str | int, tuple[str | None, int]] = {}
    for batch, row_id in rows:
        assert row_id is not None
        groups.setdefault(batch or row_id, (batch, row_id))
    return list(groups.values())


def _claim(store: Store, group: tuple[str | None, int], now: datetime) -> tuple[str, list[OutboxNotice]]:
    """Take the group's unsent rows for this pass, or none when another pass holds them."""
    batch, row_id = group
    claim = uuid.uuid4().hex
    which = OUTBOX.c.batch == batch if batch else OUTBOX.c.id == row_id
    with store.write() as session:
        session.execute(
            update(OUTBOX)
            .where(
                which,
                OUTBOX.c.sent_at.is_(None),
                OUTBOX.c.next_attempt_at <= now,
                or_(OUTBOX.c.claimed_until.is_(None), OUTBOX.c.claimed_until < now),
            )
            .values(claim=claim, claimed_until=now + LEASE)
        )
        rows = list(
            session.exec(
                select(OutboxNotice).where(col(OutboxNotice.claim) == claim).order_by(col(OutboxNotice.id))
            )
        )
    return claim, rows


def _send_group(store: Store, group: tuple[str | None, int], now: datetime, send: Deliver) -> bool | None:
    """Send one claimed notice: True sent, False failed (tried again later), None when another pass has it."""
    claim, rows = _claim(store, group, now)
    if not rows:
        return None
    first = rows[0]
    channel, kind = NoticeChannel(first.channel), NoticeKind(first.kind)
    with store.read() as session:
        address = destinations(
            session.exec(select(TeamChannel).where(col(TeamChannel.team_id) == first.team_id)).first()
        ).get(channel)
        text = _routed_text(session, rows) if kind == NoticeKind.SIGNALS_ROUTED else first.body
    try:
        if not address:
            raise DeliveryFailed(f"the team has no {channel.value} channel set now")
        send(channel, address, SUBJECTS[kind], text)
    except Exception as error:  # any failure of one receiver must not stop the others' notices
        _record(
            store,
            claim,
            now,
            error=str(error)[:ERROR_MAX] or type(error).__name__,
            attempts=first.attempts + 1,
        )
        LOG.warning("notice %s to team #%d failed: %s", first.dedupe_key, first.team_id, error)
        return False
    _record(store, claim, now, body=text if kind == NoticeKind.SIGNALS_ROUTED else None)
    return True


def _record(
    store: Store,
    claim: str,
    now: datetime,
    *,
    error: str | None = None,
    attempts: int = 0,
    body: str | None = None,
) -> None:
    """Write what became of the claimed rows, and release the claim."""
    values: dict[str, object] = {
        "claim": None,
        "claimed_until": None,
        "updated_at": now,
        "version": OUTBOX.c.version + 1,
    }
    if error is None:
        values |= {"sent_at": now, "last_error": ""}
        if body is not None:
            values["body"] = body
    else:
        values |= {"attempts": attempts, "last_error": error, "next_attempt_at": now + backoff(attempts)}
    with store.write() as session:
        session.execute(update(OUTBOX).where(OUTBOX.c.claim == claim).values(**values))


def _routed_text(session: Session, rows: list[OutboxNotice]) -> str:
    """One message for a minute's routed signals: how many, then each one's number and title."""
    team = session.get(Team, rows[0].team_id)
    ids = [row.ref_id for row in rows if row.ref_id is not None]
    titles = dict(session.exec(select(Signal.id, Signal.title).where(col(Signal.id).in_(ids))).all())
    count = f"{len(ids)} signal{'s' if len(ids) != 1 else ''}"
    lines = [f"{count} routed to {team.name if team else 'your team'}:"]
    lines += [f"• #{signal_id} {titles.get(signal_id, '(no longer stored)')}" for signal_id in ids]
    return "\n".join(lines)
