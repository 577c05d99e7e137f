"""What every intake route shares: the store, JSON errors, the bearer token, the body size cap, the rate limit."""

import logging
from functools import cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from cxos import config
from cxos.errors import CxosError, ValidationFailed
from cxos.intake.rate_limit import RateLimiter
from cxos.intake.tokens import authenticate, note_used
from cxos.models import IntegrationToken
from cxos.store.store import Store
from cxos.vocabulary import TokenScope

LOG = logging.getLogger("cxos.intake")


class Refused(Exception):
    """A request answered with an error status and a JSON body naming what is wrong."""

    def __init__(self, status: int, message: str, *, fields: dict[str, str] | None = None, headers=None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}
        self.headers: dict[str, str] = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, object] = {"error": self.message}
        if self.fields:
            body["fields"] = self.fields
        return JSONResponse(body, status_code=self.status, headers=self.headers)


@cache
def store() -> Store:
    """This process's store for the intake routes (the pages keep their own; SQLite's file lock serves both)."""
    return Store.open(config.database_url())


@cache
def rate_limiter() -> RateLimiter:
    return RateLimiter(config.intake_rate_limit())


def invalid(refused: ValidationFailed, status: int = 422) -> Refused:
    return Refused(
        status, "Some fields cannot be stored; each is named in `fields`.", fields=refused.problems
    )


async def bearer_token(request: Request, *, needs: TokenScope) -> IntegrationToken:
    """The live token the request carries, allowed what the route needs and within its rate, else a refusal.
    Nothing is stored for a request refused here."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Refused(401, "Send an integration token: Authorization: Bearer <token>.", headers=_challenge())
    token = await run_in_threadpool(authenticate, store(), secret.strip())
    if token is None:
        raise Refused(401, "That token is unknown or was revoked.", headers=_challenge())
    if needs == TokenScope.WRITE and token.scope != TokenScope.WRITE:
        raise Refused(403, f"The token {token.name!r} may only read signals.")
    wait_s = rate_limiter().take(token.id)
    if wait_s > 0:
        raise Refused(
            429,
            f"Too many requests for {token.name!r}: at most {rate_limiter().per_minute} a minute.",
            headers={"Retry-After": RateLimiter.retry_after(wait_s)},
        )
    try:
        await run_in_threadpool(note_used, store(), token)
    except CxosError:
        LOG.warning("could not note that %s was used", token.name, exc_info=True)  # the request still counts
    return token


async def capped_body(request: Request) -> bytes:
    """The request body, refused with 413 past the size limit (and not read further)."""
    limit = config.intake_max_body_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> Refused:
    return Refused(413, f"The request body is larger than {limit:,} bytes (CXOS_INTAKE_MAX_BODY_BYTES).")


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="cxos"'}
