"""Slack's door: POST /hooks/slack/commands, the /friction slash command, answered with an ephemeral message."""

import time

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


async def slash_command(request: Request) -> Response:
    """Verify Slack's signature, keep the command in the inbox, make the signal, say where it went."""
    try:
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
        form = slack.command_form(body.decode("utf-8", errors="replace"))
        wait_s = rate_limiter().take(("slack", form.get("team_id", "")))
        if wait_s > 0:
            raise Refused(
                429,
                "Too many /friction commands at once.",
                headers={"Retry-After": RateLimiter.retry_after(wait_s)},
            )
        try:
            # Slack retries a command it thinks went unanswered with the same trigger_id: one signal for both.
            item, _new = await run_in_threadpool(
                inbox.receive,
                store(),
                channel=IntakeChannel.SLACK,
                body=body,
                token=None,
                idempotency_key=form.get("trigger_id") or None,
                actor_name=slack.reporter_of(form),
            )
        except ValidationFailed as refused:
            raise Refused(400, str(refused)) from None
        try:
            outcome = await run_in_threadpool(inbox.process, store(), item_id=saved_id(item))
        except StorageFault:
            LOG.warning("Slack inbox item %s stays pending", item.id, exc_info=True)
            return _ephemeral("Got it: it is in the inbox and becomes a signal in a moment.")
    except Refused as refused:
        return refused.response()
    if outcome.signal is None:
        why = "; ".join(f"{field}: {reason}" for field, reason in outcome.problems.items())
        return _ephemeral(f"Not logged yet (kept in the inbox as #{item.id}): {why}")
    owner = await run_in_threadpool(_team_name, outcome.signal.owner_team_id)
    where = f"routed to {owner}" if owner else "waiting in triage for an owner"
    return _ephemeral(f"Logged as #{outcome.signal.id}, {where}.")


def _ephemeral(text: str) -> JSONResponse:
    """Slack shows a 200 with this body only to the person who ran the command."""
    return JSONResponse({"response_type": "ephemeral", "text": text})


def _team_name(team_id: int | None) -> str | None:
    if team_id is None:
        return None
    with store().read() as session:
        team = session.get(Team, team_id)
        return team.name if team else None


ROUTES: list[BaseRoute] = [Route("/hooks/slack/commands", slash_command, methods=["POST"])]
