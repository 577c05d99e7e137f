"""Reading the log on both backends: filters, paging newest first, counts, the triage queue."""

from datetime import timedelta

from cxos.clock import utcnow
from cxos.journey.map import touchpoint_options
from cxos.signals import queries
from cxos.signals.writes import assign_owner
from tests.conftest import COUNCIL
from tests.factories import log_signal


def test_filters_narrow_by_stage_component_status_source_team_and_text(journey_store):
    with journey_store.read() as session:
        touchpoints = touchpoint_options(session)
    first, other = touchpoints[0], next(tp for tp in touchpoints if tp.stage_id != touchpoints[0].stage_id)
    a = log_signal(journey_store, touchpoint_id=first.id, title="SSO broken for Acme", account="Acme")
    log_signal(journey_store, touchpoint_id=other.id, title="Invoice in USD", source="call")
    assign_owner(journey_store, signal_id=a.id, expected_version=1, team_id=3, actor=COUNCIL)
    journey = tuple(touchpoints)

    def ids(**criteria):
        with journey_store.read() as session:
            rows = queries.page_of_signals(
                session, queries.SignalFilter(touchpoints=journey, **criteria), limit=50
            )
            assert queries.count_signals(
                session, queries.SignalFilter(touchpoints=journey, **criteria)
            ) == len(rows)
        return [row["title"] for row in rows]

    assert ids(stage_ids=(first.stage_id,)) == ["SSO broken for Acme"]
    by_component = ids(components=(other.component,))
    assert "Invoice in USD" in by_component
    assert ("SSO broken for Acme" in by_component) == (first.component == other.component)
    assert ids(statuses=("routed",)) == ["SSO broken for Acme"]
    assert ids(sources=("call",)) == ["Invoice in USD"]
    assert ids(team_ids=(3,)) == ["SSO broken for Acme"]
    assert ids(unowned=True) == ["Invoice in USD"]
    assert ids(team_ids=(3,), unowned=True) == ["Invoice in USD", "SSO broken for Acme"]
    assert ids(text="acme") == ["SSO broken for Acme"]
    assert ids(text="100%_") == []  # LIKE wildcards in user text are literal
    assert ids(text=f"#{a.id}") == ["SSO broken for Acme"]
    today = utcnow().date()
    assert len(ids(since=today, until=today)) == 2
    assert ids(since=today + timedelta(days=1)) == []


def test_pages_are_newest_first_and_do_not_overlap(journey_store, touchpoint_id):
    for i in range(7):
        log_signal(journey_store, touchpoint_id=touchpoint_id, title=f"Signal number {i}")
    with journey_store.read() as session:
        first = queries.page_of_signals(session, queries.SignalFilter(), limit=3, offset=0)
        second = queries.page_of_signals(session, queries.SignalFilter(), limit=3, offset=3)
        last = queries.page_of_signals(session, queries.SignalFilter(), limit=3, offset=6)
    ids = [row["id"] for row in first + second + last]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 7


def test_triage_queue_is_every_open_signal_without_owner_oldest_first(journey_store, touchpoint_id):
    older = log_signal(journey_store, touchpoint_id=touchpoint_id, title="Older one")
    newer = log_signal(journey_store, touchpoint_id=touchpoint_id, title="Newer one")
    owned = log_signal(journey_store, touchpoint_id=touchpoint_id, title="Owned one")
    assign_owner(journey_store, signal_id=owned.id, expected_version=1, team_id=1, actor=COUNCIL)
    with journey_store.read() as session:
        assert [row["id"] for row in queries.triage_queue(session, limit=10)] == [older.id, newer.id]
        assert queries.triage_count(session) == 2


def test_counts_by_stage_window_are_grouped_in_the_database(journey_store, touchpoint_id):
    log_signal(journey_store, touchpoint_id=touchpoint_id, title="One")
    log_signal(journey_store, touchpoint_id=touchpoint_id, title="Two", source="slack")
    now = utcnow() + timedelta(minutes=1)
    with journey_store.read() as session:
        assert queries.counts_by(session, queries.Signal.source, now - timedelta(days=7), now) == {
            "ticket": 1,
            "slack": 1,
        }
        assert queries.count_between(session, now - timedelta(days=14), now - timedelta(days=7)) == 0
        weekly = queries.weekly_counts(session, weeks=3, now=now)
    assert [n for _, n in weekly] == [0, 0, 2]


def test_a_capped_count_stops_past_the_cap(journey_store, touchpoint_id):
    for i in range(5):
        log_signal(journey_store, touchpoint_id=touchpoint_id, title=f"Search me {i}")
    with journey_store.read() as session:
        text = queries.SignalFilter(text="search me")
        assert queries.count_signals(session, text) == 5
        assert queries.count_signals(session, text, cap=3) == 4  # "more than 3"
