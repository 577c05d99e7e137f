"""The intake API's routes: POST and GET /api/v1/signals, GET /api/v1/signals/{id}, the OpenAPI description,
and POST /hooks/json/{profile} (any JSON, mapped by an import profile)."""

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.http import LOG, Refused, bearer_token, capped_body, invalid, store
from api.openapi import openapi_document
from cxos.errors import StorageFault, ValidationFailed
from cxos.intake import inbox, reads
from cxos.intake.mapping import check_fields, read_payload
from cxos.models import saved_id
from cxos.signals.queries import get_signal
from cxos.url_params import Unreadable, read_id
from cxos.vocabulary import InboxState, IntakeChannel, TokenScope


async def post_signal(request: Request) -> Response:
    """Store the request in the inbox, then make the signal: 201 with it, or the first one for a retry."""
    return await _intake(
        request, channel=IntakeChannel.API, check=lambda body: check_fields(read_payload(body))
    )


async def post_json_hook(request: Request) -> Response:
    """Any JSON object, mapped by the import profile the path names (fixed there, a failed one is retried)."""
    return await _intake(request, channel=IntakeChannel.JSON, profile=request.path_params["profile"])


async def _intake(
    request: Request,
    *,
    channel: IntakeChannel,
    profile: str = "",
    check: Callable[[bytes], None] | None = None,
) -> Response:
    try:
        token = await bearer_token(request, needs=TokenScope.WRITE)
        body = await capped_body(request)
        key = request.headers.get("idempotency-key")
        key = key.strip() if key is not None and key.strip() else None
        try:
            if check is not None:
                check(body)  # bad fields are refused before anything is stored
            item, new = await run_in_threadpool(
                inbox.receive,
                store(),
                channel=channel,
                body=body,
                token=token,
                idempotency_key=key,
                profile=profile,
            )
        except ValidationFailed as refused:
            raise invalid(refused) from None
        try:
            outcome = await run_in_threadpool(inbox.process, store(), item_id=saved_id(item))
        except StorageFault:
            # Stored and acknowledged: the sweep makes the signal once the store takes writes again.
            LOG.warning("inbox item %s stays pending", item.id, exc_info=True)
            return JSONResponse({"inbox_id": item.id, "state": InboxState.PENDING.value}, status_code=202)
    except Refused as refused:
        return refused.response()
    if outcome.signal is None:
        return JSONResponse(
            {
                "error": "Stored in the inbox, but it could not become a signal; fix the cause and retry it on "
                "the Integrations page.",
                "fields": outcome.problems,
                "inbox_id": item.id,
            },
            status_code=422,
        )
    headers = {"Location": f"/api/v1/signals/{outcome.signal.id}"}
    if not new:
        headers["Idempotent-Replayed"] = "true"
    body_out = reads.signal_json(outcome.signal) | {"inbox_id": item.id}
    return JSONResponse(body_out, status_code=201 if new else 200, headers=headers)


async def list_signals(request: Request) -> Response:
    """A page of signals filtered as the friction log filters them, newest first, with the next page's cursor."""
    try:
        await bearer_token(request, needs=TokenScope.READ)
        params = {name: request.query_params.get(name, "") for name in reads.PARAMS}
        try:
            query = await run_in_threadpool(reads.read_query, store(), params)
        except ValidationFailed as refused:
            raise invalid(refused, status=400) from None
    except Refused as refused:
        return refused.response()
    signals, cursor = await run_in_threadpool(reads.page, store(), query)
    return JSONResponse({"signals": [reads.signal_json(s) for s in signals], "next_cursor": cursor})


async def one_signal(request: Request) -> Response:
    """One signal by its number."""
    try:
        await bearer_token(request, needs=TokenScope.READ)
        try:
            signal_id = read_id(request.path_params["signal_id"])
        except Unreadable as why:
            raise Refused(404, f"No signal: the id is {why}.") from None
    except Refused as refused:
        return refused.response()
    signal = await run_in_threadpool(_read_signal, signal_id)
    if signal is None:
        return Refused(404, f"There is no signal #{signal_id}.").response()
    return JSONResponse(reads.signal_json(signal))


async def openapi(_request: Request) -> Response:
    return JSONResponse(openapi_document())


def _read_signal(signal_id: int):  # type: ignore[no-untyped-def]
    with store().read() as session:
        return get_signal(session, signal_id)


ROUTES: list[BaseRoute] = [
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
    Route("/api/v1/signals", post_signal, methods=["POST"]),
    Route("/api/v1/signals", list_signals, methods=["GET"]),
    Route("/api/v1/signals/{signal_id}", one_signal, methods=["GET"]),
    Route("/hooks/json/{profile}", post_json_hook, methods=["POST"]),
]
