"""Slack's doors: the /friction slash command and the "Log as friction" message shortcut, each answered to its
sender alone (an ephemeral message)."""

import json
import threading
import time
import urllib.request

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.http import LOG, Refused, capped_body, rate_limiter, store
from cxos import config
from cxos.errors import StorageFault, ValidationFailed
from cxos.intake import inbox, slack
from cxos.intake.rate_limit import RateLimiter
from cxos.models import Team, saved_id
from cxos.vocabulary import IntakeChannel

REPLY_TIMEOUT_S = 10


async def slash_command(request: Request) -> Response:
    """Verify Slack's signature, keep the command in the inbox, make the signal, say where it went."""
    try:
        body = await _signed_body(request)
        form = slack.command_form(body.decode("utf-8", errors="replace"))
        # Slack retries a command it thinks went unanswered with the same trigger_id: one signal for both.
        text = await _log(IntakeChannel.SLACK, body, form.get("trigger_id"), slack.reporter_of(form), form)
    except Refused as refused:
        return refused.response()
    return _ephemeral(text)


async def interaction(request: Request) -> Response:
    """The "Log as friction" message shortcut: answered at once with 200 (Slack ignores the body), then told
    to the person who used it through the response_url Slack gave."""
    try:
        body = await _signed_body(request)
        form = slack.command_form(body.decode("utf-8", errors="replace"))
        payload = slack.shortcut_payload(form)
        if payload.get("type") != "message_action":
            return Response(status_code=200)  # another kind of interaction: not ours to log
        team = payload.get("team") if isinstance(payload.get("team"), dict) else {}
        text = await _log(
            IntakeChannel.SLACK_SHORTCUT,
            body,
            payload.get("trigger_id"),
            slack.shortcut_runner(payload),
            team,
        )
    except Refused as refused:
        return refused.response()
    reply_to = payload.get("response_url")
    if isinstance(reply_to, str) and reply_to.startswith(("https://", "http://")):
        threading.Thread(target=_reply, args=(reply_to, text), name="cxos-slack-reply", daemon=True).start()
    return Response(status_code=200)


async def _signed_body(request: Request) -> bytes:
    body = await capped_body(request)
    problem = slack.signature_problem(
        config.slack_signing_secret(),
        timestamp=request.headers.get("x-slack-request-timestamp", ""),
        body=body,
        signature=request.headers.get("x-slack-signature", ""),
        now=time.time(),
    )
    if problem:
        raise Refused(401, problem)
    return body


async def _log(channel: IntakeChannel, body: bytes, trigger_id: object, by: str, team: dict) -> str:
    """Keep the request in the inbox and make its signal; what to tell the person who sent it."""
    wait_s = rate_limiter().take(("slack", team.get("team_id") or team.get("id") or ""))
    if wait_s > 0:
        raise Refused(
            429, "Too many at once from Slack.", headers={"Retry-After": RateLimiter.retry_after(wait_s)}
        )
    key = trigger_id if isinstance(trigger_id, str) and trigger_id else None
    try:
        item, _new = await run_in_threadpool(
            inbox.receive, store(), channel=channel, body=body, token=None, idempotency_key=key, actor_name=by
        )
    except ValidationFailed as refused:
        raise Refused(400, str(refused)) from None
    try:
        outcome = await run_in_threadpool(inbox.process, store(), item_id=saved_id(item))
    except StorageFault:
        LOG.warning("Slack inbox item %s stays pending", item.id, exc_info=True)
        return "Got it: it is in the inbox and becomes a signal in a moment."
    if outcome.signal is None:
        why = "; ".join(f"{field}: {reason}" for field, reason in outcome.problems.items())
        return f"Not logged yet (kept in the inbox as #{item.id}): {why}"
    owner = await run_in_threadpool(_team_name, outcome.signal.owner_team_id)
    where = f"routed to {owner}" if owner else "waiting in triage for an owner"
    return f"Logged as #{outcome.signal.id}, {where}."


def _reply(url: str, text: str) -> None:
    """Post the ephemeral answer to Slack's response_url (off the request, so Slack gets its 200 at once)."""
    request = urllib.request.Request(
        url,
        data=json.dumps({"response_type": "ephemeral", "text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=REPLY_TIMEOUT_S):
            pass
    except OSError:
        LOG.warning("could not tell Slack: %s", text, exc_info=True)


def _ephemeral(text: str) -> JSONResponse:
    """Slack shows a 200 with this body only to the person who ran the command."""
    return JSONResponse({"response_type": "ephemeral", "text": text})


def _team_name(team_id: int | None) -> str | None:
    if team_id is None:
        return None
    with store().read() as session:
        team = session.get(Team, team_id)
        return team.name if team else None


ROUTES: list[BaseRoute] = [
    Route("/hooks/slack/commands", slash_command, methods=["POST"]),
    Route("/hooks/slack/interactions", interaction, methods=["POST"]),
]
