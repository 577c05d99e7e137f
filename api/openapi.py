"""The intake API described as OpenAPI 3.1, served at /api/v1/openapi.json; the signal fields from the model."""

from functools import cache
from typing import Any

from cxos import config
from cxos.inputs import SignalCreate
from cxos.intake.reads import DEFAULT_LIMIT, MAX_LIMIT

ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "what is wrong, in words"},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "field → why",
        },
        "inbox_id": {"type": "integer", "description": "the inbox item kept for a retry (422 after storing)"},
    },
    "required": ["error"],
}
FILTERS = {
    "q": "text in the title, details, account or ticket link; `#12` also finds signal 12",
    "status": "comma-separated statuses",
    "source": "comma-separated sources",
    "stage": "comma-separated stage ids",
    "touchpoint": "comma-separated touchpoint ids",
    "component": "comma-separated components",
    "team": "comma-separated owner team ids; `none` for signals with no owner (triage)",
    "since": "logged on or after this day (YYYY-MM-DD, UTC)",
    "until": "logged on or before this day (YYYY-MM-DD, UTC)",
    "limit": f"signals per page, 1–{MAX_LIMIT} (default {DEFAULT_LIMIT})",
    "cursor": "the `next_cursor` of the page before",
}

SIGNED_HOOKS = {
    "/hooks/slack/commands": "Slack's /friction slash command (form-encoded, X-Slack-Signature)",
    "/hooks/slack/interactions": "Slack's Log as friction message shortcut (X-Slack-Signature)",
    "/hooks/zendesk": "a Zendesk trigger's ticket event (X-Zendesk-Webhook-Signature); ?profile= to map it",
    "/hooks/intercom": "an Intercom conversation notification (X-Hub-Signature); ?profile= to map it",
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _signal_in() -> dict[str, Any]:
    schema = SignalCreate.model_json_schema()
    schema["properties"].pop("client_token", None)
    schema["properties"]["touchpoint"] = {
        "type": "string",
        "description": "the touchpoint by name, instead of touchpoint_id (case ignored)",
    }
    schema["required"] = [field for field in schema.get("required", []) if field != "touchpoint_id"]
    schema["description"] = "The quick-entry fields. Give touchpoint_id or touchpoint."
    return schema


@cache
def openapi_document() -> dict[str, Any]:
    signal_in = _signal_in()
    defs = signal_in.pop("$defs", {})
    auth_errors = {
        "401": _error("no token, or one unknown or revoked: nothing is stored"),
        "429": _error("over the token's rate limit; `Retry-After` says in how many seconds to try again"),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CX OS intake API",
            "version": "1",
            "description": "Signals that arrive by themselves. Every accepted request is stored raw in the inbox "
            "before it is acknowledged, then becomes a signal routed as quick entry routes it.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": defs | {"SignalIn": signal_in, "Error": ERROR, "Signal": {"type": "object"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/signals": {
                "post": {
                    "summary": "Log a signal (a write token)",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "a retry with the same key returns the first signal (200), never a second",
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/SignalIn"}}
                        },
                    },
                    "responses": {
                        "201": {"description": "the new signal, with its inbox_id"},
                        "200": {
                            "description": "a retried request: the first signal (Idempotent-Replayed: true)"
                        },
                        "202": {
                            "description": "stored in the inbox; the signal follows when the store takes writes"
                        },
                        "400": _error("the body is not a JSON object"),
                        "403": _error("a read-only token"),
                        "413": _error(
                            f"body over the size limit ({config.DEFAULT_INTAKE_MAX_BODY_BYTES:,} bytes by default)"
                        ),
                        "422": _error(
                            "fields that cannot be stored, each named; with inbox_id when kept for a retry"
                        ),
                    }
                    | auth_errors,
                },
                "get": {
                    "summary": "Signals, newest first, filtered as the friction log filters them",
                    "parameters": [
                        {"name": name, "in": "query", "schema": {"type": "string"}, "description": text}
                        for name, text in FILTERS.items()
                    ],
                    "responses": {
                        "200": {"description": "`signals` and `next_cursor` (null on the last page)"},
                        "400": _error("a filter that cannot be read, each named"),
                    }
                    | auth_errors,
                },
            },
            "/hooks/json/{profile}": {
                "post": {
                    "summary": "Any JSON object, mapped by the saved import profile the path names (a write token)",
                    "parameters": [
                        {"name": "profile", "in": "path", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "schema": {"type": "string", "maxLength": 200},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "responses": {
                        "201": {"description": "the new signal, with its inbox_id"},
                        "200": {"description": "a retried request: the first signal"},
                        "422": _error(
                            "stored, but the profile could not map it: kept in the inbox for a retry"
                        ),
                    }
                    | auth_errors,
                }
            },
            **{
                path: {
                    "post": {
                        "summary": summary,
                        "security": [],
                        "description": "Signed by the sender (README: Intake API and webhooks); no bearer token.",
                        "responses": {
                            "200": {"description": "stored in the inbox and answered"},
                            "401": _error(
                                "a missing or wrong signature, or a stale timestamp: nothing is stored"
                            ),
                            "413": _error("body over the size limit"),
                        },
                    }
                }
                for path, summary in SIGNED_HOOKS.items()
            },
            "/api/v1/signals/{signal_id}": {
                "get": {
                    "summary": "One signal",
                    "parameters": [
                        {"name": "signal_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                    ],
                    "responses": {"200": {"description": "the signal"}, "404": _error("no such signal")}
                    | auth_errors,
                }
            },
        },
    }
