"""The fixed vocabulary of CX OS: signal sources, severities, lifecycle states, components, drivers, roles."""

from enum import StrEnum


def plural(count: int, noun: str) -> str:
    """'1 signal', '3,000 signals': counts as people read them."""
    return f"{count:,} {noun if count == 1 else noun + 's'}"


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
