"""Clustering signals into candidate failure modes: known groups come back, merges and duplicates are suggested."""

import json

from cxos.cli.main import main
from cxos.clock import utcnow
from cxos.failure_modes.clustering import cluster_signals
from cxos.failure_modes.writes import create_failure_mode
from cxos.journey.map import touchpoint_options
from tests.conftest import COUNCIL
from tests.factories import as_seen, log_signal

GROUPS = {
    "sso": [
        "Okta SCIM sync skips new users",
        "SCIM sync skips users on alias domains",
        "New users skipped by the Okta SCIM sync",
        "SCIM sync skips new hires",
        "Okta SCIM skips users again",
    ],
    "import": [
        "CSV import fails on European dates",
        "CSV import rejects dates in day-month order",
        "European dates fail the CSV import",
        "CSV import fails: dates not accepted",
    ],
    "search": [
        "Search for API key returns nothing",
        "No results when searching API key",
        "API key search finds nothing",
        "Searching for API key gives zero results",
    ],
}
NOISE = [
    "Invoice PDF shows the wrong currency",
    "Webinar recording link is missing",
    "Dark mode hides the save button",
    "Renewal reminder arrived after the renewal",
]


def _touchpoints(store) -> list[int]:
    with store.read() as session:
        return [tp.id for tp in touchpoint_options(session)]


def _seed(store) -> dict[str, set[int]]:
    first, second = _touchpoints(store)[:2]
    known = {}
    for name, titles in GROUPS.items():
        known[name] = {
            log_signal(
                store,
                touchpoint_id=first if name != "search" else second,
                title=title,
                account=f"Account {i}",
                arr=10_000 * (i + 1),
            ).id
            for i, title in enumerate(titles)
        }
    for title in NOISE:
        log_signal(store, touchpoint_id=first, title=title)
    return known


def _cluster(store, **options):
    with store.read() as session:
        return cluster_signals(session, now=utcnow(), **options)


def test_clustering_recovers_the_known_groups_and_leaves_the_noise_out(journey_store):
    known = _seed(journey_store)
    result = _cluster(journey_store)
    assert result.considered == sum(map(len, GROUPS.values())) + len(NOISE)
    assert sorted(set(c.signal_ids) for c in result.candidates) == sorted(known.values())


def test_similar_words_at_different_touchpoints_do_not_cluster_together(journey_store):
    first, second = _touchpoints(journey_store)[:2]
    for touchpoint in (first, second):
        for title in GROUPS["sso"][:3]:
            log_signal(journey_store, touchpoint_id=touchpoint, title=title)
    candidates = _cluster(journey_store).candidates
    assert sorted((c.touchpoint_id, c.size) for c in candidates) == [(first, 3), (second, 3)]


def test_a_candidate_carries_its_name_accounts_and_arr(journey_store):
    known = _seed(journey_store)
    search = next(c for c in _cluster(journey_store).candidates if set(c.signal_ids) == known["search"])
    assert "api key" in search.suggested_name.lower()
    assert "api key" in search.top_terms or "api" in search.top_terms
    assert (search.accounts, search.arr) == (4, 10_000 + 20_000 + 30_000 + 40_000)
    assert search.first_seen <= search.last_seen


def test_signals_of_an_accepted_failure_mode_are_not_clustered_again(journey_store):
    known = _seed(journey_store)
    create_failure_mode(
        journey_store,
        name="SCIM skips users",
        signals_seen=as_seen(journey_store, known["sso"]),
        actor=COUNCIL,
        status="accepted",
    )
    result = _cluster(journey_store)
    assert all(not set(c.signal_ids) & known["sso"] for c in result.candidates)
    assert result.considered == sum(map(len, GROUPS.values())) + len(NOISE) - len(known["sso"])


def test_new_signals_like_an_accepted_failure_mode_point_to_it(journey_store):
    first = _touchpoints(journey_store)[0]
    mode = create_failure_mode(
        journey_store,
        name="Okta SCIM sync skips users",
        actor=COUNCIL,
        status="accepted",
        signals_seen=as_seen(
            journey_store,
            [log_signal(journey_store, touchpoint_id=first, title=t).id for t in GROUPS["sso"][:3]],
        ),
    )
    for title in GROUPS["sso"][2:]:
        log_signal(journey_store, touchpoint_id=first, title=title)
    (candidate,) = _cluster(journey_store).candidates
    assert candidate.similar_failure_mode_id == mode.id


def test_the_same_report_twice_from_one_account_is_a_duplicate_suggestion(journey_store):
    first = _touchpoints(journey_store)[0]
    original = log_signal(
        journey_store, touchpoint_id=first, title="Export to Excel drops the last column", account="Acme"
    ).id
    again = log_signal(
        journey_store, touchpoint_id=first, title="Export to Excel drops the last column", account="Acme"
    ).id
    log_signal(
        journey_store, touchpoint_id=first, title="Export to Excel drops the last column", account="Globex"
    )
    pairs = [(d.keep_id, d.duplicate_id) for d in _cluster(journey_store).duplicates]
    assert pairs == [(original, again)]


def test_two_failure_modes_about_the_same_thing_are_suggested_for_a_merge(journey_store):
    first = _touchpoints(journey_store)[0]
    big = create_failure_mode(
        journey_store,
        name="SCIM sync skips users",
        actor=COUNCIL,
        status="accepted",
        signals_seen=as_seen(
            journey_store,
            [log_signal(journey_store, touchpoint_id=first, title=t).id for t in GROUPS["sso"][:3]],
        ),
    )
    small = create_failure_mode(
        journey_store,
        name="Okta SCIM skips new users",
        actor=COUNCIL,
        signals_seen=as_seen(
            journey_store,
            [log_signal(journey_store, touchpoint_id=first, title=t).id for t in GROUPS["sso"][3:]],
        ),
    )
    create_failure_mode(
        journey_store,
        name="CSV import fails on dates",
        actor=COUNCIL,
        signals_seen=as_seen(
            journey_store,
            [log_signal(journey_store, touchpoint_id=first, title=t).id for t in GROUPS["import"]],
        ),
    )
    merges = [(m.source_id, m.target_id) for m in _cluster(journey_store).merges]
    assert merges == [(small.id, big.id)]


def test_an_empty_log_gives_no_candidates(journey_store):
    result = _cluster(journey_store)
    assert (result.considered, result.candidates, result.duplicates, result.merges) == (0, [], [], [])


def test_cluster_command_prints_the_candidates_as_json(journey_store, capsys):
    known = _seed(journey_store)
    assert main(["--database-url", journey_store.url, "cluster", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(set(c["signal_ids"]) for c in printed["candidates"]) == sorted(known.values())
