"""Delivering one notice: a JSON POST to a Slack incoming webhook, or a plain-text mail by SMTP.

Text people typed is escaped for Slack's mrkdwn (`&`, `<`, `>` as Slack documents), so a title cannot make a
link or ping a channel; in a mail it is only ever in the body, and the one address a recipient is goes
through `mailbox` (cxos/fixes/notice_export.py), which never lets anything split a header.
"""

import json
import smtplib
import tomllib
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from cxos.access import SECRETS_FILES
from cxos.fixes.notice_export import SmtpSettings, mailbox
from cxos.vocabulary import NoticeChannel

TIMEOUT_S = 20.0
ERROR_MAX = 500


class DeliveryFailed(Exception):
    """The receiver refused the notice or could not be reached; the sender tries again later."""


def slack_escape(text: str) -> str:
    """Text as Slack shows it literally: its three control characters replaced by their HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def smtp_settings(files: tuple[Path, ...] = SECRETS_FILES) -> SmtpSettings | None:
    """The [smtp] section of the secrets file loop notices are sent with (the one setting for both)."""
    for path in files:
        try:
            section = tomllib.loads(path.read_text(encoding="utf-8")).get("smtp")
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        settings = SmtpSettings.from_secrets(section)
        if settings is not None:
            return settings
    return None


def deliver(
    channel: NoticeChannel, address: str, subject: str, text: str, *, smtp: SmtpSettings | None
) -> None:
    """Send one notice, or raise DeliveryFailed saying why."""
    if channel == NoticeChannel.SLACK:
        post_to_slack(address, text)
    else:
        send_mail(address, subject, text, smtp=smtp)


def post_to_slack(url: str, text: str) -> None:
    body = json.dumps({"text": slack_escape(text)}).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - checked https URL
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"Slack answered {error.code}: {_short(error.read())}") from None
    except (urllib.error.URLError, OSError) as error:
        raise DeliveryFailed(f"Slack could not be reached: {error}") from None


def send_mail(address: str, subject: str, text: str, *, smtp: SmtpSettings | None) -> None:
    if smtp is None:
        raise DeliveryFailed("no [smtp] section in .streamlit/secrets.toml: e-mail cannot be sent")
    sender, recipient = mailbox(smtp.sender), mailbox(address)
    if sender is None or recipient is None:
        raise DeliveryFailed("the [smtp] from address or the team's address is not one e-mail address")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, subject
    message.set_content(text)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_S) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.send_message(message, from_addr=sender, to_addrs=[recipient])
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"the mail server: {error}") from None


def _short(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")[:ERROR_MAX]
