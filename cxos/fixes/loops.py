"""Loop notices: 'you reported X, we fixed it, here's what changed' — drafted from a template, one per customer per fix."""

import string
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cxos.clock import utcnow
from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.inputs import storable_field
from cxos.models import Fix, LoopNotice, Setting, Signal, saved_id
from cxos.signals import writes as signals
from cxos.store.audit import apply_changes, editing, record_event
from cxos.store.settings import NOTICE_TEMPLATE, read_setting, setting_version, write_setting
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, Status

TEMPLATE_KEY = NOTICE_TEMPLATE
PLACEHOLDERS = {
    "reporter": "who reported it (their e-mail, else the account)",
    "account": "the customer account",
    "title": "what they reported, as logged",
    "reported_on": "the day they reported it",
    "what_changed": "the fix's customer-facing 'what changed' text",
    "fix": "the fix's title",
}
DEFAULT_TEMPLATE = (
    "Hi {reporter},\n\n"
    'On {reported_on} you told us about this: "{title}".\n\n'
    "We fixed it. Here's what changed: {what_changed}\n\n"
    "Thank you for telling us — reports like yours are how we find what to fix.\n"
)
# Statuses of a linked signal whose reporter is owed a notice (not won't fix, not a duplicate).
OWED = {Status.LINKED.value, Status.FIXING.value, Status.FIXED.value, Status.LOOP_CLOSED.value}


def check_template(template: str) -> str:
    """The template, storable, or a refusal naming every unknown placeholder (before anything is drafted)."""
    template = storable_field("template", template or "")
    if not (template or "").strip():
        raise ValidationFailed({"template": "the notice template is empty"})
    try:
        fields = [
            (name, spec, conv)
            for _, name, spec, conv in string.Formatter().parse(template)
            if name is not None
        ]
    except ValueError as error:
        raise ValidationFailed({"template": f"{error} (write a literal brace as {{{{ or }}}})"}) from error
    unknown = sorted({name or "{}" for name, _, _ in fields if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationFailed(
            {
                "template": f"unknown placeholder {', '.join('{' + u.strip('{}') + '}' for u in unknown)}; "
                f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
            }
        )
    if any(spec or conv for _, spec, conv in fields):
        raise ValidationFailed({"template": "placeholders take no format spec or conversion, e.g. {title}"})
    return template


def notice_template(session: Session) -> str:
    return read_setting(session, TEMPLATE_KEY) or DEFAULT_TEMPLATE


def template_version(session: Session) -> int:
    """The version of the saved template, to send back with a change of it (0: never saved)."""
    return setting_version(session, TEMPLATE_KEY)


def save_template(store: Store, *, template: str, expected_version: int, actor: Actor) -> Setting:
    """Store the team's notice template over the version the person saw; unknown placeholders are refused."""
    require(actor, "send_notices")
    return write_setting(
        store,
        key=TEMPLATE_KEY,
        value=check_template(template),
        expected_version=expected_version,
        actor=actor,
    )


def render(template: str, *, signal: Signal, fix: Fix) -> str:
    values = {
        "reporter": signal.reporter or signal.account or "there",
        "account": signal.account or "",
        "title": signal.title,
        "reported_on": f"{signal.created_at:%-d %B %Y}",
        "what_changed": fix.what_changed,
        "fix": fix.title,
    }
    return template.format_map(values)


def recipient_of(signal: Signal) -> str | None:
    return (signal.reporter or "").strip() or (signal.account or "").strip() or None


def draft_notices(
    store: Store, *, fix_id: int, actor: Actor, template: str | None = None
) -> list[LoopNotice]:
    """Draft the missing notices for a shipped fix: one per recipient (reporter, else account), from their first signal.

    Drafting again adds only recipients that have none yet, so it is safe to repeat. Returns the new notices.
    Append-only: it never changes a notice someone drafted or edited, so it needs no version.
    """
    require(actor, "send_notices")
    if template is not None:
        template = check_template(template)
    with store.write() as session:
        fix = session.get(Fix, fix_id)
        if fix is None:
            raise NotFound(f"Fix #{fix_id} does not exist.")
        if fix.status not in ("shipped", "verified"):
            raise ValidationFailed(
                {"fix": f"fix #{fix.id} has not shipped yet; notices follow a shipped fix"}
            )
        text = check_template(template if template is not None else notice_template(session))
        have = set(session.exec(select(LoopNotice.recipient).where(LoopNotice.fix_id == fix.id)))
        query = (
            select(Signal)
            .where(
                Signal.failure_mode_id == fix.failure_mode_id,
                col(Signal.status).in_(OWED),
                col(Signal.created_at) <= fix.shipped_at,
            )
            .order_by(col(Signal.created_at), col(Signal.id))
        )
        drafted = []
        for signal in session.exec(query):
            recipient = recipient_of(signal)
            if recipient is None or recipient in have:
                continue
            have.add(recipient)
            now = utcnow()
            notice = LoopNotice(
                fix_id=saved_id(fix),
                signal_id=signal.id,
                recipient=recipient,
                account=signal.account,
                body=render(text, signal=signal, fix=fix),
                created_at=now,
                updated_at=now,
                created_by=actor.name,
                updated_by=actor.name,
            )
            session.add(notice)
            drafted.append(notice)
        try:
            session.flush()
        except IntegrityError as error:
            raise ValidationFailed(
                {"fix": "someone drafted these notices at the same moment; reload"}
            ) from error
        for notice in drafted:
            record_event(
                session,
                actor=actor,
                entity=EventEntity.LOOP_NOTICE,
                entity_id=saved_id(notice),
                action=EventAction.DRAFTED,
                to_value=notice.recipient,
                note=f"fix #{fix.id}, signal #{notice.signal_id}",
            )
        return drafted


def notices_for_fix(session: Session, fix_id: int) -> list[LoopNotice]:
    return list(
        session.exec(select(LoopNotice).where(LoopNotice.fix_id == fix_id).order_by(col(LoopNotice.id)))
    )


def edit_notice(
    store: Store, *, notice_id: int, expected_version: int, body: str, actor: Actor
) -> LoopNotice:
    """Reword one drafted notice before it goes out."""
    require(actor, "send_notices")
    body = storable_field("body", body or "")
    if not body.strip():
        raise ValidationFailed({"body": "a notice needs some text"})
    with editing(store, LoopNotice, notice_id, expected_version, actor) as (session, notice):
        if notice.status == "sent":
            raise ValidationFailed({"status": f"notice #{notice.id} was already sent"})
        apply_changes(session, notice, actor, {"body": body.strip() + "\n"})
        return notice


def mark_sent(
    store: Store, *, notice_id: int, expected_version: int, actor: Actor, at: datetime | None = None
) -> LoopNotice:
    """Drafted → sent, by whom and when; the recipient's fixed signals for this fix move to loop closed."""
    require(actor, "send_notices")
    with editing(store, LoopNotice, notice_id, expected_version, actor) as (session, notice):
        if notice.status == "sent":
            raise ValidationFailed({"status": f"notice #{notice.id} was already sent by {notice.sent_by}"})
        apply_changes(
            session,
            notice,
            actor,
            {"status": "sent", "sent_by": actor.name, "sent_at": at or utcnow()},
            action=EventAction.SENT,
        )
        # The customer was told about every signal they reported for this fix, not only the first one.
        fix = session.get_one(Fix, notice.fix_id)
        told = session.exec(
            select(Signal)
            .where(
                Signal.failure_mode_id == fix.failure_mode_id,
                Signal.status == Status.FIXED.value,
                col(Signal.created_at) <= fix.shipped_at,
            )
            .with_for_update()
        ).all()
        theirs = [signal for signal in told if recipient_of(signal) == notice.recipient]
        signals.close_loop(session, signals=theirs, actor=actor)
        return notice
