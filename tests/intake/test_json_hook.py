"""Generic JSON webhooks over HTTP: any JSON object mapped by an import profile; fixed, a failed one is retried."""

from urllib.parse import quote

from cxos.importers.mapping import Profile
from cxos.importers.profiles import save_profile
from cxos.intake import inbox
from cxos.intake.generic import flatten
from cxos.intake.tokens import create_token
from cxos.journey.map import touchpoint_options
from cxos.models import InboxItem, Signal
from cxos.vocabulary import InboxState, TokenScope
from tests.conftest import ADMIN
from tests.intake.conftest import call

FORUM_EVENT = {
    "event": "post_created",
    "post": {
        "title": "Webhook retries flood our endpoint",
        "body": "After a 500 the retries come every second.",
        "url": "https://community.acme.example/t/webhook-retries/4411",
        "author": {"email": "dev@contoso.example"},
        "tags": ["api", "webhooks"],
    },
}


def _forum_profile(served, name: str) -> Profile:
    with served["store"].read() as session:
        forum = next(tp for tp in touchpoint_options(session) if tp.name == "Community forum")
    mapping = {
        "post.title": "title",
        "post.body": "description",
        "post.author.email": "reporter",
        "post.url": "external_ref",
    }
    profile = Profile(name, "csv", mapping, default_source="community", default_touchpoint_id=forum.id)
    return save_profile(served["store"], profile=profile, actor=ADMIN)


def test_a_json_event_is_mapped_by_its_profile(served):
    _forum_profile(served, "Forum posts")
    token = create_token(served["store"], name="Discourse", scope=TokenScope.WRITE, actor=ADMIN).secret
    status, _, signal = call(
        served, "POST", f"/hooks/json/{quote('Forum posts')}", token=token, body=FORUM_EVENT
    )
    assert status == 201
    assert (signal["title"], signal["source"], signal["reporter"]) == (
        "Webhook retries flood our endpoint",
        "community",
        "dev@contoso.example",
    )
    assert signal["external_ref"] == FORUM_EVENT["post"]["url"] and signal["created_by"] == "Discourse"


def test_an_event_for_a_profile_not_yet_saved_waits_and_is_retried_once_it_is(served):
    token = create_token(served["store"], name="Survey tool", scope=TokenScope.WRITE, actor=ADMIN).secret
    event = FORUM_EVENT | {"post": FORUM_EVENT["post"] | {"url": "https://community.acme.example/t/other/1"}}
    status, _, answer = call(served, "POST", "/hooks/json/Survey%20answers", token=token, body=event)
    assert status == 422 and "profile" in answer["fields"]
    with served["store"].read() as session:
        assert session.get(InboxItem, answer["inbox_id"]).state == InboxState.FAILED
    _forum_profile(served, "Survey answers")
    outcome = inbox.retry(served["store"], item_id=answer["inbox_id"], actor=ADMIN)
    assert outcome.signal is not None
    with served["store"].read() as session:
        assert session.get(Signal, outcome.signal.id).title == "Webhook retries flood our endpoint"


def test_a_json_hook_needs_a_write_token(served):
    assert call(served, "POST", "/hooks/json/Forum%20posts", body=FORUM_EVENT)[0] == 401


def test_json_is_flattened_to_dotted_keys():
    assert flatten({"a": {"b": 1, "c": [True, None, "x"]}, "d": "e"}) == {
        "a.b": "1",
        "a.c.0": "true",
        "a.c.2": "x",
        "d": "e",
    }
