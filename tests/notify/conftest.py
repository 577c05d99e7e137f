"""Teams with channels, and a clock held still inside one minute (a routed batch is per minute)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from cxos import clock
from cxos.models import Team
from cxos.notify.channels import set_team_channels
from tests.conftest import ADMIN, TEST_NOW
from tests.notify.slack_receiver import slack_receiver
from tests.smtp_receiver import smtp_receiver

PINNED = TEST_NOW.replace(second=20)  # every write in a test lands in this one minute
AFTER_THE_MINUTE = PINNED.replace(second=0) + timedelta(minutes=1, seconds=5)


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(clock, "_source", lambda: PINNED)
    return PINNED


@pytest.fixture
def slack():
    with slack_receiver() as receiver:
        yield receiver


@pytest.fixture
def smtp():
    with smtp_receiver() as (inbox, port):
        yield inbox, port


@pytest.fixture
def team_ids(journey_store) -> list[int]:
    with journey_store.read() as session:
        return [team.id for team in session.exec(select(Team).order_by(Team.id))]


def set_channels(store, team_id: int, *, slack: str = "", email: str = "") -> None:
    set_team_channels(
        store, team_id=team_id, expected_version=0, slack_webhook_url=slack, email=email, actor=ADMIN
    )
