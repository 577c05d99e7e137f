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
