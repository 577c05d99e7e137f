"""Loop notices out of the app: formula-safe CSV, Markdown to paste, mailto links, and sending by SMTP."""

import csv
import io
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from cxos.fixes.loops import mark_sent
from cxos.identity import Actor, require
from cxos.models import Fix, LoopNotice, saved_id
from cxos.signals.export import neutralise
from cxos.store.audit import stale_write
from cxos.store.store import Store

CSV_COLUMNS = [
    "notice_id",
    "fix_id",
    "fix",
    "recipient",
    "account",
    "signal_id",
    "status",
    "sent_by",
    "sent_at",
    "subject",
    "body",
]


def subject(fix: Fix) -> str:
    return f"We fixed it: {fix.title}"


def is_email(recipient: str) -> bool:
    name, at, domain = recipient.partition("@")
    return bool(name and at and "." in domain and " " not in recipient)


def notices_csv(notices: list[LoopNotice], fix: Fix) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for notice in notices:
        row: dict[str, Any] = {
            "notice_id": notice.id,
            "fix_id": fix.id,
            "fix": fix.title,
            "recipient": notice.recipient,
            "account": notice.account,
            "signal_id": notice.signal_id,
            "status": notice.status,
            "sent_by": notice.sent_by,
            "sent_at": notice.sent_at.isoformat() if notice.sent_at else None,
            "subject": subject(fix),
            "body": notice.body,
        }
        writer.writerow({key: neutralise(value) for key, value in row.items()})
    return out.getvalue()


def notices_markdown(notices: list[LoopNotice], fix: Fix) -> str:
    """One section per notice, the body quoted as written (it is the customer's own text, so it stays plain)."""
    lines = [f"# Loop notices — fix #{fix.id}: {fix.title}", "", f"What changed: {fix.what_changed}", ""]
    for notice in notices:
        lines += [
            f"## To {notice.recipient}" + (f" ({notice.account})" if notice.account else ""),
            f"Status: {notice.status}"
            + (f", sent by {notice.sent_by} on {notice.sent_at:%Y-%m-%d}" if notice.sent_at else ""),
            "",
            *[f"> {line}" if line else ">" for line in notice.body.splitlines()],
            "",
        ]
    return "\n".join(lines)


def mailto_link(notice: LoopNotice, fix: Fix) -> str | None:
    if not is_email(notice.recipient):
        return None
    return (
        f"mailto:{quote(notice.recipient, safe='@')}?subject={quote(subject(fix))}&body={quote(notice.body)}"
    )


def mailto_list(notices: list[LoopNotice], fix: Fix) -> str:
    """A text file of mailto links, one per line, for notices whose recipient is an e-mail address."""
    links = [mailto_link(n, fix) for n in notices if n.status == "drafted"]
    return "\n".join(link for link in links if link) + "\n"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str = ""
    starttls: bool = True

    @classmethod
    def from_secrets(cls, section: Any) -> "SmtpSettings | None":
        """From `.streamlit/secrets.toml` [smtp] (host, port, username, password, from, starttls); None when absent."""
        if not section or not section.get("host"):
            return None
        return cls(
            host=str(section["host"]),
            port=int(section.get("port", 587)),
            username=section.get("username"),
            password=section.get("password"),
            sender=str(section.get("from") or section.get("username") or ""),
            starttls=bool(section.get("starttls", True)),
        )


def send_notices(
    store: Store,
    *,
    notices: list[LoopNotice],
    fix: Fix,
    smtp: SmtpSettings,
    actor: Actor,
    seen_versions: Mapping[int, int] | None = None,
    timeout: float = 20,
) -> tuple[list[int], dict[str, str]]:
    """Send each drafted notice with an e-mail recipient; each one sent is marked sent at once.

    `seen_versions` (notice id → version) are the versions the person saw; a notice changed since is not
    sent (its wording on screen is not the stored one) and is listed with who changed it. Without it, each
    notice's own version is taken as seen.

    Returns the ids sent and, per recipient, why one was not (not an address, refused by the server).
    """
    require(actor, "send_notices")
    sent, skipped = [], {}
    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        for notice in notices:
            if notice.status != "drafted":
                continue
            if not is_email(notice.recipient):
                skipped[notice.recipient] = "not an e-mail address: send it another way, then mark it sent"
                continue
            seen = (seen_versions or {}).get(saved_id(notice), notice.version)
            changed = _changed_since(store, saved_id(notice), seen)
            if changed:  # checked before sending: mail that went out cannot be refused afterwards
                skipped[notice.recipient] = changed
                continue
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = smtp.sender, notice.recipient, subject(fix)
            message.set_content(notice.body)
            try:
                client.send_message(message)
            except smtplib.SMTPException as error:
                skipped[notice.recipient] = f"the mail server refused it: {error}"
                continue
            mark_sent(store, notice_id=saved_id(notice), expected_version=seen, actor=actor)
            sent.append(saved_id(notice))
    return sent, skipped


def _changed_since(store: Store, notice_id: int, seen: int) -> str | None:
    """Why a notice must not go out as the person saw it (someone changed it meanwhile), or None."""
    with store.read() as session:
        notice = session.get(LoopNotice, notice_id)
    if notice is None or notice.version == seen:
        return None
    return str(stale_write(notice))
