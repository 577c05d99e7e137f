"""The intake tests' app: served as `make run` serves it, on a demo database of its own, per test module."""

import json
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxos.store.store import Store
from tests.served_app import seeded_app

RATE_LIMIT = 30  # a minute per token, low enough to reach in a test; each other test uses a token of its own
MAX_BODY = 64 * 1024
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TOUCHPOINT = "Data import"
ZENDESK_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3RpbmdfcHVycG9zZXNfb25seQ=="
INTERCOM_SECRET = "intercom-client-secret-for-tests"
TICKET_TOUCHPOINT = "Support tickets"


@pytest.fixture(scope="module")
def served() -> Iterator[dict]:
    """The app on a demo database of its own, and a store on that database for the test's side."""
    workdir = Path(tempfile.mkdtemp(prefix="cxos-intake-"))
    database_url = f"sqlite:///{workdir / 'intake.db'}"
    env = os.environ | {
        "CXOS_DATABASE_URL": database_url,
        "CXOS_INTAKE_RATE_LIMIT": str(RATE_LIMIT),
        "CXOS_INTAKE_MAX_BODY_BYTES": str(MAX_BODY),
        "CXOS_SLACK_SIGNING_SECRET": SLACK_SECRET,
        "CXOS_SLACK_TOUCHPOINT": SLACK_TOUCHPOINT,
        "CXOS_ZENDESK_SIGNING_SECRET": ZENDESK_SECRET,
        "CXOS_ZENDESK_TOUCHPOINT": TICKET_TOUCHPOINT,
        "CXOS_INTERCOM_CLIENT_SECRET": INTERCOM_SECRET,
        "CXOS_INTERCOM_TOUCHPOINT": TICKET_TOUCHPOINT,
    }
    with seeded_app(env, workdir, signals=60) as url:
        store = Store.open(database_url)
        yield {"url": url, "store": store}
        store.dispose()


def call(served, method: str, path: str, *, token: str | None = None, body=None, headers=None):
    """(status, headers, JSON body) of one request; an error status is an answer, not an exception."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(served["url"] + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, _json(error.read())


def _json(body: bytes):
    return json.loads(body) if body else None  # Slack's shortcut is answered with an empty 200
