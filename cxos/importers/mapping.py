"""Column mappings: which export column fills which signal field, guessed from headers, and value normalisation."""

import re
from dataclasses import dataclass, field, replace
from typing import Any

from cxos.importers.dates import DAY_FIRST
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
    "tags": "Tags",
    "group": "Group / team / queue",
    "channel": "Channel (email, chat, web…)",
}
# Where a ticket belongs, as the export says it: kept with the row for the step that places it (no signal
# column holds them), never validated as signal fields.
PLACEMENT_FIELDS = ("tags", "group", "channel")
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
    "external_ref": [
        "permalink",
        "url",
        "link",
        "ticketurl",
        "id",
        "ticketid",
        "ticket",
        "reference",
        "ref",
        "conversationid",
        "ts",
    ],
    "created_at": ["createdat", "created", "date", "timestamp", "createddate", "submittedat", "createdtime"],
    "tags": ["tags", "labels", "tag", "label"],
    "group": ["group", "team", "queue", "inbox", "mailbox", "category"],
    "channel": ["channel", "via", "medium"],
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
_NOT_WORD = re.compile(r"[^a-z0-9]")
# Columns survey tools add around the answers (Typeform, SurveyMonkey), compared as header_key does.
SURVEY_META = {
    "",
    "responsetype",
    "startdateutc",
    "stagedateutc",
    "submitdateutc",
    "networkid",
    "tags",
    "ending",
    "respondentid",
    "collectorid",
    "startdate",
    "enddate",
    "ipaddress",
    "emailaddress",
    "firstname",
    "lastname",
    "customdata1",
}


BAD_DATE_ERROR = "error"
BAD_DATE_IMPORT_TIME = "import_time"


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
    # Dates (cxos/importers/dates.py): a fixed order, or None to decide from the values; the order a file no
    # value decides follows; the zone of times written without an offset; and what a date no form reads does:
    # "error" (the row is reported) or "import_time" (stored at the import time, with a note in the report).
    date_order: str | None = None
    date_default: str = DAY_FIRST
    timezone: str = "UTC"
    bad_dates: str = BAD_DATE_ERROR
    # Survey exports: the answer columns are the survey's own questions, so the longest-answered column the
    # profile does not know becomes the message (the person can choose another in the wizard).
    free_text: bool = False
    built_in: bool = False
    id: int | None = None
    version: int | None = None

    def options(self) -> dict[str, Any]:
        return {
            "default_source": self.default_source,
            "default_touchpoint_id": self.default_touchpoint_id,
            "ref_prefix": self.ref_prefix,
            "skip_replies": self.skip_replies,
            "date_order": self.date_order,
            "date_default": self.date_default,
            "timezone": self.timezone,
            "bad_dates": self.bad_dates,
            "free_text": self.free_text,
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


def fit_to_header(profile: Profile, header: list[str], sample: list[dict[str, str]] | None = None) -> Profile:
    """The profile with its columns as this file spells them (case and punctuation aside) and only the ones it
    has: a built-in profile lists each tool's spellings of a field, best first, and the first present wins."""
    by_key = {header_key(column): column for column in reversed(header)}
    mapping: dict[str, str] = {}
    for column, field_name in profile.mapping.items():
        present = column if column in header else by_key.get(header_key(column))
        if present and present not in mapping and field_name not in mapping.values():
            mapping[present] = field_name
    if profile.free_text and not {"title", "message"} & set(mapping.values()):
        known = {header_key(column) for column in profile.mapping} | set(SURVEY_META)
        free = [column for column in header if header_key(column) not in known and column not in mapping]
        if free:
            rows = sample or []
            answered = max(free, key=lambda c: (sum(len(r.get(c, "")) for r in rows), -free.index(c)))
            mapping[answered] = "message"
    return replace(profile, mapping=mapping)


def missing_fields(profile: Profile, header: list[str]) -> list[str]:
    """The profile's fields none of whose columns this file has (each named once, by its first column)."""
    fitted = set(fit_to_header(profile, header).mapping.values())
    first: dict[str, str] = {}
    for column, field_name in profile.mapping.items():
        first.setdefault(field_name, column)
    return [column for field_name, column in first.items() if field_name not in fitted]


def fields_to_columns(mapping: dict[str, str]) -> dict[str, str]:
    return {field_name: column for column, field_name in mapping.items()}


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
