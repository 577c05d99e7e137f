"""Every way a signal reaches a team enqueues its notice in the same transaction: the form (a rule on arrival),
a file import (routed on arrival, one call after the batch is stored) and routing the triage queue."""

from dataclasses import replace

from sqlmodel import col, select

from cxos.importers.batch import import_file
from cxos.importers.profiles import BUILT_IN
from cxos.models import OutboxNotice
from cxos.notify.sender import send_pass
from cxos.routing.router import route_unrouted
from cxos.routing.rules import create_rule
from cxos.vocabulary import NoticeKind
from tests.conftest import ADMIN, COUNCIL
from tests.factories import log_signal
from tests.notify.conftest import AFTER_THE_MINUTE, set_channels


def _rule(store, team_id: int, word: str) -> None:
    create_rule(
        store,
        rule_in={
            "name": f"{word} to team {team_id}",
            "owner_team_id": team_id,
            "conditions": [{"field": "text", "op": "contains_any", "value": [word]}],
        },
        actor=ADMIN,
    )


def _routed_notices(store) -> list[tuple[int, int | None]]:
    with store.read() as session:
        rows = session.exec(
            select(OutboxNotice.team_id, OutboxNotice.ref_id)
            .where(col(OutboxNotice.kind) == NoticeKind.SIGNALS_ROUTED.value)
            .order_by(col(OutboxNotice.id))
        )
        return list(rows)


def test_a_signal_a_rule_routes_on_arrival_is_enqueued(journey_store, touchpoint_id, team_ids, pinned, slack):
    set_channels(journey_store, team_ids[0], slack=slack.url)
    _rule(journey_store, team_ids[0], "invoice")
    signal = log_signal(journey_store, touchpoint_id=touchpoint_id, title="invoice charged twice")
    assert _routed_notices(journey_store) == [(team_ids[0], signal.id)]


def test_an_imported_batch_is_enqueued_and_sent_as_one_message(
    journey_store, touchpoint_id, team_ids, pinned, slack
):
    set_channels(journey_store, team_ids[0], slack=slack.url)
    _rule(journey_store, team_ids[0], "invoice")
    body = "Title,Ticket\n" + "".join(f"invoice issue {n},T-{n}\n" for n in range(5)) + "unrelated,T-9\n"
    profile = replace(
        BUILT_IN["Generic CSV"],
        mapping={"Title": "title", "Ticket": "external_ref"},
        default_source="ticket",
        default_touchpoint_id=touchpoint_id,
    )
    import_file(journey_store, data=body.encode(), filename="export.csv", profile=profile, actor=COUNCIL)
    assert [team for team, _ in _routed_notices(journey_store)] == [team_ids[0]] * 5
    send_pass(journey_store, now=AFTER_THE_MINUTE)
    routed = [m["text"] for m in slack.messages if "routed to" in m["text"]]
    assert len(routed) == 1 and routed[0].startswith("5 signals routed to ")


def test_routing_the_triage_queue_is_enqueued(journey_store, touchpoint_id, team_ids, pinned, slack):
    set_channels(journey_store, team_ids[1], slack=slack.url)
    waiting = [log_signal(journey_store, touchpoint_id=touchpoint_id, title=f"refund {n}") for n in range(3)]
    assert _routed_notices(journey_store) == []
    _rule(journey_store, team_ids[1], "refund")
    route_unrouted(journey_store, actor=COUNCIL)
    assert sorted(_routed_notices(journey_store)) == sorted((team_ids[1], s.id) for s in waiting)
