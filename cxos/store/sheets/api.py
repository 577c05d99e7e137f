"""The few Sheets v4 calls CX OS makes, through gspread's HTTP client, with back-off on 429 and clear failures.

Google allows 60 read and 60 write requests per minute per user. Every call here is one request; the store
batches so that a whole change (a signal and its events) is one append per table plus at most one update.
"""

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import gspread
import requests
from google.auth.exceptions import RefreshError, TransportError
from gspread.exceptions import APIError

from cxos.errors import CxosError
from cxos.store.sheets.a1 import a1, parse

RETRYABLE = {408, 429, 500, 502, 503, 504}


class SheetsUnavailable(CxosError):
    """Sheets could not be reached, or kept answering 429/5xx through every retry."""

    def __init__(self, message: str, *, quota: bool = False):
        super().__init__(message)
        self.quota = quota


class SheetsRefused(CxosError):
    """Sheets answered with an error retrying will not fix (no access, no such spreadsheet, a bad range)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Waits between attempts; the last failure is raised. The foreground policy gives up within ~3 s so a
    person is told "queued" quickly; queued writes are retried later on their own schedule."""

    waits: tuple[float, ...] = (1.0, 2.0)
    max_wait: float = 30.0


FOREGROUND = RetryPolicy()


class SheetsApi:
    """One spreadsheet. `requests_made` counts every request sent (retries included), for the benchmark."""

    def __init__(
        self,
        http: gspread.HTTPClient,
        spreadsheet_id: str,
        *,
        retry: RetryPolicy = FOREGROUND,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.http, self.spreadsheet_id, self.retry, self.sleep = http, spreadsheet_id, retry, sleep
        self.requests_made = 0

    def worksheet_titles(self) -> list[str]:
        return list(self.worksheets())

    def worksheets(self) -> dict[str, tuple[int, int]]:
        """Each worksheet's title → (sheetId, number of columns in its grid)."""
        metadata = self._call(lambda: self.http.fetch_sheet_metadata(self.spreadsheet_id))
        return {
            sheet["properties"]["title"]: (
                sheet["properties"]["sheetId"],
                sheet["properties"].get("gridProperties", {}).get("columnCount", 26),
            )
            for sheet in metadata.get("sheets", [])
        }

    def add_columns(self, widths: dict[int, int]) -> None:
        """Grow worksheets (sheetId → columns to add) so a longer header fits: Google refuses values beyond
        the grid's last column."""
        body = {
            "requests": [
                {"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": extra}}
                for sheet_id, extra in widths.items()
            ]
        }
        self._call(lambda: self.http.batch_update(self.spreadsheet_id, body))

    def add_worksheets(self, titles: list[str], *, columns: int) -> None:
        body = {
            "requests": [
                {
                    "addSheet": {
                        "properties": {
                            "title": title,
                            "gridProperties": {"rowCount": 1000, "columnCount": columns},
                        }
                    }
                }
                for title in titles
            ]
        }
        self._call(lambda: self.http.batch_update(self.spreadsheet_id, body))

    def read(self, ranges: list[str], *, render: str = "UNFORMATTED_VALUE") -> list[list[list[Any]]]:
        """The cells of each range (rows of values, trailing blanks omitted), in one request. `render` is
        FORMATTED_VALUE for a sheet people type into: every cell as text, dates as they see them."""
        params = {
            "valueRenderOption": render,
            "dateTimeRenderOption": "FORMATTED_STRING",
            "majorDimension": "ROWS",
        }
        result = self._call(lambda: self.http.values_batch_get(self.spreadsheet_id, ranges, dict(params)))
        return [value_range.get("values", []) for value_range in result.get("valueRanges", [])]

    def update(self, data: list[tuple[str, list[list[Any]]]]) -> None:
        """Overwrite the given ranges, RAW, in one request."""
        body = {"valueInputOption": "RAW", "data": [{"range": rng, "values": values} for rng, values in data]}
        self._call(lambda: self.http.values_batch_update(self.spreadsheet_id, body))

    def append(self, title: str, rows: list[list[Any]]) -> int:
        """Add rows after the last row of data, inserting rows so nothing is overwritten; returns the first
        row number they landed on (another writer's append at the same moment lands before or after)."""
        params = {
            "valueInputOption": "RAW",
            "insertDataOption": "INSERT_ROWS",
            "includeValuesInResponse": "false",
        }
        width = max(len(row) for row in rows)
        result = self._call(
            lambda: self.http.values_append(
                self.spreadsheet_id, a1(title, 1, width, 1), dict(params), {"values": rows}
            )
        )
        landed = parse(result["updates"]["updatedRange"])
        return landed.first_row or 1

    def _call(self, request: Callable[[], Any]) -> Any:
        waits = list(self.retry.waits)
        while True:
            self.requests_made += 1
            try:
                return request()
            except APIError as error:
                status = error.response.status_code
                if status not in RETRYABLE:
                    raise SheetsRefused(_api_message(error)) from error
                if not waits:
                    raise SheetsUnavailable(
                        _unavailable_message(status, error), quota=status == 429
                    ) from error
                self.sleep(min(_retry_after(error) or waits.pop(0), self.retry.max_wait))
            except (
                RefreshError
            ) as error:  # Google refused the key itself (revoked, wrong project, clock skew)
                raise SheetsRefused(f"Google refused the service account's sign-in: {error}") from error
            except (requests.RequestException, TransportError) as error:  # no answer, from Sheets or sign-in
                if not waits:
                    raise SheetsUnavailable(
                        f"Google Sheets cannot be reached ({type(error).__name__})."
                    ) from error
                self.sleep(waits.pop(0))


def _api_message(error: APIError) -> str:
    try:
        message = error.response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = error.response.text[:200]
    return f"Google Sheets refused the request ({error.response.status_code}): {message}"


def _unavailable_message(status: int, error: APIError) -> str:
    if status == 429:
        return "Google Sheets' quota (60 writes and 60 reads a minute) is used up for now."
    return f"Google Sheets is not answering ({status})."


def _retry_after(error: APIError) -> float | None:
    value = error.response.headers.get("Retry-After", "")
    return float(value) if value.replace(".", "", 1).isdigit() else None


def load_service_account(explicit: dict[str, Any] | None = None) -> dict[str, Any]:
    """The service-account key: given (the app passes st.secrets["gcp_service_account"]), or the JSON file named
    by CXOS_SHEETS_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS."""
    if explicit:
        return dict(explicit)
    for variable in ("CXOS_SHEETS_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"):
        path = os.environ.get(variable, "").strip()
        if path:
            try:
                return json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise SheetsRefused(
                    f"{variable} names {path}, which is not a readable service-account key ({error})."
                ) from None
    raise SheetsRefused(
        "No Google service account: put its key under [gcp_service_account] in "
        ".streamlit/secrets.toml, or name its JSON file in CXOS_SHEETS_CREDENTIALS."
    )


class Transport(Protocol):
    """Somewhere other than Google that answers the real client's HTTP requests (the offline fake)."""

    def install(self, session: requests.Session) -> None: ...


def connect(
    spreadsheet_id: str,
    service_account: dict[str, Any],
    *,
    transport: Transport | None = None,
    retry: RetryPolicy = FOREGROUND,
    sleep: Callable[[float], None] = time.sleep,
) -> SheetsApi:
    """A client for one spreadsheet, signed in as the service account. `transport` (a fake server with an
    `install(session)` method) routes the real client's HTTP requests somewhere other than Google."""
    try:
        client = gspread.service_account_from_dict(service_account)
    except (ValueError, KeyError) as error:
        raise SheetsRefused(f"The service-account key is not usable ({error}).") from None
    if transport is not None:
        transport.install(client.http_client.session)
    client.http_client.set_timeout(30)
    return SheetsApi(client.http_client, spreadsheet_id, retry=retry, sleep=sleep)
