"""An in-process stand-in for the Google Sheets v4 endpoints gspread calls, at the HTTP level, for offline tests.

It is mounted as a `requests` transport adapter on the real gspread/google-auth session, so the real client
builds real requests (URLs, A1 ranges, JSON bodies, a signed service-account JWT) and this answers them the way
Google documents: values.append with INSERT_ROWS lands after the last row of data and never over another
append, trailing empty cells are omitted from reads, a cell holds at most 50,000 characters, and more than
60 read or 60 write requests in a minute get 429 RESOURCE_EXHAUSTED. Tests can also make it fail the next
requests, or go offline (connection refused). It keeps every request in `log`, so a benchmark can count them.
It is not Google: behaviour beyond what CX OS uses (formatting, formulas, Drive) is not modelled.
"""

import base64
import json
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter

from cxos.store.sheets.a1 import A1Range, a1, parse

SHEETS_HOST = "https://sheets.googleapis.com/"
TOKEN_HOST = "https://oauth2.googleapis.com/"
IAM_HOST = "https://iamcredentials.googleapis.com/"  # google-auth asks it for a key's allowed regions
CELL_LIMIT = 50_000
QUOTA_PER_MINUTE = 60


@dataclass
class RequestRecord:
    method: str
    kind: str  # "read", "write" or "token"
    path: str
    status: int
    params: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Worksheet:
    sheet_id: int
    title: str
    rows: list[list[Any]] = field(default_factory=list)
    column_count: int = 26

    def last_data_row(self) -> int:
        for index in range(len(self.rows), 0, -1):
            if any(cell not in ("", None) for cell in self.rows[index - 1]):
                return index
        return 0


class FakeSheetsServer:
    """Spreadsheets held in memory; one lock makes each request atomic, as each API call is on Google's side."""

    def __init__(
        self,
        *,
        quota_per_minute: int = QUOTA_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
        state_file: Path | None = None,
    ):
        self.spreadsheets: dict[str, dict[str, _Worksheet]] = {}
        self.state_file = state_file
        self.log: list[RequestRecord] = []
        self.offline = False
        self.fail_token_with: int | None = None  # e.g. 400: sign-in refused
        self.offline_flag: Path | None = None  # while this file exists the server is offline too (for demos)
        self.quota_per_minute = quota_per_minute
        self._clock = clock
        self._recent: dict[str, deque[float]] = {"read": deque(), "write": deque()}
        self._failures: deque[int] = deque()
        self._tokens: set[str] = set()
        self._lock = threading.RLock()
        self._next_sheet_id = 1
        if state_file and state_file.exists():
            self._load(state_file)

    def _load(self, path: Path) -> None:
        state = json.loads(path.read_text(encoding="utf-8"))
        for spreadsheet_id, sheets in state.items():
            self.spreadsheets[spreadsheet_id] = {
                sheet["title"]: _Worksheet(sheet["sheet_id"], sheet["title"], sheet["rows"], sheet["columns"])
                for sheet in sheets
            }
            self._next_sheet_id = max([self._next_sheet_id] + [s["sheet_id"] + 1 for s in sheets])

    def _save(self, state_file: Path) -> None:
        state = {
            sid: [
                {"sheet_id": ws.sheet_id, "title": ws.title, "rows": ws.rows, "columns": ws.column_count}
                for ws in book.values()
            ]
            for sid, book in self.spreadsheets.items()
        }
        temporary = state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        temporary.replace(state_file)

    # --- set-up and inspection for tests -------------------------------------------------------------
    def create_spreadsheet(self, spreadsheet_id: str | None = None) -> str:
        spreadsheet_id = spreadsheet_id or secrets.token_urlsafe(16)
        with self._lock:
            self.spreadsheets.setdefault(spreadsheet_id, {})
        return spreadsheet_id

    def fail_next(self, count: int, status: int = 429) -> None:
        """The next `count` Sheets requests answer with `status` (429: quota exceeded; 503: unavailable)."""
        self._failures.extend([status] * count)

    def rows(self, spreadsheet_id: str, title: str) -> list[list[Any]]:
        return [list(row) for row in self.spreadsheets[spreadsheet_id][title].rows]

    def set_cell(self, spreadsheet_id: str, title: str, row: int, col: int, value: Any) -> None:
        """What a person typing into the sheet does (row and col 1-based)."""
        with self._lock:
            rows = self.spreadsheets[spreadsheet_id][title].rows
            while len(rows) < row:
                rows.append([])
            while len(rows[row - 1]) < col:
                rows[row - 1].append("")
            rows[row - 1][col - 1] = value

    def count(self, kind: str) -> int:
        return sum(1 for record in self.log if record.kind == kind and record.status == 200)

    def install(self, session: requests.Session) -> None:
        """Route a gspread/google-auth session (and its token-refresh session) to this server."""
        adapter = _Adapter(self)
        for target in (session, getattr(session, "_auth_request_session", None)):
            if target is not None:
                for host in (SHEETS_HOST, TOKEN_HOST, IAM_HOST):
                    target.mount(host, adapter)

    # --- the HTTP surface -----------------------------------------------------------------------------
    def handle(self, method: str, url: str, body: bytes | None) -> tuple[int, dict[str, Any]]:
        if self.offline or (self.offline_flag is not None and self.offline_flag.exists()):
            raise requests.ConnectionError(f"Failed to establish a new connection: {url} (fake offline)")
        parts = urlsplit(url)
        params = parse_qs(parts.query)
        if url.startswith(TOKEN_HOST):
            return self._record(method, "token", parts.path, params, self._token(body))
        if url.startswith(
            IAM_HOST
        ):  # no regional boundary lookup offline; google-auth then simply carries on
            return self._record(method, "token", parts.path, params, _error(404, "Not modelled by the fake"))
        kind = "read" if method == "GET" else "write"
        with self._lock:
            if self._failures:
                status = self._failures.popleft()
                return self._record(method, kind, parts.path, params, _error(status, "Injected failure"))
            if not self._within_quota(kind):
                return self._record(
                    method,
                    kind,
                    parts.path,
                    params,
                    _error(
                        429,
                        f"Quota exceeded for quota metric '{kind.title()} requests' and limit "
                        f"'{kind.title()} requests per minute per user'",
                    ),
                )
            try:
                payload = json.loads(body) if body else {}
                result = self._route(method, unquote(parts.path), params, payload)
            except _ApiError as error:
                result = _error(error.status, error.message)
            if self.state_file and kind == "write" and result[0] == 200:
                self._save(self.state_file)
            return self._record(method, kind, parts.path, params, result)

    def _record(
        self,
        method: str,
        kind: str,
        path: str,
        params: dict[str, list[str]],
        result: tuple[int, dict[str, Any]],
    ) -> tuple[int, dict[str, Any]]:
        self.log.append(RequestRecord(method, kind, path, result[0], params))
        return result

    def _within_quota(self, kind: str) -> bool:
        now, recent = self._clock(), self._recent[kind]
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= self.quota_per_minute:
            return False
        recent.append(now)
        return True

    def _token(self, body: bytes | None) -> tuple[int, dict[str, Any]]:
        if self.fail_token_with:  # as Google answers a revoked or unknown key
            return self.fail_token_with, {
                "error": "invalid_grant",
                "error_description": "Invalid JWT Signature.",
            }
        form = parse_qs((body or b"").decode())
        assertion = (form.get("assertion") or [""])[0]
        try:
            claims = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))
        except (IndexError, ValueError):
            return _error(400, "invalid_grant: malformed JWT assertion")
        if "spreadsheets" not in claims.get("scope", ""):
            return _error(400, "invalid_scope: the spreadsheets scope was not asked for")
        token = secrets.token_urlsafe(24)
        self._tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _route(self, method: str, path: str, params: dict, payload: dict) -> tuple[int, dict[str, Any]]:
        rest = path.removeprefix("/v4/spreadsheets/")
        spreadsheet_id, _, tail = rest.partition("/")
        spreadsheet_id, _, verb = spreadsheet_id.partition(":")
        book = self.spreadsheets.get(spreadsheet_id)
        if book is None:
            raise _ApiError(404, f"Requested entity was not found: spreadsheet {spreadsheet_id}")
        if not tail:
            if method == "GET":
                return 200, self._metadata(spreadsheet_id, book)
            if verb == "batchUpdate":
                return 200, self._batch_update(spreadsheet_id, book, payload)
        if tail == "values:batchGet":
            ranges = params.get("ranges", [])
            render = (params.get("valueRenderOption") or ["FORMATTED_VALUE"])[0]
            return 200, {
                "spreadsheetId": spreadsheet_id,
                "valueRanges": [self._read(book, text, render) for text in ranges],
            }
        if tail == "values:batchUpdate":
            _require_raw(payload.get("valueInputOption"))
            responses = [
                self._write(book, item["range"], item.get("values", [])) for item in payload.get("data", [])
            ]
            return 200, {
                "spreadsheetId": spreadsheet_id,
                "responses": responses,
                "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            }
        if tail == "values:batchClear":
            for text in payload.get("ranges", []):
                self._clear(book, text)
            return 200, {"spreadsheetId": spreadsheet_id, "clearedRanges": payload.get("ranges", [])}
        if tail.startswith("values/") and tail.endswith(":append") and method == "POST":
            _require_raw((params.get("valueInputOption") or [None])[0])
            return 200, self._append(
                spreadsheet_id,
                book,
                tail[7:-7],
                payload.get("values", []),
                (params.get("insertDataOption") or ["OVERWRITE"])[0],
            )
        if tail.startswith("values/") and method == "GET":
            render = (params.get("valueRenderOption") or ["FORMATTED_VALUE"])[0]
            return 200, self._read(book, tail[7:], render)
        raise _ApiError(404, f"The fake has no endpoint {method} {path}")

    # --- spreadsheet semantics --------------------------------------------------------------------------
    def _metadata(self, spreadsheet_id: str, book: dict[str, _Worksheet]) -> dict[str, Any]:
        return {
            "spreadsheetId": spreadsheet_id,
            "properties": {"title": spreadsheet_id},
            "sheets": [
                {
                    "properties": {
                        "sheetId": ws.sheet_id,
                        "title": ws.title,
                        "index": index,
                        "gridProperties": {
                            "rowCount": max(1000, len(ws.rows)),
                            "columnCount": ws.column_count,
                        },
                    }
                }
                for index, ws in enumerate(book.values())
            ],
        }

    def _batch_update(
        self, spreadsheet_id: str, book: dict[str, _Worksheet], payload: dict[str, Any]
    ) -> dict[str, Any]:
        replies: list[dict[str, Any]] = []
        for request in payload.get("requests", []):
            if "appendDimension" in request:
                grow = request["appendDimension"]
                sheet = next((ws for ws in book.values() if ws.sheet_id == grow.get("sheetId")), None)
                if sheet is None or grow.get("dimension") != "COLUMNS":
                    raise _ApiError(400, "The fake grows only the columns of an existing sheet")
                sheet.column_count += int(grow.get("length", 0))
                replies.append({})
                continue
            if "addSheet" not in request:
                raise _ApiError(
                    400, f"The fake supports only addSheet and appendDimension, not {sorted(request)}"
                )
            properties = request["addSheet"].get("properties", {})
            title = properties.get("title") or f"Sheet{self._next_sheet_id}"
            if title in book:
                raise _ApiError(400, f'A sheet with the name "{title}" already exists.')
            columns = properties.get("gridProperties", {}).get("columnCount", 26)
            book[title] = _Worksheet(self._next_sheet_id, title, column_count=columns)
            self._next_sheet_id += 1
            replies.append({"addSheet": {"properties": {"sheetId": book[title].sheet_id, "title": title}}})
        return {"spreadsheetId": spreadsheet_id, "replies": replies}

    def _sheet(self, book: dict[str, _Worksheet], text: str) -> tuple[_Worksheet, A1Range]:
        target = parse(text)
        if target.title not in book:
            raise _ApiError(400, f"Unable to parse range: {text}")
        return book[target.title], target

    def _read(self, book: dict[str, _Worksheet], text: str, render: str) -> dict[str, Any]:
        sheet, target = self._sheet(book, text)
        first = (target.first_row or 1) - 1
        last = target.last_row if target.last_row is not None else len(sheet.rows)
        values = []
        for row in sheet.rows[first:last]:
            cells = row[target.first_col - 1 : target.last_col]
            cells = [_render(cell, render) for cell in cells]
            while cells and cells[-1] == "":
                cells.pop()
            values.append(cells)
        while values and not values[-1]:
            values.pop()
        result: dict[str, Any] = {"range": text, "majorDimension": "ROWS"}
        if values:
            result["values"] = values
        return result

    def _write(self, book: dict[str, _Worksheet], text: str, values: list[list[Any]]) -> dict[str, Any]:
        sheet, target = self._sheet(book, text)
        start = target.first_row or 1
        _check_cells(values)
        _check_width(sheet, target.first_col, values, text)
        for offset, row in enumerate(values):
            for col_offset, value in enumerate(row):
                if value is None:  # null leaves a cell as it is, as in the API
                    continue
                self.set_cell_unlocked(sheet, start + offset, target.first_col + col_offset, value)
        return {
            "updatedRange": text,
            "updatedRows": len(values),
            "updatedCells": sum(len(row) for row in values),
        }

    def _clear(self, book: dict[str, _Worksheet], text: str) -> None:
        sheet, target = self._sheet(book, text)
        first = (target.first_row or 1) - 1
        last = target.last_row if target.last_row is not None else len(sheet.rows)
        for row in sheet.rows[first:last]:
            stop = len(row) if target.last_col is None else min(len(row), target.last_col)
            for index in range(target.first_col - 1, stop):
                row[index] = ""

    def _append(
        self,
        spreadsheet_id: str,
        book: dict[str, _Worksheet],
        text: str,
        values: list[list[Any]],
        insert: str,
    ) -> dict[str, Any]:
        sheet, target = self._sheet(book, text)
        _check_cells(values)
        _check_width(sheet, target.first_col, values, text)
        start = sheet.last_data_row() + 1
        if insert == "INSERT_ROWS":
            sheet.rows[start - 1 : start - 1] = [[] for _ in values]
        for offset, row in enumerate(values):
            for col_offset, value in enumerate(row):
                self.set_cell_unlocked(
                    sheet, start + offset, target.first_col + col_offset, "" if value is None else value
                )
        width = max((len(row) for row in values), default=1)
        updated = a1(
            sheet.title, start, target.first_col + width - 1, start + len(values) - 1, target.first_col
        )
        return {
            "spreadsheetId": spreadsheet_id,
            "tableRange": a1(sheet.title, 1, width, max(start - 1, 1)),
            "updates": {
                "spreadsheetId": spreadsheet_id,
                "updatedRange": updated,
                "updatedRows": len(values),
                "updatedColumns": width,
                "updatedCells": sum(len(row) for row in values),
            },
        }

    @staticmethod
    def set_cell_unlocked(sheet: _Worksheet, row: int, col: int, value: Any) -> None:
        while len(sheet.rows) < row:
            sheet.rows.append([])
        cells = sheet.rows[row - 1]
        while len(cells) < col:
            cells.append("")
        cells[col - 1] = value


class _ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def _error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "UNKNOWN")}
    }


def _require_raw(option: str | None) -> None:
    if option not in ("RAW", "USER_ENTERED"):
        raise _ApiError(400, "Invalid valueInputOption: must be RAW or USER_ENTERED")
    if option != "RAW":  # CX OS never asks Sheets to parse what a user typed (a formula would run)
        raise _ApiError(400, "This fake accepts RAW writes only; CX OS must never send USER_ENTERED")


def _check_cells(values: list[list[Any]]) -> None:
    for row in values:
        for value in row:
            if isinstance(value, str) and len(value) > CELL_LIMIT:
                raise _ApiError(
                    400,
                    f"Your input contains more than the maximum of {CELL_LIMIT} characters in a single cell.",
                )


def _check_width(sheet: _Worksheet, first_col: int, values: list[list[Any]], text: str) -> None:
    """Google refuses values beyond the grid's columns (rows, unlike columns, are added by append)."""
    widest = first_col - 1 + max((len(row) for row in values), default=0)
    if widest > sheet.column_count:
        raise _ApiError(400, f"Range ({text}) exceeds grid limits. Max columns: {sheet.column_count}")


def _render(cell: Any, render: str) -> Any:
    if cell is None:
        return ""
    if render == "FORMATTED_VALUE" and not isinstance(cell, str):
        return ("TRUE" if cell else "FALSE") if isinstance(cell, bool) else str(cell)
    return cell


class _Adapter(BaseAdapter):
    """requests → FakeSheetsServer; checks the bearer token as Google would."""

    def __init__(self, server: FakeSheetsServer):
        super().__init__()
        self.server = server

    def __deepcopy__(self, memo: dict[int, Any]) -> "_Adapter":
        # google-auth deep-copies the transport for its background Regional Access Boundary lookup, on every
        # request: a copy of this adapter would copy every spreadsheet. A copied session talks to the same fake.
        return self

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        # A request reaches an adapter prepared: `requests` has filled in its method and URL by then.
        method, url = request.method or "GET", request.url or ""
        body = request.body.encode() if isinstance(request.body, str) else request.body
        if url.startswith(SHEETS_HOST):
            token = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in self.server._tokens:
                return _response(request, *_error(401, "Request had invalid authentication credentials."))
        status, payload = self.server.handle(method, url, body)
        return _response(request, status, payload)

    def close(self) -> None:
        pass


def _response(request: requests.PreparedRequest, status: int, payload: dict[str, Any]) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(payload).encode()
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    return response


def service_account_info(email: str = "cxos-test@cxos-offline.iam.gserviceaccount.com") -> dict[str, str]:
    """A service-account key in Google's JSON shape, with a fresh RSA key, so the real JWT signing path runs."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "cxos-offline",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": "1",
        "token_uri": TOKEN_HOST + "token",
    }


_SHARED: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()


def shared_server(spreadsheet_id: str) -> tuple[FakeSheetsServer, dict[str, str]]:
    """One fake per process for gsheets+fake:// URLs (try the Sheets backend, or `sync`, without Google).
    With CXOS_FAKE_SHEETS_FILE set, its spreadsheets are kept in that JSON file, so several processes
    (`python -m cxos sync …`, then `streamlit run`) see the same fake sheet one after another. With
    CXOS_FAKE_SHEETS_OFFLINE_FILE set, the fake acts offline while that file exists (to show a running app
    losing its sheet: `touch` the file, then remove it)."""
    with _SHARED_LOCK:
        if "server" not in _SHARED:
            path = os.environ.get("CXOS_FAKE_SHEETS_FILE", "").strip()
            _SHARED["server"], _SHARED["key"] = (
                FakeSheetsServer(state_file=Path(path) if path else None),
                service_account_info(),
            )
            offline_flag = os.environ.get("CXOS_FAKE_SHEETS_OFFLINE_FILE", "").strip()
            _SHARED["server"].offline_flag = Path(offline_flag) if offline_flag else None
        _SHARED["server"].create_spreadsheet(spreadsheet_id)
        return _SHARED["server"], _SHARED["key"]
