"""Nothing lost: the app killed after a request is in the inbox and before its signal is made finds it at restart
and makes its signal, exactly once. PostgreSQL, where the test can hold the signal table while the inbox commits."""

import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from cxos.intake.inbox import client_token
from cxos.intake.tokens import create_token
from cxos.journey.map import touchpoint_options
from cxos.models import InboxItem, Signal
from cxos.store.store import Store
from cxos.vocabulary import InboxState, TokenScope
from tests.conftest import ADMIN, POSTGRES_URL
from tests.served_app import seed_demo, start_app, stop_app

WAIT_S = 60  # how long a step may take on a loaded machine before the test gives up (a wait, not a measure)
TITLE = "Seat limit email never arrived"


@pytest.fixture
def database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, seeded with the demo."""
    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL: set CXOS_TEST_POSTGRES_URL (an admin URL)")
    name = f"cxos_crash_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        seed_demo(os.environ | {"CXOS_DATABASE_URL": url}, signals=40)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _until(condition, what: str):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {WAIT_S} s")


def _post(url: str, token: str, body: dict, answers: list) -> None:
    request = urllib.request.Request(f"{url}/api/v1/signals", data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=WAIT_S) as response:
            answers.append(response.status)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        answers.append(error)  # the app was killed under it


def test_a_request_stored_but_not_yet_a_signal_becomes_one_after_a_crash_exactly_once(database, tmp_path):
    store = Store.open(database)
    token = create_token(store, name="crash bridge", scope=TokenScope.WRITE, actor=ADMIN).secret
    with store.read() as session:
        touchpoint_id = touchpoint_options(session)[0].id
    env = os.environ | {"CXOS_DATABASE_URL": database}
    log = Path(tempfile.mkdtemp(dir=tmp_path)) / "streamlit.log"
    server, url = start_app(env, log)
    holder = create_engine(database)
    answers: list = []
    try:
        with holder.connect() as held:
            held.execute(text("LOCK TABLE signal IN EXCLUSIVE MODE"))  # reads pass, the signal's INSERT waits
            poster = threading.Thread(
                target=_post,
                args=(
                    url,
                    token,
                    {"title": TITLE, "source": "ticket", "touchpoint_id": touchpoint_id},
                    answers,
                ),
            )
            poster.start()

            def pending() -> InboxItem | None:
                with store.read() as session:
                    return session.exec(
                        select(InboxItem).where(InboxItem.state == InboxState.PENDING)
                    ).first()

            item = _until(pending, "the request reaching the inbox")
            stop_app(server, kill=True)  # between the inbox and the signal
            poster.join(WAIT_S)
            held.rollback()
        assert answers and not isinstance(answers[0], int)  # the client never heard back
        with store.read() as session:
            assert session.exec(select(Signal).where(Signal.title == TITLE)).all() == []

        for _ in range(2):  # a restart makes the signal; a second one makes no other
            server, url = start_app(env, log)

            def processed() -> InboxItem | None:
                with store.read() as session:
                    row = session.get(InboxItem, item.id)
                    return row if row.state == InboxState.PROCESSED else None

            done = _until(processed, "the inbox sweep at start-up")
            stop_app(server)
            with store.read() as session:
                made = session.exec(select(Signal).where(Signal.title == TITLE)).all()
            assert [s.id for s in made] == [done.signal_id] and made[0].client_token == client_token(item.id)
            assert made[0].created_by == "crash bridge"
    finally:
        if server.poll() is None:
            stop_app(server)
        holder.dispose()
        store.dispose()
