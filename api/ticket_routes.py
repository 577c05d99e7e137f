"""Zendesk's and Intercom's doors: POST /hooks/zendesk and /hooks/intercom, signed webhooks about tickets."""

import json
import time

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.http import LOG, Refused, capped_body, store
from cxos import config
from cxos.errors import StorageFault, ValidationFailed
from cxos.intake import inbox, tickets
from cxos.models import saved_id
from cxos.url_params import read_text
from cxos.vocabulary import InboxState, IntakeChannel

PROFILE_NAME_MAX = 200


async def zendesk(request: Request) -> Response:
    try:
        body = await capped_body(request)
        problem = tickets.zendesk_signature_problem(
            config.zendesk_signing_secret(),
            timestamp=request.headers.get("x-zendesk-webhook-signature-timestamp", ""),
            body=body,
            signature=request.headers.get("x-zendesk-webhook-signature", ""),
            now=time.time(),
        )
        if problem:
            raise Refused(401, problem)
        # Zendesk retries one invocation with the same id: the first one's item, not a second.
        key = request.headers.get("x-zendesk-webhook-invocation-id") or None
        return await _take(IntakeChannel.ZENDESK, body, key, actor_name="Zendesk", profile=_profile(request))
    except Refused as refused:
        return refused.response()


async def intercom(request: Request) -> Response:
    try:
        body = await capped_body(request)
        problem = tickets.intercom_signature_problem(
            config.intercom_client_secret(), body=body, signature=request.headers.get("x-hub-signature", "")
        )
        if problem:
            raise Refused(401, problem)
        return await _take(
            IntakeChannel.INTERCOM,
            body,
            _notification_id(body),
            actor_name="Intercom",
            profile=_profile(request),
        )
    except Refused as refused:
        return refused.response()


async def _take(
    channel: IntakeChannel, body: bytes, key: str | None, *, actor_name: str, profile: str = ""
) -> Response:
    """Keep the webhook in the inbox, then make or update its signal; 200 either way once it is stored (a
    sender that sees an error retries, and a payload that cannot map waits in the inbox, not in the sender)."""
    try:
        item, _new = await run_in_threadpool(
            inbox.receive,
            store(),
            channel=channel,
            body=body,
            token=None,
            idempotency_key=key,
            actor_name=actor_name,
            profile=profile,
        )
    except ValidationFailed as refused:
        raise Refused(400, str(refused)) from None
    try:
        outcome = await run_in_threadpool(inbox.process, store(), item_id=saved_id(item))
    except StorageFault:
        LOG.warning("%s inbox item %s stays pending", channel.value, item.id, exc_info=True)
        return JSONResponse({"inbox_id": item.id, "state": InboxState.PENDING.value}, status_code=202)
    answer: dict[str, object] = {"inbox_id": item.id, "state": outcome.item.state}
    if outcome.signal is not None:
        answer["signal_id"] = outcome.signal.id
    else:
        answer["fields"] = outcome.problems
    return JSONResponse(answer)


def _profile(request: Request) -> str:
    """The import profile named in `?profile=` that maps this webhook instead of the built-in mapping."""
    name, _cut = read_text(request.query_params.get("profile", ""), max_chars=PROFILE_NAME_MAX)
    return name


def _notification_id(body: bytes) -> str | None:
    """Intercom's notification id: the same event delivered twice carries the same one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value)[:200] if value else None


ROUTES: list[BaseRoute] = [
    Route("/hooks/zendesk", zendesk, methods=["POST"]),
    Route("/hooks/intercom", intercom, methods=["POST"]),
]
