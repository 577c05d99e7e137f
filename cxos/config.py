"""Where CX OS finds its database and its roles file (environment first, then defaults)."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'cxos.db'}"
DEFAULT_ROLES_FILE = DATA_DIR / "roles.yaml"
JOURNEY_TEMPLATE = DATA_DIR / "journey.yaml"


def database_url() -> str:
    return normalise_url(os.environ.get("CXOS_DATABASE_URL") or DEFAULT_DATABASE_URL)


def roles_file() -> Path:
    return Path(os.environ.get("CXOS_ROLES_FILE") or DEFAULT_ROLES_FILE)


def normalise_url(url: str) -> str:
    """Accept the URL forms people paste (postgres://, postgresql://) and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


DEFAULT_ROUTING_CONFIDENCE = 0.8


def routing_confidence() -> float:
    """The owner model routes on its own only at or above this confidence (0..1); below, it only suggests."""
    raw = os.environ.get("CXOS_ROUTING_CONFIDENCE", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_ROUTING_CONFIDENCE
    except ValueError:
        return DEFAULT_ROUTING_CONFIDENCE
    return min(1.0, max(0.0, value))


DEFAULT_PLACEMENT_CONFIDENCE = 0.8


def placement_confidence() -> float:
    """An imported row is placed at the placement model's touchpoint only at or above this confidence (0..1);
    below, it waits in the Unplaced list for the council."""
    raw = os.environ.get("CXOS_PLACEMENT_CONFIDENCE", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_PLACEMENT_CONFIDENCE
    except ValueError:
        return DEFAULT_PLACEMENT_CONFIDENCE
    return min(1.0, max(0.0, value))


DEFAULT_INTAKE_RATE_LIMIT = 600  # requests a minute per integration token
DEFAULT_INTAKE_MAX_BODY_BYTES = 256 * 1024  # a signal's fields are at most ~25 kB; a webhook body a few kB


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def intake_rate_limit() -> int:
    """How many intake API requests a minute one integration token may make (then 429 with Retry-After)."""
    return _positive_int("CXOS_INTAKE_RATE_LIMIT", DEFAULT_INTAKE_RATE_LIMIT)


def intake_max_body_bytes() -> int:
    """The largest intake request body accepted (a larger one gets 413 and is not read further)."""
    return _positive_int("CXOS_INTAKE_MAX_BODY_BYTES", DEFAULT_INTAKE_MAX_BODY_BYTES)


def slack_signing_secret() -> str | None:
    """The Slack app's signing secret: requests to /hooks/slack/commands must be signed with it."""
    return os.environ.get("CXOS_SLACK_SIGNING_SECRET") or None


def slack_touchpoint() -> str | None:
    """The touchpoint (by name) a /friction command goes to when its text names none."""
    return (os.environ.get("CXOS_SLACK_TOUCHPOINT") or "").strip() or None


def zendesk_signing_secret() -> str | None:
    return os.environ.get("CXOS_ZENDESK_SIGNING_SECRET") or None


def zendesk_touchpoint() -> str | None:
    """Where a Zendesk ticket goes when its payload names no touchpoint."""
    return (os.environ.get("CXOS_ZENDESK_TOUCHPOINT") or "").strip() or None


def intercom_client_secret() -> str | None:
    return os.environ.get("CXOS_INTERCOM_CLIENT_SECRET") or None


def intercom_touchpoint() -> str | None:
    """Where an Intercom conversation goes."""
    return (os.environ.get("CXOS_INTERCOM_TOUCHPOINT") or "").strip() or None
