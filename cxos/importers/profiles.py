"""Import profiles: the built-in ones (one per tool's export, and the generic CSV), detection from a header, and the team's saved ones."""

import json
from dataclasses import dataclass, replace
from typing import Any, TypedDict

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cxos.errors import NotFound, ValidationFailed
from cxos.identity import Actor, require
from cxos.importers.dates import DAY_FIRST, MONTH_FIRST, ORDERS, DateUnreadable, zone_named
from cxos.importers.mapping import (
    BAD_DATE_ERROR,
    BAD_DATE_IMPORT_TIME,
    FIELDS,
    Profile,
    fit_to_header,
    guess_mapping,
)
from cxos.inputs import storable_field
from cxos.models import ImportProfile, saved_id
from cxos.store.audit import add_created, apply_changes, editing, record_event, stale_write, versioned_write
from cxos.store.store import Store
from cxos.vocabulary import EventAction, EventEntity, Source

GENERIC = "Generic CSV"
ZENDESK = "Zendesk tickets"
SLACK = "Slack channel export"
# Table kinds a "csv" profile reads: a workbook or a sheet holds the same columns as the tool's CSV.
SPREADSHEET_KINDS = ("csv", "xlsx", "google_sheet")


def _tool(name: str, kind: str, columns: list[tuple[str, str]], **options: Any) -> Profile:
    """A built-in profile: (column, field) pairs, a tool's other spellings of a field after its first one."""
    return Profile(name, kind, dict(columns), built_in=True, **options)


# Where each profile's column names were checked (README, "Importing a tool's export", shows this table):
# "verified" — the vendor's own documentation names these columns; "partly verified" — some of them (the
# comment above each profile says which); "unverified" — no documentation could be found here, the names are
# as the export is commonly written and a file that spells them otherwise is mapped by hand in the wizard.
VERIFIED = "verified"
PARTLY = "partly verified"
UNVERIFIED = "unverified"
NOT_A_TOOL = "n/a"
CHECKED: dict[str, tuple[str, str]] = {
    ZENDESK: (
        UNVERIFIED,
        "support.zendesk.com/hc/en-us/articles/4408886165402 (the CSV export exists; its column list was not "
        "readable here)",
    ),
    "Zendesk tickets (JSON export)": (
        VERIFIED,
        "developer.zendesk.com incremental export (the ticket object of the JSON export)",
    ),
    "Intercom conversations": (
        PARTLY,
        "intercom.com/help/en/articles/7022438 (conversations dataset: `Conversation started at`)",
    ),
    "Freshdesk tickets": (UNVERIFIED, "none found (only API field names, which the CSV does not use)"),
    "HubSpot tickets": (
        PARTLY,
        "developers.hubspot.com CRM exports and tickets guides (internal property names); "
        "knowledge.hubspot.com default ticket properties (labels)",
    ),
    "Jira Service Management": (
        UNVERIFIED,
        "none found for the issue CSV (Atlassian's data pipeline schema is another export)",
    ),
    "Help Scout conversations": (
        PARTLY,
        "developer.helpscout.com Mailbox API conversation, source and webhook conversation objects",
    ),
    "Front messages": (
        VERIFIED,
        "dev.frontapp.com/reference/create-analytics-export: the message export's column names (read here "
        "as a restatement of that reference, on withone.ai)",
    ),
    "Discourse posts": (
        VERIFIED,
        "no help page found; Discourse's own source, app/jobs/regular/export_user_archive.rb (the header it writes)",
    ),
    "Discourse posts (JSON)": (
        VERIFIED,
        "Discourse's API response schema spec/requests/api/schemas/json/latest_posts_response.json "
        "(what docs.discourse.org renders)",
    ),
    SLACK: (
        PARTLY,
        "slack.com/help/articles/220556107 How to read Slack data exports (type, channel, user, text, ts)",
    ),
    "Typeform responses": (
        UNVERIFIED,
        "typeform.com/developers responses API (its response types; not the CSV's headers)",
    ),
    "SurveyMonkey responses": (UNVERIFIED, "none found"),
    GENERIC: (NOT_A_TOOL, "no tool: columns guessed from their names"),
}

# The column names each tool's export writes (CHECKED above says how far each was checked).
BUILT_IN: dict[str, Profile] = {
    p.name: p
    for p in [
        # Zendesk: the tickets CSV export (Admin Center › Account › Tools › Reports › Export, and a view's CSV)
        # and its XLSX. Unverified: the help article names the export, not its columns; "Id" (the full export)
        # and "Ticket ID" (a view or Explore report) are both kept.
        _tool(
            ZENDESK,
            "csv",
            [
                ("Id", "external_ref"),
                ("Ticket ID", "external_ref"),
                ("Subject", "title"),
                ("Description", "description"),
                ("Requester email", "reporter"),
                ("Requester", "reporter"),
                ("Organization", "account"),
                ("Created at", "created_at"),
                ("Requested", "created_at"),
                ("Priority", "severity"),
                ("Tags", "tags"),
                ("Group", "group"),
                ("Via", "channel"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="ZD-",
        ),
        # Zendesk's JSON export (one ticket per line, the Tickets API's fields): same ZD- references, so a
        # ticket imported from either export is the same signal. Verified: the incremental export's ticket
        # object has id, subject, description, requester_id, organization_id, created_at, priority, tags,
        # group_id and via.channel.
        _tool(
            "Zendesk tickets (JSON export)",
            "json",
            [
                ("id", "external_ref"),
                ("subject", "title"),
                ("description", "description"),
                ("requester_id", "reporter"),
                ("organization_id", "account"),
                ("created_at", "created_at"),
                ("priority", "severity"),
                ("tags", "tags"),
                ("group_id", "group"),
                ("via.channel", "channel"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="ZD-",
        ),
        # Intercom's conversations export (Reports, the conversations dataset). Partly verified: its
        # timestamp attribute is "Conversation started at"; the other headers are unverified.
        _tool(
            "Intercom conversations",
            "csv",
            [
                ("Conversation ID", "external_ref"),
                ("Title or first message", "message"),
                ("Company name", "account"),
                ("User email", "reporter"),
                ("Conversation started at", "created_at"),
                ("Created at", "created_at"),
                ("Conversation tags", "tags"),
                ("Team currently assigned", "group"),
                ("Channel", "channel"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="INTERCOM-",
        ),
        # Freshdesk's ticket export: its "Source" is the channel (Email, Portal, Phone, Chat), not ours.
        # Unverified: no page listing the export's headers was found.
        _tool(
            "Freshdesk tickets",
            "csv",
            [
                ("Ticket ID", "external_ref"),
                ("Subject", "title"),
                ("Description", "description"),
                ("Email", "reporter"),
                ("Full name", "reporter"),
                ("Company Name", "account"),
                ("Company", "account"),
                ("Created time", "created_at"),
                ("Priority", "severity"),
                ("Tags", "tags"),
                ("Group", "group"),
                ("Source", "channel"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="FD-",
        ),
        # HubSpot's tickets export (CRM › Tickets › Export): property labels as headers, or the internal
        # property names when the export asks for internal values (the Exports API documents that option).
        # Partly verified: the internal names (hs_object_id, subject, content, createdate, hs_pipeline,
        # hs_ticket_priority, hs_ticket_category, source_type) are the developer docs'; the labels are
        # unverified. The associated contact and company have no internal property name on a ticket.
        _tool(
            "HubSpot tickets",
            "csv",
            [
                ("Ticket ID", "external_ref"),
                ("hs_object_id", "external_ref"),
                ("Ticket name", "title"),
                ("subject", "title"),
                ("Ticket description", "description"),
                ("content", "description"),
                ("Associated Contact", "reporter"),
                ("Associated Company", "account"),
                ("Create date", "created_at"),
                ("createdate", "created_at"),
                ("Priority", "severity"),
                ("hs_ticket_priority", "severity"),
                ("Category", "tags"),
                ("hs_ticket_category", "tags"),
                ("Pipeline", "group"),
                ("hs_pipeline", "group"),
                ("Source", "channel"),
                ("source_type", "channel"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="HUBSPOT-",
        ),
        # Jira (Service Management) issue CSV export; its dates look like 01/Oct/26 9:15 AM.
        # Unverified: no page listing the issue CSV's headers was found.
        _tool(
            "Jira Service Management",
            "csv",
            [
                ("Issue key", "external_ref"),
                ("Summary", "title"),
                ("Description", "description"),
                ("Reporter", "reporter"),
                ("Custom field (Organizations)", "account"),
                ("Created", "created_at"),
                ("Priority", "severity"),
                ("Labels", "tags"),
                ("Custom field (Request Type)", "group"),
                ("Component/s", "group"),
                ("Custom field (Source)", "channel"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="JIRA-",
        ),
        # Help Scout's conversations as the Mailbox API lists them ({"_embedded": {"conversations": [...]}}),
        # and its webhooks' conversation object. Partly verified: number (the one shown in the app), subject,
        # preview, createdAt, mailboxId, source.type and type (email, chat, phone) are the developer docs';
        # customerEmail is the listed conversation's, customer.email and mailbox.id the webhook's.
        # primaryCustomer.email and primaryCustomer.company are unverified (the Mailbox API 2.0 list's fields
        # were not readable here; no customer object shown names a company).
        _tool(
            "Help Scout conversations",
            "json",
            [
                ("number", "external_ref"),
                ("subject", "title"),
                ("preview", "description"),
                ("primaryCustomer.email", "reporter"),
                ("customerEmail", "reporter"),
                ("customer.email", "reporter"),
                ("primaryCustomer.company", "account"),
                ("createdAt", "created_at"),
                ("tags", "tags"),
                ("mailboxId", "group"),
                ("mailbox.id", "group"),
                ("source.type", "channel"),
                ("type", "channel"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="HELPSCOUT-",
        ),
        # Front's analytics export of messages (one row per message: a conversation's first row stands for it).
        # Verified: the columns are the message export's column names in Front's API reference. Its "Segment"
        # is the number of the conversation's segment, not a channel (the export names no channel).
        _tool(
            "Front messages",
            "csv",
            [
                ("Conversation ID", "external_ref"),
                ("Subject", "title"),
                ("Extract", "description"),
                ("Contact handle", "reporter"),
                ("Contact name", "reporter"),
                ("Account names", "account"),
                ("Message date", "created_at"),
                ("Tags", "tags"),
                ("Inbox", "group"),
                ("Inbox at activity time", "group"),
            ],
            default_source=Source.TICKET.value,
            ref_prefix="FRONT-",
        ),
        # Discourse's user archive (Preferences › Download all, user_archive.csv). Verified against the code
        # that writes it (Discourse's export_user_archive job): topic_title, categories (parent|child),
        # is_pm, post_raw, post_cooked, like_count, reply_count, url, created_at (ISO 8601). It is one
        # person's own posts, so it names no author: no reporter column.
        _tool(
            "Discourse posts",
            "csv",
            [
                ("url", "external_ref"),
                ("topic_title", "title"),
                ("post_raw", "description"),
                ("created_at", "created_at"),
                ("categories", "group"),
            ],
            default_source=Source.COMMUNITY.value,
        ),
        # Discourse's posts API (/posts.json: {"latest_posts": [...]}). Verified against the API's response
        # schema (the one docs.discourse.org shows): id, username, created_at, raw, topic_title, category_id.
        _tool(
            "Discourse posts (JSON)",
            "json",
            [
                ("id", "external_ref"),
                ("topic_title", "title"),
                ("raw", "description"),
                ("username", "reporter"),
                ("created_at", "created_at"),
                ("category_id", "group"),
            ],
            default_source=Source.COMMUNITY.value,
            ref_prefix="DISCOURSE-",
        ),
        # Slack's export: a folder per channel, a JSON list of messages per day. Partly verified: each message has
        # type, user, text and ts (the help article); user_name is the reader's, from user_profile.real_name,
        # and the article lists no permalink (the reference falls back to ts).
        _tool(
            SLACK,
            "slack_json",
            [
                ("text", "message"),
                ("user_name", "reporter"),
                ("permalink", "external_ref"),
                ("ts", "created_at"),
            ],
            default_source=Source.SLACK.value,
            ref_prefix="SLACK-",
            skip_replies=True,
        ),
        # Typeform's responses CSV: "#" is the response token; the answers are the form's own questions.
        # Unverified: the responses API's types (started, partial, completed) match "Response Type", but no page
        # listing the CSV's headers was found.
        _tool(
            "Typeform responses",
            "csv",
            [
                ("#", "external_ref"),
                ("Submit Date (UTC)", "created_at"),
                ("Tags", "tags"),
                ("Response Type", "channel"),
            ],
            default_source=Source.SURVEY.value,
            ref_prefix="TYPEFORM-",
            free_text=True,
        ),
        # SurveyMonkey's responses CSV: US dates (month first) unless a value says otherwise. Unverified.
        _tool(
            "SurveyMonkey responses",
            "csv",
            [
                ("Respondent ID", "external_ref"),
                ("Email Address", "reporter"),
                ("Custom Data 1", "account"),
                ("End Date", "created_at"),
                ("Start Date", "created_at"),
                ("Collector ID", "channel"),
            ],
            default_source=Source.SURVEY.value,
            ref_prefix="SURVEYMONKEY-",
            date_default=MONTH_FIRST,
            free_text=True,
        ),
        Profile(GENERIC, "csv", {}, built_in=True),
    ]
}
# Below this share of a profile's fields found in the header, the generic profile (guessed columns) is offered.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Detection:
    """The profile a header looks like, fitted to it, and how sure: the share of its fields the file has."""

    profile: Profile
    confidence: float
    matched: int
    fields: int

    def describe(self) -> str:
        if self.profile.name == GENERIC:
            return "no tool's export matches this header: columns guessed from their names"
        return (
            f"looks like the {self.profile.name} export: {self.matched} of its {self.fields} fields found "
            f"({self.confidence:.0%} sure)"
        )


def detect_profile(header: list[str], kind: str, sample: list[dict[str, str]] | None = None) -> Detection:
    """The built-in profile this header matches best (by the share of its fields present, then how many)."""
    if kind == "slack_json":
        return Detection(BUILT_IN[SLACK], 1.0, len(BUILT_IN[SLACK].mapping), len(BUILT_IN[SLACK].mapping))
    scored = profile_scores(header, kind)
    if scored:
        share, found_count, best, field_count = scored[0]
        if share >= MIN_CONFIDENCE and found_count >= 3:
            return Detection(fit_to_header(best, header, sample), round(share, 2), found_count, field_count)
    guessed = replace(BUILT_IN[GENERIC], mapping=guess_mapping(header))
    return Detection(guessed, 0.0, len(guessed.mapping), len(FIELDS))


def profile_scores(header: list[str], kind: str) -> list[tuple[float, int, Profile, int]]:
    """Each built-in profile of this kind of table as (share of its fields found, fields found, profile, its
    fields), best first: the share is halved when the header lacks the tool's reference."""
    profile_kind = "json" if kind == "json" else "csv"  # a "csv" profile reads every SPREADSHEET_KINDS table
    scored = []
    for profile in BUILT_IN.values():
        if not profile.mapping or profile.kind != profile_kind:
            continue
        fields = set(profile.mapping.values())
        fitted = fit_to_header(replace(profile, free_text=False), header)
        found = set(fitted.mapping.values())
        share = len(found) / len(fields)
        # The reference is what dedupes a re-import: a header without the tool's key is a weak match.
        if "external_ref" in fields and "external_ref" not in found:
            share *= 0.5
        scored.append((share, len(found), profile, len(fields)))
    # sorted() is stable: of two equal scores the profile listed first in BUILT_IN wins, as max() chose before.
    return sorted(scored, key=lambda s: (-s[0], -s[1]))


def suggest_profile(header: list[str], kind: str, sample: list[dict[str, str]] | None = None) -> Profile:
    """The detected profile, fitted to the header (see detect_profile)."""
    return detect_profile(header, kind, sample).profile


def list_profiles(store: Store) -> list[Profile]:
    """Built-in profiles first, then the saved ones by name."""
    with store.read() as session:
        saved = session.exec(select(ImportProfile).order_by(ImportProfile.name)).all()
    return [*BUILT_IN.values(), *(_profile(row) for row in saved)]


def get_profile(store: Store, name: str) -> Profile:
    with store.read() as session:
        profile = profile_in(session, name)
    if profile is None:
        known = ", ".join(p.name for p in list_profiles(store))
        raise NotFound(f"No import profile is called {name!r}. Known profiles: {known}.")
    return profile


def profile_in(session: Session, name: str) -> Profile | None:
    """The built-in or saved profile of this name, read in the caller's session (a webhook's mapping)."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    row = session.exec(select(ImportProfile).where(ImportProfile.name == name)).first()
    return None if row is None else _profile(row)


class _StoredMapping(TypedDict):
    """A profile's columns besides its name, as the import_profile table stores them (JSON as text)."""

    kind: str
    mapping: str
    options: str


def save_profile(store: Store, *, profile: Profile, actor: Actor) -> Profile:
    """Save a mapping under its name: new, or an update of the saved one at `profile.version` (stale is refused)."""
    require(actor, "import_signals")
    name = storable_field("name", profile.name, name=True).strip()
    # Column headers come from a file someone exported: cleaned like any text before they are stored.
    profile = replace(
        profile,
        mapping=storable_field("mapping", profile.mapping),
        ref_prefix=storable_field("ref_prefix", profile.ref_prefix),
    )
    problems = {}
    if not name or len(name) > 80:
        problems["name"] = "give the profile a name (at most 80 characters)"
    elif name in BUILT_IN:
        problems["name"] = "built-in profiles cannot be overwritten: choose another name"
    if set(profile.mapping.values()) - set(FIELDS):
        problems["mapping"] = (
            f"unknown fields: {', '.join(sorted(set(profile.mapping.values()) - set(FIELDS)))}"
        )
    try:
        zone_named(profile.timezone)
    except DateUnreadable as error:
        problems["timezone"] = str(error)
    if problems:
        raise ValidationFailed(problems)
    values: _StoredMapping = {
        "kind": profile.kind,
        "mapping": json.dumps(profile.mapping, ensure_ascii=False),
        "options": json.dumps(profile.options(), ensure_ascii=False),
    }
    if profile.id is not None:
        name_taken = ValidationFailed(
            {"name": f"a profile named {name!r} exists already: choose another name"}
        )
        try:
            with editing(store, ImportProfile, profile.id, profile.version or 0, actor) as (session, row):
                other = session.exec(
                    select(ImportProfile.id).where(ImportProfile.name == name, ImportProfile.id != profile.id)
                ).first()
                if other is not None:
                    raise name_taken
                apply_changes(session, row, actor, {"name": name, **values})
                saved = _profile(row)
        except IntegrityError:  # renamed to a name another save took at the same moment (the unique index)
            raise name_taken from None
        return saved
    try:
        return _create_profile(store, name, values, actor)
    except IntegrityError:
        # Two first saves of one name at once (PostgreSQL): the other one won; this one is refused by name.
        return _create_profile(store, name, values, actor)


def _create_profile(store: Store, name: str, values: _StoredMapping, actor: Actor) -> Profile:
    with versioned_write(store, actor) as session:
        taken = session.exec(select(ImportProfile).where(ImportProfile.name == name)).first()
        if taken is not None:
            # Someone saved this name after the person started from a blank one: theirs stays.
            raise stale_write(taken, what=f"The profile {name!r}")
        row = ImportProfile(name=name, **values, created_by=actor.name, updated_by=actor.name)
        add_created(
            session,
            row,
            actor=actor,
            entity=EventEntity.IMPORT_PROFILE,
            to_value=name,
        )
        return _profile(row)


def delete_profile(store: Store, *, profile_id: int, expected_version: int, actor: Actor) -> None:
    require(actor, "import_signals")
    with editing(store, ImportProfile, profile_id, expected_version, actor) as (session, row):
        record_event(
            session,
            actor=actor,
            entity=EventEntity.IMPORT_PROFILE,
            entity_id=saved_id(row),
            action=EventAction.DELETED,
            from_value=row.name,
        )
        session.delete(row)


def _profile(row: ImportProfile) -> Profile:
    options = json.loads(row.options or "{}")
    return Profile(
        row.name,
        row.kind,
        json.loads(row.mapping or "{}"),
        default_source=options.get("default_source"),
        default_touchpoint_id=options.get("default_touchpoint_id"),
        ref_prefix=options.get("ref_prefix") or "",
        skip_replies=bool(options.get("skip_replies")),
        date_order=options.get("date_order") if options.get("date_order") in ORDERS else None,
        date_default=MONTH_FIRST if options.get("date_default") == MONTH_FIRST else DAY_FIRST,
        timezone=options.get("timezone") or "UTC",
        bad_dates=BAD_DATE_IMPORT_TIME
        if options.get("bad_dates") == BAD_DATE_IMPORT_TIME
        else BAD_DATE_ERROR,
        free_text=bool(options.get("free_text")),
        id=row.id,
        version=row.version,
    )
