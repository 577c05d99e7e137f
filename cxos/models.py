"""The stored tables of CX OS, one SQLModel class per entity of the vocabulary (see shared/DESIGN.md).

Datetimes are timezone-aware UTC throughout (SQLModel's UTCDateTime refuses naive ones). Enumerated fields are stored as plain
strings and validated in `cxos.inputs`, so adding a source or status never needs a migration.
Every mutable table carries `version`, `updated_at` and `updated_by` for stale-write checks.
"""

from datetime import date, datetime
from typing import Protocol, cast

from sqlalchemy import Index, LargeBinary, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped
from sqlmodel import Field, SQLModel, col

from cxos.clock import utcnow
from cxos.vocabulary import Status

# Named constraints, so later batch migrations on SQLite can find and alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# A signal's (source, external reference) is unique where it has one: the database refuses a second copy.
SIGNAL_REFERENCE_KEY = "uq_signal_source_external_ref"


class Versioned(SQLModel):
    """Who changed a row last and how many times: the basis of the stale-write check."""

    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = ""
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str = ""
    version: int = 1


class Team(Versioned, table=True):
    __tablename__ = "team"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    description: str = ""
    archived: bool = False


class Stage(Versioned, table=True):
    __tablename__ = "stage"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    position: int = 0
    description: str = ""
    archived: bool = False


class Touchpoint(Versioned, table=True):
    __tablename__ = "touchpoint"
    __table_args__ = (UniqueConstraint("stage_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    name: str
    position: int = 0
    component: str  # vocabulary.Component
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    tool: str = ""
    description: str = ""
    archived: bool = False


class RootCauseLayer(SQLModel, table=True):
    """The configurable list of upstream root-cause layers."""

    __tablename__ = "root_cause_layer"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    position: int = 0
    archived: bool = False


class FailureMode(Versioned, table=True):
    __tablename__ = "failure_mode"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    upstream_cause: str = Field(default="", sa_type=Text)
    root_cause: str | None = None  # a RootCauseLayer name
    owner_team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id")
    status: str = "candidate"  # candidate | accepted | merged
    merged_into_id: int | None = Field(default=None, foreign_key="failure_mode.id")


class Signal(Versioned, table=True):
    __tablename__ = "signal"
    __table_args__ = (
        Index("ix_signal_created_id", "created_at", "id"),
        Index("ix_signal_status_owner", "status", "owner_team_id"),
        # A status filter pages newest-first without sorting every match (1M rows: 1 s → <1 ms).
        Index("ix_signal_status_created", "status", "created_at", "id"),
        # Failure-mode figures read only this index (1M signals: 1.6 s → 0.4 s).
        Index("ix_signal_mode_created", "failure_mode_id", "created_at", "account", "arr"),
        # Stale items: open signals by last change (1M: 0.5 s → 10 ms).
        Index("ix_signal_status_updated", "status", "updated_at"),
        # One signal per ticket of a source, however many imports or webhooks race (migration s005).
        Index(
            SIGNAL_REFERENCE_KEY,
            "source",
            "external_ref",
            unique=True,
            sqlite_where=text("external_ref IS NOT NULL"),
            postgresql_where=text("external_ref IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str
    description: str = Field(default="", sa_type=Text)
    source: str = Field(index=True)  # vocabulary.Source
    touchpoint_id: int = Field(foreign_key="touchpoint.id", index=True)
    account: str | None = Field(default=None, index=True)
    arr: int | None = None  # the account's annual recurring revenue in whole dollars, when known
    severity: str = "medium"  # vocabulary.Severity
    reporter: str | None = None  # the customer contact who reported it (loop notices go here)
    external_ref: str | None = Field(default=None, index=True)  # ticket / thread URL or id
    driver_effort: bool = False
    driver_emotion: bool = False
    driver_answer_ai: bool = False
    driver_answer_human: bool = False
    driver_product: bool = False
    driver_policy: bool = False
    # Why each driver is set (cxos/signals/drivers.py): the phrases that triggered the ones detected from the
    # text, and the drivers a person set by hand ({field: true/false}), which the detector never overrides.
    driver_evidence: str | None = Field(default=None, sa_type=Text)  # JSON {driver field: [phrases]}
    driver_labels: str | None = Field(default=None, sa_type=Text)  # JSON {driver field: bool}
    status: str = Field(default=Status.NEW.value, index=True)  # vocabulary.Status
    status_reason: str | None = None  # why won't fix / what info is needed
    owner_team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    routed_by: str | None = None  # vocabulary.RoutedBy: "rule:<id>", "model", or "person:<name>"
    routed_at: datetime | None = None
    root_cause: str | None = None
    failure_mode_id: int | None = Field(default=None, foreign_key="failure_mode.id", index=True)
    duplicate_of_id: int | None = Field(default=None, foreign_key="signal.id")
    # One per quick-entry form render: a double click or a rerun re-sends the same token.
    client_token: str | None = Field(default=None, unique=True)


class Fix(Versioned, table=True):
    __tablename__ = "fix"
    id: int | None = Field(default=None, primary_key=True)
    failure_mode_id: int = Field(foreign_key="failure_mode.id", index=True)
    title: str
    owner_team_id: int | None = Field(default=None, foreign_key="team.id")
    status: str = "planned"  # planned | in_progress | shipped | verified
    due_on: date | None = None
    what_changed: str = Field(default="", sa_type=Text)  # customer-facing, required to ship
    shipped_at: datetime | None = None
    verified_at: datetime | None = None


class Rule(Versioned, table=True):
    """An ordered if/then routing rule; conditions are data (JSON), never code."""

    __tablename__ = "rule"
    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(default=0, index=True)
    name: str
    enabled: bool = True
    match: str = "all"  # all | any
    conditions: str = Field(default="[]", sa_type=Text)  # JSON list of {field, op, value}
    owner_team_id: int | None = Field(default=None, foreign_key="team.id")
    root_cause: str | None = None


class CouncilSession(Versioned, table=True):
    __tablename__ = "council_session"
    id: int | None = Field(default=None, primary_key=True)
    held_on: date
    status: str = "open"  # open | closed
    attendees: str = Field(default="[]", sa_type=Text)  # JSON list of names
    decisions: str = Field(default="[]", sa_type=Text)  # JSON list of {text, owner, due}
    minutes: str = Field(default="", sa_type=Text)
    closed_at: datetime | None = None
    # Where the meeting is, shared by every screen in the room (cxos/council/room.py): a pointer, not content,
    # so moving it bumps no version and refuses nobody's edit.
    current_step: int = 1
    step_started_at: datetime | None = None
    presenter: str = ""  # who drives the shared screen: the person whose Next / Back moves the room


class CouncilAction(Versioned, table=True):
    """An action the council decided: what, who owns it, by when, and what became of it since."""

    __tablename__ = "council_action"
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="council_session.id", index=True)
    text: str = Field(sa_type=Text)
    owner: str = ""  # a person or team name, as the room said it
    owner_team_id: int | None = Field(default=None, foreign_key="team.id")
    due_on: date | None = None
    status: str = Field(default="open", index=True)  # open | done | dropped
    signal_id: int | None = Field(default=None, foreign_key="signal.id")
    failure_mode_id: int | None = Field(default=None, foreign_key="failure_mode.id")
    fix_id: int | None = Field(default=None, foreign_key="fix.id")
    closed_at: datetime | None = None


class LoopNotice(Versioned, table=True):
    """'You reported X, we fixed it, here's what changed' — one per customer per fix."""

    __tablename__ = "loop_notice"
    __table_args__ = (UniqueConstraint("fix_id", "recipient"),)
    id: int | None = Field(default=None, primary_key=True)
    fix_id: int = Field(foreign_key="fix.id", index=True)
    signal_id: int | None = Field(default=None, foreign_key="signal.id")
    recipient: str
    account: str | None = None
    body: str = Field(default="", sa_type=Text)
    status: str = "drafted"  # drafted | sent
    sent_by: str | None = None
    sent_at: datetime | None = None


class MetricValue(SQLModel, table=True):
    """An imported outside figure (ticket volume, deflection, CSAT) for one period."""

    __tablename__ = "metric_value"
    __table_args__ = (UniqueConstraint("metric", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    metric: str
    period: date
    value: float
    imported_at: datetime = Field(default_factory=utcnow)
    imported_by: str = ""


class SelfAssessment(SQLModel, table=True):
    """One answer to a component's self-assessment question, rated 1-5; history is kept."""

    __tablename__ = "self_assessment"
    id: int | None = Field(default=None, primary_key=True)
    component: str
    question: str
    rating: int
    note: str = ""
    assessed_at: datetime = Field(default_factory=utcnow)
    assessed_by: str = ""


class ImportProfile(Versioned, table=True):
    """A saved column mapping for an export format (Zendesk, Intercom, Slack, a team's own CSV or sheet)."""

    __tablename__ = "import_profile"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    kind: str = "csv"  # csv | xlsx | slack_json | sheet
    mapping: str = Field(default="{}", sa_type=Text)  # JSON: source column → signal field
    options: str = Field(default="{}", sa_type=Text)  # JSON: delimiter, encoding, defaults, date format
    built_in: bool = False


class Setting(Versioned, table=True):
    """A team-editable setting (notice template, cost per contact, ...); secrets never go here."""

    __tablename__ = "setting"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    value: str = Field(default="", sa_type=Text)


class Event(SQLModel, table=True):
    """Append-only history: one row per change (or refused change), written in the change's transaction."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_entity", "entity", "entity_id", "id"),
        # Owner and status histories across all signals (bounces, routing accuracy, backlogs).
        Index("ix_event_field_entity", "field", "entity", "entity_id", "at"),
        Index("ix_event_field_at", "field", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str
    entity: str  # vocabulary.EventEntity, the table's name: signal, team, touchpoint, ...
    entity_id: int
    action: str  # vocabulary.EventAction: created, updated, status, owner, linked, refused, ...
    field: str | None = None
    from_value: str | None = Field(default=None, sa_type=Text)
    to_value: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)


class ModelRecordFields(SQLModel):
    """The columns of one stored training of a text model (the owner model, the placement model)."""

    state: str  # vocabulary.ModelState
    requested_by: str = ""
    requested_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    trained_at: datetime | None = None
    fingerprint: str = ""  # of the rows it learned from (cxos/routing/model_training.py)
    confirmed_routes: int = 0  # the rows it could learn from (for the placement model: placed signals)
    rows: int = 0  # trained on (a sample when there are more than the training cap)
    teams: int = 0  # the labels it learned (for the placement model: touchpoints)
    training_seconds: float | None = None
    metrics: str = Field(default="", sa_type=Text)  # JSON: holdout accuracy, coverage and precision
    note: str = Field(default="", sa_type=Text)
    model: bytes | None = Field(default=None, sa_type=LargeBinary)  # zlib-compressed pickle


class OwnerModelRecord(ModelRecordFields, table=True):
    """One training of the owner model: asked for, under way, or done with the serialized model.

    Stored in the database so every app process and replica shares one model; derived data, so the Google
    Sheets backend keeps it in its working copy only (see cxos/store/sheets/layout.py).
    """

    __tablename__ = "owner_model"
    __table_args__ = (Index("ix_owner_model_state", "state", "id"), {"info": {"mirrored": False}})
    id: int | None = Field(default=None, primary_key=True)  # the model's version


class PlacementModelRecord(ModelRecordFields, table=True):
    """One training of the placement model (text → touchpoint, cxos/importers/placement_model.py), kept the
    same way as the owner model's."""

    __tablename__ = "placement_model"
    __table_args__ = (Index("ix_placement_model_state", "state", "id"), {"info": {"mirrored": False}})
    id: int | None = Field(default=None, primary_key=True)  # the model's version


class UnplacedRow(Versioned, table=True):
    """An imported row that neither a column, a placement rule nor a confident model placed at a touchpoint.

    It is held here, stored and listed, until the council places it; placing it stores its signal (through
    cxos/signals/writes.py) and keeps this row with the signal's id, so nothing is ever deleted.
    """

    __tablename__ = "unplaced_row"
    __table_args__ = (Index("ix_unplaced_row_waiting", "placed_signal_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    import_label: str = ""  # the file (or sheet) it came from
    row_number: int = 0  # the file's own row number
    title: str
    source: str  # vocabulary.Source
    external_ref: str | None = Field(default=None, index=True)  # dedupe: a re-run of the file holds it once
    fields: str = Field(default="{}", sa_type=Text)  # JSON: the signal's fields, all but its touchpoint
    reported_at: datetime  # the signal's created_at, read from the file
    guess_touchpoint_id: int | None = Field(default=None, foreign_key="touchpoint.id")
    guess_confidence: float | None = None  # the placement model's, for its guess
    placed_signal_id: int | None = Field(default=None, foreign_key="signal.id")


class StoredRow(Protocol):
    """Any table row: it has an id once it is flushed."""

    @property
    def id(self) -> int | None: ...


def saved_id(row: StoredRow) -> int:
    """A stored row's primary key. SQLModel types `id` as optional for the moment before the INSERT; a row read
    back or flushed always has one, so asking a row that was never flushed is a bug, and it says so here."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush the session before asking for it")
    return row.id


def id_col(column: int | None) -> Mapped[int]:
    """`sqlmodel.col()` for a table's `id` in a query: a stored row's id is never NULL, though the attribute is
    typed optional (it is None on a new row until the INSERT)."""
    return cast(Mapped[int], col(column))


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for bulk statements and column lists."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models, undeclared
    return table


class DataVersion(SQLModel, table=True):
    """A token per table, replaced in the transaction of every write to it: loaders are keyed by it, so a write
    refreshes what it changed in every process and replica, and nothing else."""

    __tablename__ = "data_version"
    name: str = Field(primary_key=True)  # a table's name
    token: str


class OwnerHistory(SQLModel, table=True):
    """Per signal, facts of its owner events kept in each write's transaction: its first route and whether the
    council kept it, and how many owner events it has (a summary; `python -m cxos rebuild-summaries`)."""

    __tablename__ = "owner_history"
    __table_args__ = (
        Index("ix_owner_history_routed", "first_routed_at", "decider", "first_team", "kept"),
        Index("ix_owner_history_owner_events", "owner_events"),
    )
    signal_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    owner_events: int  # every owner event, to a team or back to triage: bounces = owner_events − 1
    first_route_id: int | None = None  # the first owner event with a team
    first_team: str | None = None  # that event's team id, as the event stores it
    first_routed_at: datetime | None = None
    decider: str | None = None  # rule:<id> | model | person (keys of RoutingAccuracy.by_decider)
    kept: bool | None = None  # no later owner event names another team or sends it back to triage


class TeamBacklog(SQLModel, table=True):
    """Per team, how many signals wait on it now (owned, not fixed or closed), kept in each write's transaction
    (a summary; `python -m cxos rebuild-summaries`)."""

    __tablename__ = "team_backlog"
    team_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    open_signals: int


class HandoffDay(SQLModel, table=True):
    """Per UTC day, the owner moves (kind "owner": to, from) and status moves (kind "status": from, to, the
    owner at that moment) of signals, counted; kept in each write's transaction, so a window of days reads a
    few rows per day whatever the history holds. '' and 0 stand for "none" (primary key columns)."""

    __tablename__ = "handoff_day"
    day: date = Field(primary_key=True)
    kind: str = Field(primary_key=True)  # owner | status
    from_value: str = Field(primary_key=True)
    to_value: str = Field(primary_key=True)
    team_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    n: int


class IntegrationToken(Versioned, table=True):
    """A bearer token one integration sends to the intake API: only its SHA-256 is stored, never the token.

    Not mirrored to a Google Sheet: a sheet's readers must not get even the hashes of the keys to the store.
    """

    __tablename__ = "integration_token"
    __table_args__ = ({"info": {"mirrored": False}},)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)  # the integration, and the actor of every event it causes
    scope: str  # vocabulary.TokenScope
    token_hash: str = Field(unique=True)  # hex SHA-256 of the token
    hint: str = ""  # the token's last characters, so an admin can tell two tokens apart
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str = ""


class InboxItem(Versioned, table=True):
    """One accepted intake request, stored raw before it is acknowledged, then turned into a signal.

    A payload that fails to map stays here with its reason until someone fixes the cause and retries it.
    """

    __tablename__ = "intake_inbox"
    __table_args__ = (
        # A retried request (same token, same Idempotency-Key) finds the first one instead of a second row.
        UniqueConstraint("token_id", "idempotency_key"),
        Index("ix_intake_inbox_state", "state", "id"),
        {"info": {"mirrored": False}},
    )
    id: int | None = Field(default=None, primary_key=True)
    channel: str  # vocabulary.IntakeChannel: which door the request came in by
    token_id: int | None = Field(default=None, foreign_key="integration_token.id")
    idempotency_key: str | None = None
    profile: str = ""  # generic JSON: the import profile that maps it (fixed there, then retried)
    payload: str = Field(sa_type=Text)  # the request body exactly as received (UTF-8)
    state: str  # vocabulary.InboxState
    reason: str = Field(default="", sa_type=Text)  # why it failed to map, in words an admin can act on
    attempts: int = 0
    signal_id: int | None = None  # the signal it became


class TeamChannel(Versioned, table=True):
    """Where a team hears about its work: a Slack incoming-webhook URL and/or an e-mail address."""

    __tablename__ = "team_channel"
    __table_args__ = ({"info": {"mirrored": False}},)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", unique=True)
    slack_webhook_url: str = ""
    email: str = ""


class OutboxNotice(Versioned, table=True):
    """One notice to a team, stored in the transaction that caused it, sent (once) by the outbox sender."""

    __tablename__ = "notice_outbox"
    __table_args__ = (
        Index("ix_notice_outbox_due", "sent_at", "next_attempt_at"),
        {"info": {"mirrored": False}},
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    channel: str  # vocabulary.NoticeChannel
    kind: str  # vocabulary.NoticeKind
    dedupe_key: str = Field(unique=True)  # the same cause twice is one row, so one message
    batch: str | None = Field(
        default=None, index=True
    )  # rows sent as one message (routed signals, per minute)
    ref_id: int | None = None  # the signal, failure mode or fix it is about
    body: str = Field(
        default="", sa_type=Text
    )  # plain text; routed signals' is written when their batch goes
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str = Field(default="", sa_type=Text)
    claim: str | None = None  # the sender pass holding it while it sends
    claimed_until: datetime | None = None
    sent_at: datetime | None = None
