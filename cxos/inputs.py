"""Validated input shapes: what a person or an import may hand to the service layer."""

import codecs
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

from cxos.errors import ValidationFailed
from cxos.vocabulary import Severity, Source, Status

TITLE_MIN, TITLE_MAX = 3, 200
# A link must be web; anything else is taken as a ticket number. `javascript:` never gets rendered as a link.
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# Neither database can store a lone UTF-16 surrogate (half of a character pair): UTF-8 cannot encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")
# Fields matched exactly against other values: a dedupe key, an idempotency key, grouped-by names.
NAME_FIELDS = {"account", "reporter", "external_ref", "client_token"}


def split_title(text: str) -> tuple[str, str]:
    """A title cut at a word to fit TITLE_MAX, and the rest that was cut off ('' when it fits).

    Over-long text is never dropped: the rest belongs in the details, each side marked with an ellipsis.
    """
    if len(text) <= TITLE_MAX:
        return text, ""
    cut = text[: TITLE_MAX - 1].rsplit(" ", 1)[0]
    head = cut if len(cut) > TITLE_MAX // 2 else text[: TITLE_MAX - 1]
    return head + "…", "…" + text[len(head) :].lstrip()


def storable_text(value: str) -> str:
    """Free text as both databases can store it: NUL removed, a lone surrogate made U+FFFD.

    Cleaned, not refused: neither comes from a person typing. A NUL is what an export decoded wrongly or a
    clipboard leaves between letters (PostgreSQL refuses it in text); nobody sees it, so removing it gives
    the text the person saw. A lone surrogate is half of an emoji cut by a tool that counts UTF-16 units
    (a chat export's "\\ud83d"); U+FFFD marks where that half was, as it marks a byte a decoder could not
    read. Refusing either would lose a report over a character its writer never typed. A pair of halves
    written apart ("\\ud83d\\ude00") is joined into its character.
    """
    value = value.replace("\x00", "")
    if _SURROGATE.search(value):
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


def storable_name(value: str) -> str:
    """A name or identifier as both databases can store it: NUL removed, a lone surrogate refused.

    A name is matched exactly (a journey file merges teams by name, an import dedupes by ticket reference,
    signals are counted per account), so a replaced half character would quietly make another name: it is
    refused with a message instead, and its writer retypes it. A NUL is removed even here: invisible, it
    never tells two names apart for the people who read them (the journey editor removes it too).
    """
    value = value.replace("\x00", "")
    if _SURROGATE.search(value):
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        if half := _SURROGATE.search(value):
            code = f"U+{ord(half[0]):04X}"
            raise ValueError(
                f"has half of a character pair ({code}) that cannot be stored: retype that character"
            )
    return value


def storable_fields(fields: Mapping[str, Any], *, names: Iterable[str] = ()) -> dict[str, Any]:
    """A write service's fields as both databases can store them, cleaned at the boundary (one helper for all).

    Text fields go through storable_text; the fields in `names` (matched exactly: a stage, a rule, a profile,
    an attendee) through storable_name, and a lone surrogate there is refused naming that field. Lists and
    dicts (attendees, a rule's condition) are cleaned item by item; other values pass unchanged.
    """
    exact = set(names)
    cleaned: dict[str, Any] = {}
    for field, value in fields.items():
        try:
            cleaned[field] = _storable_value(value, storable_name if field in exact else storable_text)
        except ValueError as error:
            raise ValidationFailed({field: str(error)}) from None
    return cleaned


def storable_field(field: str, value: Any, *, name: bool = False) -> Any:
    """One field through storable_fields: for a service that takes a single piece of text."""
    return storable_fields({field: value}, names={field} if name else ())[field]


def _storable_value(value: Any, clean: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list | tuple):
        return type(value)(_storable_value(item, clean) for item in value)
    if isinstance(value, dict):
        return {_storable_value(key, clean): _storable_value(item, clean) for key, item in value.items()}
    return value


def _clean(value: Any, field: str | None) -> Any:
    if isinstance(value, str):
        return (storable_name(value) if field in NAME_FIELDS else storable_text(value)).strip()
    return value


class SignalFields(BaseModel):
    """The fields shared by creating and editing a signal, with their limits. Description and severity are
    declared by each: a new signal has defaults for them, an edit may leave them out."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    account: str | None = Field(default=None, max_length=200)
    arr: int | None = Field(default=None, ge=0, le=10_000_000_000)
    reporter: str | None = Field(default=None, max_length=320)
    external_ref: str | None = Field(default=None, max_length=2_000)
    driver_effort: bool = False
    driver_emotion: bool = False
    driver_answer_ai: bool = False
    driver_answer_human: bool = False
    driver_product: bool = False
    driver_policy: bool = False

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        return _clean(value, info.field_name)

    @field_validator("account", "reporter", "external_ref")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("external_ref")
    @classmethod
    def _web_links_only(cls, value: str | None) -> str | None:
        if value and _URL_SCHEME.match(value) and not value.lower().startswith(("http://", "https://")):
            raise ValueError("use an http(s) link or a plain ticket number")
        return value


class SignalCreate(SignalFields):
    description: str = Field(default="", max_length=10_000)
    severity: Severity = Severity.MEDIUM
    title: str = Field(min_length=TITLE_MIN, max_length=TITLE_MAX)
    source: Source
    touchpoint_id: int = Field(gt=0)
    client_token: str | None = Field(default=None, max_length=64)


class SignalUpdate(SignalFields):
    """Every field optional: only what is given is changed."""

    title: str | None = Field(default=None, min_length=TITLE_MIN, max_length=TITLE_MAX)
    source: Source | None = None
    touchpoint_id: int | None = Field(default=None, gt=0)
    description: str | None = Field(default=None, max_length=10_000)
    severity: Severity | None = None


class StatusChange(BaseModel):
    status: Status
    reason: str | None = Field(default=None, max_length=2_000)
    duplicate_of_id: int | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        return _clean(value, info.field_name)


def parse(shape: type[BaseModel], data: dict[str, Any]) -> Any:
    """Validate `data` into `shape`, or refuse with one plain message per field."""
    try:
        return shape.model_validate(data)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else "input"
            problems.setdefault(field, _plain(item))
        raise ValidationFailed(problems) from None


def _plain(item: ErrorDetails) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "missing" or (item.get("input") is None and kind not in {"missing", "none_required"}):
        return "is required"
    if kind == "string_too_short":
        return (
            "is required" if ctx.get("min_length") == 1 else f"needs at least {ctx['min_length']} characters"
        )
    if kind == "string_too_long":
        return f"is too long (at most {ctx['max_length']:,} characters)"
    if kind == "enum":
        return f"must be one of: {ctx.get('expected', '')}"
    if kind == "greater_than" and ctx.get("gt") == 0:
        return "is required"  # an id of 0: nothing was picked
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return "cannot be negative"
    if kind == "less_than_equal":
        return f"is larger than {ctx['le']:,}"
    if kind == "extra_forbidden":
        return "is not a signal field"
    if kind == "string_unicode":
        return "has text that cannot be stored (half of a character pair): retype it"
    return str(item["msg"]).removeprefix("Value error, ")


# What a settings file may be saved as: UTF-8 (with or without BOM) or UTF-16/32 as Windows editors write it.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def text_file(data: bytes, *, name: str = "the file") -> str:
    """A small text file a person hands in (YAML, a metrics CSV), decoded; refused when it is not text.

    UTF-16 without a BOM is recognised by its zero bytes (every other byte of ASCII text); anything else
    must be UTF-8. A file that still holds a NUL or does not decode is binary (a spreadsheet, an image).
    """
    encoding = next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)
    if encoding is None:
        sample = data[:4000]
        if len(sample) >= 2 and sample[1::2].count(0) > len(sample) // 4 and not sample[0::2].count(0):
            encoding = "utf-16-le"
        elif len(sample) >= 2 and sample[0::2].count(0) > len(sample) // 4 and not sample[1::2].count(0):
            encoding = "utf-16-be"
        else:
            encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"file": f"{name} is not a text file (UTF-8 or UTF-16): is it a spreadsheet or an image?"}
        ) from None
    if "\x00" in text:
        raise ValidationFailed({"file": f"{name} holds NUL bytes: it is a binary file, not text"})
    return text


# ASCII punctuation that Markdown or Streamlit's extensions act on ($ LaTeX, : emoji, @ and / autolinks).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&\"'@/%^])")


def md_escape(text: object) -> str:
    """Text as Markdown that shows exactly what was typed: no links, images, HTML or formatting.

    The one escaper for a person's text in Markdown, in the app (components/common/safe.py) and in the files
    it writes (minutes, the digest, loop notices): every punctuation character Markdown could act on is
    backslash-escaped, and a line break stays a line break.
    """
    if text is None:
        return ""
    return (
        _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "  \n")
    )


def md_inline(text: object) -> str:
    """md_escape for one line of Markdown (a list item, a table cell, a heading): whitespace runs made one space."""
    return md_escape(" ".join(str(text or "").split()))
