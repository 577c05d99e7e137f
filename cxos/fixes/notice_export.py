"""Loop notices out of the app: formula-safe CSV, Markdown to paste, mailto links, and sending by SMTP."""

import csv
import io
import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from cxos.errors import ValidationFailed
from cxos.fixes.loops import mark_sent
from cxos.identity import Actor, require
from cxos.inputs import md_inline
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


# One bare address: a dot-atom local part (no quotes, no comments) at a host name with a dot. Anything a mail
# header would read as more (a comma or semicolon list, CR/LF starting a new header, a group, a display name
# around a second address) does not match, so a recipient is exactly one mailbox or none.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(
    rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+)*@{_LABEL}(?:\.{_LABEL})+"
)
ADDRESS_MAX = 254  # RFC 5321's limit on a forward path


def mailbox(recipient: str | None) -> str | None:
    """The one e-mail address a recipient is, or None: never a list, never anything a header would split."""
    address = (recipient or "").strip(" \t")
    if len(address) > ADDRESS_MAX or not _ADDRESS.fullmatch(address):
        return None
    return address


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
    """One section per notice, the body quoted; every text a person wrote is escaped, so it stays plain text
    (a link, an image or HTML typed into a title, a fix or a notice never becomes live where this is pasted)."""
    lines = [
        f"# Loop notices — fix #{fix.id}: {md_inline(fix.title)}",
        "",
        f"What changed: {md_inline(fix.what_changed)}",
        "",
    ]
    for notice in notices:
        lines += [
            f"## To {md_inline(notice.recipient)}"
            + (f" ({md_inline(notice.account)})" if notice.account else ""),
            f"Status: {md_inline(notice.status)}"
            + (
                f", sent by {md_inline(notice.sent_by)} on {notice.sent_at:%Y-%m-%d}"
                if notice.sent_at
                else ""
            ),
            "",
            *[f"> {md_inline(line)}" if line.strip() else ">" for line in notice.body.splitlines()],
            "",
        ]
    return "\n".join(lines)


def mailto_link(notice: LoopNotice, fix: Fix) -> str | None:
    address = mailbox(notice.recipient)
    if address is None:
        return None
    return f"mailto:{quote(address, safe='@')}?subject={quote(subject(fix))}&body={quote(notice.body)}"


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

    Every address is checked before the server is contacted: a recipient that is not exactly one mailbox is
    reported for its notice and never reaches a header. `seen_versions` (notice id → version) are the versions
    the person saw; a notice changed since is not sent (its wording on screen is not the stored one) and is
    listed with who changed it. Without it, each notice's own version is taken as seen.

    Returns the ids sent and, per recipient, why one was not (not an address, changed meanwhile, refused by
    the server).
    """
    require(actor, "send_notices")
    sender = mailbox(smtp.sender)
    if sender is None:
        raise ValidationFailed({"from": f"the [smtp] from address {smtp.sender!r} is not one e-mail address"})
    outgoing: list[tuple[LoopNotice, str]] = []
    skipped: dict[str, str] = {}
    for notice in notices:
        if notice.status != "drafted":
            continue
        address = mailbox(notice.recipient)
        if address is None:
            skipped[notice.recipient] = "not one e-mail address: send it another way, then mark it sent"
            continue
        outgoing.append((notice, address))
    sent: list[int] = []
    if not outgoing:
        return sent, skipped
    with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        for notice, address in outgoing:
            seen = (seen_versions or {}).get(saved_id(notice), notice.version)
            changed = _changed_since(store, saved_id(notice), seen)
            if changed:  # checked just before sending: mail that went out cannot be refused afterwards
                skipped[notice.recipient] = changed
                continue
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = sender, address, subject(fix)
            message.set_content(notice.body)
            try:
                client.send_message(message, from_addr=sender, to_addrs=[address])
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
