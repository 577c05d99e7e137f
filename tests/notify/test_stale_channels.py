"""A team's channels are set against the version seen: two admins saving them from one copy never lose the
first save, whether the team had channels or none yet."""

import hashlib

import pytest
from hypothesis import given
from sqlmodel import col, select

from cxos.errors import NotAllowed, ValidationFailed
from cxos.models import Team, TeamChannel
from cxos.notify.channels import set_team_channels
from tests.conftest import ADMIN, COUNCIL
from tests.stale_pairs import PAIRS, WORDS, WRITERS, WritePath, check_pair, unique


def _address(value: str) -> str:
    """An e-mail address made from what the writer typed, so each save is a real change."""
    return f"team-{hashlib.sha1(value.encode()).hexdigest()[:12]}@example.com"


def _team(store, *, with_channels: bool) -> int:
    with store.write() as session:
        team = Team(name=unique("Team"))
        session.add(team)
        session.flush()
        team_id = team.id
    if with_channels:
        _save(store, team_id, ADMIN, 0, "first")
    return team_id


def _version(store, team_id: int) -> int:
    with store.read() as session:
        row = session.exec(select(TeamChannel).where(col(TeamChannel.team_id) == team_id)).first()
    return row.version if row else 0


def _email(store, team_id: int) -> str:
    with store.read() as session:
        return session.exec(select(TeamChannel.email).where(col(TeamChannel.team_id) == team_id)).one()


def _save(store, team_id, actor, seen, value):
    return set_team_channels(
        store,
        team_id=team_id,
        expected_version=seen,
        slack_webhook_url="",
        email=_address(value),
        actor=actor,
    )


PATHS = [
    WritePath(
        service="cxos.notify.channels.set_team_channels",
        prepare=lambda store: _team(store, with_channels=True),
        load=_version,
        save=_save,
        read=_email,
        expected=_address,
    ),
    WritePath(  # both saw none set yet: the second first save is refused, not an overwrite
        service="cxos.notify.channels.set_team_channels",
        prepare=lambda store: _team(store, with_channels=False),
        load=_version,
        save=_save,
        read=_email,
        expected=_address,
    ),
]


@pytest.mark.parametrize("path", PATHS, ids=["had channels", "none yet"])
@PAIRS
@given(writers=WRITERS, text=WORDS)
def test_two_admins_setting_a_teams_channels_from_one_copy(store, path, writers, text):
    check_pair(store, path, *writers, text)


def test_only_admins_set_channels_and_only_real_addresses(sqlite_store):
    team_id = _team(sqlite_store, with_channels=False)
    with pytest.raises(NotAllowed):
        set_team_channels(
            sqlite_store, team_id=team_id, expected_version=0, slack_webhook_url="", email="", actor=COUNCIL
        )
    for url, email in [
        ("http://hooks.slack.com/services/x", ""),
        ("https://hooks.slack.com/x y", ""),
        ("", "a@example.com, b@example.com"),
        ("", "a@example.com\r\nBcc: b@example.com"),
    ]:
        with pytest.raises(ValidationFailed):
            set_team_channels(
                sqlite_store,
                team_id=team_id,
                expected_version=0,
                slack_webhook_url=url,
                email=email,
                actor=ADMIN,
            )
    saved = set_team_channels(
        sqlite_store,
        team_id=team_id,
        expected_version=0,
        slack_webhook_url=" https://hooks.slack.com/services/T0/B0/x ",
        email="docs@example.com",
        actor=ADMIN,
    )
    assert (saved.slack_webhook_url, saved.email) == (
        "https://hooks.slack.com/services/T0/B0/x",
        "docs@example.com",
    )
