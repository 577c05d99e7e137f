"""Column mappings: which export column fills which signal field, guessed from headers, and value normalisation."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cxos.inputs import split_title
from cxos.vocabulary import SOURCE_LABELS, Severity, Source

# The signal fields an export column can fill. "message" is chat text: its first line becomes the title.
FIELDS = {
    "title": "Title",
    "description": "Details",
    "message": "Message (title from its first line)",
    "source": "Source",
    "touchpoint": "Touchpoint (by name)",
    "account": "Account",
    "arr": "ARR",
    "severity": "Severity / priority",
    "reporter": "Reported by",
    "external_ref": "Ticket link or id",
    "created_at": "Created at",
}
# Header words that suggest a field, best first (compared lower-case without punctuation).
SYNONYMS = {
    "title": [
        "title",
        "subject",
        "summary",
        "conversationtitle",
        "titleorfirstmessage",
        "whathappened",
        "issue",
        "problem",
        "frictionpoint",
        "painpoint",
        "name",
    ],
    "description": ["description", "body", "details", "firstmessage", "comment", "content"],
    "message": ["text", "message"],
    "source": ["source", "signalsource"],
    "touchpoint": ["touchpoint", "journeystep", "journey", "stage"],
    "account": ["organization", "organisation", "account", "companyname", "company", "customer"],
    "arr": ["arr", "annualrecurringrevenue", "revenue"],
    "severity": ["severity", "priority", "urgency"],
    "reporter": ["requester", "useremail", "reporter", "email", "requesteremail", "username", "user"],
    "external_ref": ["permalink", "url", "link", "ticketurl", "id", "ticketid", "conversationid", "ts"],
    "created_at": ["createdat", "created", "date", "timestamp", "createddate", "submittedat"],
}
SEVERITY_WORDS = {
    "low": Severity.LOW,
    "minor": Severity.LOW,
    "normal": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "high": Severity.HIGH,
    "major": Severity.HIGH,
    "urgent": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "blocker": Severity.CRITICAL,
}
BLANKS = {"", "-", "n/a", "na", "none", "null"}
# Day-first wins where both could be meant (3/4/2026 is 3 April); month-first forms come after, so a date only
# month-first can read (3/14/2026, as US Sheets and Excel write it) is still understood.
DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M %z",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y",
]
_NOT_WORD = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Profile:
    """How to read one export format: column → field, plus defaults for what the export does not say."""

    name: str
    kind: str = "csv"
    mapping: dict[str, str] = field(default_factory=dict)
    default_source: str | None = None
    default_touchpoint_id: int | None = None
    ref_prefix: str = ""  # put before a bare ticket id ("ZD-" or "https://acme.zendesk.com/agent/tickets/")
    skip_replies: bool = False  # Slack: replies belong to their thread's signal
    built_in: bool = False
    id: int | None = None
    version: int | None = None

    def options(self) -> dict[str, Any]:
        return {
            "default_source": self.default_source,
            "default_touchpoint_id": self.default_touchpoint_id,
            "ref_prefix": self.ref_prefix,
            "skip_replies": self.skip_replies,
        }


def header_key(name: str) -> str:
    return _NOT_WORD.sub("", name.lower())


def guess_mapping(header: list[str]) -> dict[str, str]:
    """A column for each field whose name looks like it; each column and each field used at most once."""
    keys = {column: header_key(column) for column in header}
    mapping: dict[str, str] = {}
    for field_name, words in SYNONYMS.items():
        for word in words:
            column = next((c for c, k in keys.items() if k == word and c not in mapping), None)
            if column:
                mapping[column] = field_name
                break
    if "message" in mapping.values() and "title" in mapping.values():
        mapping = {c: f for c, f in mapping.items() if f != "message"}
    return mapping


def fields_to_columns(mapping: dict[str, str]) -> dict[str, str]:
    return {field_name: column for column, field_name in mapping.items()}


def parse_created(value: str, *, now: datetime) -> datetime | None:
    """A timezone-aware UTC datetime from an export's date (ISO, common spreadsheet forms, Unix seconds), or None."""
    text = value.strip()
    if text.lower() in BLANKS:
        return None
    parsed: datetime | None = None
    try:
        seconds = float(text)
        if 1e8 < seconds < 1e10:  # Slack ts and Unix times
            parsed = datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError):
        pass
    if parsed is None:
        iso = re.sub(r"\s*(UTC|GMT|Z)$", "+00:00", text)
        try:
            parsed = datetime.fromisoformat(iso)
        except ValueError:
            for form in DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, form)
                    break
                except ValueError:
                    continue
    if parsed is None or parsed.year < 1990:
        return None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return min(parsed, now).replace(
        microsecond=0
    )  # a date in the future is a typo: the import time is honest


def parse_severity(value: str) -> str | None:
    word = value.strip().lower()
    if word in BLANKS:
        return None
    return SEVERITY_WORDS[word].value if word in SEVERITY_WORDS else word  # unknown: validation says why


def parse_source(value: str) -> str | None:
    word = value.strip().lower()
    if word in BLANKS:
        return None
    by_label = {label.lower(): source.value for source, label in SOURCE_LABELS.items()}
    return by_label.get(word) or (word.replace(" ", "_").replace("-", "_") if word else None)


def parse_arr(value: str) -> int | str | None:
    text = (
        value.strip()
        .lower()
        .replace(",", "")
        .replace("$", "")
        .replace("€", "")
        .replace("£", "")
        .replace(" ", "")
    )
    if text in BLANKS:
        return None
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    try:
        return round(float(text[:-1] if scale > 1 else text) * scale)
    except (ValueError, OverflowError):
        return value  # validation reports it as not a number


def message_title(text: str) -> str:
    """A chat message's first non-empty line, cut at a word to fit a title."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return split_title(line)[0]


def reference(value: str, prefix: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    return text if text.lower().startswith(("http://", "https://")) or not prefix else f"{prefix}{text}"


def known_source(value: str | None) -> bool:
    return value in Source._value2member_map_
