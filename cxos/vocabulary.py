"""The fixed vocabulary of CX OS: signal sources, severities, lifecycle states, components, drivers, roles,
and the words of the event history (entities, actions, who routed a signal)."""

from enum import StrEnum


def plural(count: int, noun: str) -> str:
    """'1 signal', '3,000 signals': counts as people read them."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"


# How the forms label each signal field; refusals name a field this way, never by its column name.
FIELD_LABELS = {
    "title": "What happened",
    "description": "Details",
    "source": "Source",
    "touchpoint_id": "Where in the journey",
    "account": "Account",
    "arr": "ARR",
    "severity": "Severity",
    "reporter": "Reported by",
    "external_ref": "Link to ticket or thread",
    "status": "Status",
    "status_reason": "Reason",
    "owner_team_id": "Owner",
    "failure_mode_id": "Failure mode",
    "failure_mode": "Failure mode",
    "duplicate_of_id": "Duplicate of signal #",
}


def field_label(field: str) -> str:
    """A field as a person reads it: the form's label, or the column name in words ('to_touchpoint_id' → 'To touchpoint')."""
    return FIELD_LABELS.get(field) or field.removesuffix("_id").replace("_", " ").capitalize()


def known(enum: type[StrEnum], value: object) -> bool:
    """Whether `value` is one of the enum's values (Python 3.11's `in` raises on a non-member string)."""
    return value in enum._value2member_map_


def label(enum: "type[Source | Severity | Status | Component]", value: str) -> str:
    """The display label of a stored value; a value the code no longer knows is shown as stored."""
    return enum(value).label if known(enum, value) else value


class Source(StrEnum):
    TICKET = "ticket"
    SLACK = "slack"
    COMMUNITY = "community"
    ONBOARDING_DROPOFF = "onboarding_dropoff"
    FAILED_SEARCH = "failed_search"
    AI_AGENT_MISS = "ai_agent_miss"
    CALL = "call"
    SURVEY = "survey"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS = {
    Source.TICKET: "Support ticket",
    Source.SLACK: "Slack",
    Source.COMMUNITY: "Community",
    Source.ONBOARDING_DROPOFF: "Onboarding drop-off",
    Source.FAILED_SEARCH: "Failed search",
    Source.AI_AGENT_MISS: "AI-agent miss",
    Source.CALL: "Call",
    Source.SURVEY: "Survey",
    Source.OTHER: "Other",
}


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def weight(self) -> int:
        """Used when friction is weighted by severity (heatmaps, council ranking)."""
        return {"low": 1, "medium": 2, "high": 3, "critical": 5}[self.value]


class Status(StrEnum):
    NEW = "new"
    ROUTED = "routed"
    LINKED = "linked"
    FIXING = "fixing"
    FIXED = "fixed"
    LOOP_CLOSED = "loop_closed"
    DUPLICATE = "duplicate"
    WONT_FIX = "wont_fix"
    NEEDS_INFO = "needs_info"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").replace("wont", "won't").capitalize()


class Component(StrEnum):
    """The six components of a CX operating system (from the method)."""

    ONBOARDING = "onboarding_activation"
    COMMUNITY = "community_peer_support"
    EDUCATION = "education_enablement"
    KNOWLEDGE = "knowledge_self_service"
    LIFECYCLE = "customer_marketing_lifecycle"
    INTELLIGENCE = "intelligence_orchestration"

    @property
    def label(self) -> str:
        return COMPONENT_LABELS[self]


COMPONENT_LABELS = {
    Component.ONBOARDING: "Onboarding & Activation",
    Component.COMMUNITY: "Community & Peer Support",
    Component.EDUCATION: "Education & Enablement",
    Component.KNOWLEDGE: "Knowledge & Self-Service",
    Component.LIFECYCLE: "Customer Marketing & Lifecycle",
    Component.INTELLIGENCE: "Intelligence & Orchestration",
}

# Per-conversation CX drivers (the CX Score post): each is a yes/no flag on a signal,
# stored as its own boolean column so rules and heatmaps can filter on it in SQL.
DRIVERS = {
    "driver_effort": "Customer effort",
    "driver_emotion": "Strong emotion",
    "driver_answer_ai": "Answer quality (AI)",
    "driver_answer_human": "Answer quality (human)",
    "driver_product": "Product feedback",
    "driver_policy": "Policy feedback",
}
# "Flagged for review": the drivers that say the conversation itself went badly, for QA and team leads to look at.
REVIEW_DRIVERS = ("driver_effort", "driver_emotion", "driver_answer_ai", "driver_answer_human")

DEFAULT_ROOT_CAUSE_LAYERS = [
    "Unclear product behaviour",
    "Weak knowledge architecture",
    "Broken routing",
    "Fragmented ownership",
    "Disconnected systems",
    "Policy",
]


class Role(StrEnum):
    VIEWER = "viewer"
    CONTRIBUTOR = "contributor"
    COUNCIL = "council"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def allows(self, needed: "Role") -> bool:
        return self.rank >= needed.rank


class EventEntity(StrEnum):
    """What an Event is about: the table of the row that changed (stored as the table's name)."""

    TEAM = "team"
    STAGE = "stage"
    TOUCHPOINT = "touchpoint"
    SIGNAL = "signal"
    FAILURE_MODE = "failure_mode"
    FIX = "fix"
    LOOP_NOTICE = "loop_notice"
    RULE = "rule"
    COUNCIL_SESSION = "council_session"
    COUNCIL_ACTION = "council_action"
    METRIC_VALUE = "metric_value"
    SELF_ASSESSMENT = "self_assessment"
    IMPORT_PROFILE = "import_profile"
    SETTING = "setting"
    UNPLACED_ROW = "unplaced_row"
    INTEGRATION_TOKEN = "integration_token"
    INTAKE_INBOX = "intake_inbox"


class EventAction(StrEnum):
    """What happened to the row, as the event history stores it."""

    CREATED = "created"
    UPDATED = "updated"  # one field edited (the event names it)
    OWNER = "owner"  # a signal's owner team set, changed or taken away
    STATUS = "status"
    CONFIRMED = "confirmed"  # the council agreed with the owner a rule or the model chose
    LINKED = "linked"
    UNLINKED = "unlinked"
    REFUSED = "refused"  # a change made against a stale copy, refused
    ACCEPTED = "accepted"
    MERGED = "merged"
    SPLIT = "split"
    UPDATE = "update"  # a fix owner's progress note
    DRAFTED = "drafted"
    SENT = "sent"
    MOVED = "moved"
    REORDERED = "reordered"
    ARCHIVED = "archived"
    RESTORED = "restored"
    REMOVED = "removed"
    DELETED = "deleted"
    IMPORTED = "imported"
    RATED = "rated"
    DECIDED = "decided"
    CLOSED = "closed"
    PLACED = "placed"  # an unplaced imported row given its touchpoint by the council
    REVOKED = "revoked"  # an integration token stops working
    RETRIED = "retried"  # an inbox item that failed to map is tried again


class Decider(StrEnum):
    """Who routed a signal to its owner: a routing rule, the owner model, or a person by hand."""

    RULE = "rule"
    MODEL = "model"
    PERSON = "person"

    @property
    def pattern(self) -> str:
        """A SQL LIKE pattern for the stored strings of this kind ('rule:%', 'model%', 'person:%')."""
        return f"{self.value}%" if self is Decider.MODEL else f"{self.value}:%"


class RoutedBy(str):
    """Who routed a signal, as stored in `signal.routed_by` and in its owner Event's note.

    The text is "rule:<id>", "model" (an event's note adds the confidence: "model:0.87") or "person:<name>".
    A RoutedBy is that very text (a `str`, so it is stored and compared as before); build one with `rule`,
    `model` or `person`, read one with `parse`, and ask it its `kind`.
    """

    __slots__ = ()

    @classmethod
    def rule(cls, rule_id: int | None) -> "RoutedBy":
        # None: a new draft rule being tried out (router.try_rule) is not stored yet, so it has no id.
        return cls(f"{Decider.RULE}:{rule_id}")

    @classmethod
    def model(cls, confidence: float | None = None) -> "RoutedBy":
        return cls(Decider.MODEL.value if confidence is None else f"{Decider.MODEL}:{confidence:.2f}")

    @classmethod
    def person(cls, name: str) -> "RoutedBy":
        return cls(f"{Decider.PERSON}:{name}")

    @classmethod
    def parse(cls, text: str | None) -> "RoutedBy | None":
        """The stored text as a RoutedBy; None for no text or a kind the code does not know."""
        return cls(text) if text and known(Decider, text.partition(":")[0]) else None

    @property
    def kind(self) -> Decider:
        return Decider(self.partition(":")[0])

    @property
    def detail(self) -> str:
        """The rule's id, the person's name, or the model's confidence ("" when there is none)."""
        return self.partition(":")[2]

    @property
    def rule_id(self) -> int | None:
        return int(self.detail) if self.kind is Decider.RULE and self.detail.isdigit() else None


class ModelState(StrEnum):
    """Where one training of the owner model stands (a row of the owner_model table)."""

    REQUESTED = "requested"  # someone asked for a retrain; the worker takes it on its next look
    TRAINING = "training"
    READY = "ready"  # trained and stored: predictions come from the newest ready row
    UNTRAINED = "untrained"  # too little confirmed history to learn from
    FAILED = "failed"


class TokenScope(StrEnum):
    """What an integration token lets its holder do through the intake API."""

    WRITE = "write"  # send signals (and read back the ones it sent)
    READ = "read"  # read signals only

    @property
    def label(self) -> str:
        return {"write": "Write signals", "read": "Read signals"}[self.value]


class IntakeChannel(StrEnum):
    """The door an intake request came in by."""

    API = "api"  # POST /api/v1/signals
    SLACK = "slack"  # the /friction slash command
    SLACK_SHORTCUT = "slack_shortcut"  # the "Log as friction" message shortcut
    ZENDESK = "zendesk"  # a Zendesk trigger's webhook
    INTERCOM = "intercom"  # an Intercom conversation webhook
    JSON = "json"  # any JSON, mapped by an import profile (a forum, a survey tool, an AI agent's misses)


class InboxState(StrEnum):
    """Where an inbox item is: waiting to become a signal, a signal, or stopped with a reason."""

    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


class NoticeChannel(StrEnum):
    """How a team is told: a Slack incoming webhook or an e-mail."""

    SLACK = "slack"
    EMAIL = "email"


class NoticeKind(StrEnum):
    """Why a team is told."""

    SIGNALS_ROUTED = "signals_routed"
    FAILURE_MODE_ASSIGNED = "failure_mode_assigned"
    FIX_DUE = "fix_due"
    FIX_OVERDUE = "fix_overdue"
    WEEKLY_DIGEST = "weekly_digest"


class NoticeState(StrEnum):
    """Where an outbox notice is."""

    PENDING = "pending"
    SENT = "sent"
    FAILING = "failing"
