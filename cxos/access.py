"""Who may reach the app without single sign-on: this computer only, unless a shared access code is set.

Local mode (no `[auth]` in `.streamlit/secrets.toml`) trusts a typed display name, which is only safe for
the person at the keyboard. So a request from anywhere else, or relayed by a proxy, must give the access
code (`CXOS_ACCESS_CODE`) before it gets a name at all, and without a code it is refused. `make run`
calls `python -m cxos serve-check ADDRESS` first, which refuses to serve beyond this computer unprotected.
"""

import hmac
import ipaddress
import os
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from cxos.config import PROJECT_ROOT

ACCESS_CODE_SETTING = "CXOS_ACCESS_CODE"
MIN_CODE_CHARS = 8
# Headers a reverse proxy adds to say whom it relays; their presence means the TCP peer is not the person.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host", "x-client-ip")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
SECRETS_FILES = (PROJECT_ROOT / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")


def access_code() -> str | None:
    """The shared code people off this computer must give, or None when none is set (or it is too short)."""
    code = os.environ.get(ACCESS_CODE_SETTING, "").strip()
    return code if len(code) >= MIN_CODE_CHARS else None


def code_matches(given: str, expected: str) -> bool:
    """Compare in constant time, so the time a refusal takes says nothing about how much of the code was right."""
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def is_loopback_host(host: str) -> bool:
    """Whether an address or host name (a Host header, a bind address) is this computer only."""
    name = host.strip().lower().rstrip(".")
    if name.startswith("["):  # "[::1]:8501"
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:  # "localhost:8501"
        name = name.split(":", 1)[0]
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def request_is_local(peer_is_loopback: bool, headers: Mapping[str, str]) -> bool:
    """Whether a request comes from a browser on this computer: a loopback peer, no proxy relaying someone
    else, and a Host that names this computer (a page of another site rebinding its name to 127.0.0.1 is not)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if not peer_is_loopback or any(lowered.get(name) for name in FORWARDING_HEADERS):
        return False
    host = lowered.get("host", "")
    return not host or is_loopback_host(host)


def oidc_configured(files: tuple[Path, ...] = SECRETS_FILES) -> bool:
    """Whether single sign-on is set up: an `[auth]` table in a secrets file Streamlit reads."""
    for path in files:
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
    return False


def serving_refusal(address: str, *, oidc: bool, code: str | None) -> str | None:
    """Why the app must not listen on `address` as configured, or None when it may."""
    if is_loopback_host(address) or oidc or code:
        return None
    return (
        f"Refusing to serve CX OS on {address}: in local mode anyone who reaches the port types a name and is "
        f"that person. Set {ACCESS_CODE_SETTING} (at least {MIN_CODE_CHARS} characters) or configure single "
        "sign-on ([auth] in .streamlit/secrets.toml); see README, 'Serving it to others'."
    )


class GuessLimiter:
    """Wrong access-code guesses, counted across every session of the process.

    A pause per wrong guess slows one session only; a script opens a new session per guess. So: at most
    `per_address` wrong guesses from one address, and `overall` from everyone (addresses are cheap to change),
    in any `window_s`; beyond that, guesses are refused unread until the oldest one leaves the window.
    """

    def __init__(
        self,
        *,
        per_address: int = 5,
        overall: int = 30,
        window_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_address, self.overall, self.window_s, self._clock = per_address, overall, window_s, clock
        self._wrong: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def wait_s(self, address: str) -> float:
        """Seconds until `address` may guess again; 0 when it may now."""
        with self._lock:
            now = self._clock()
            self._forget_before(now - self.window_s)
            mine = [at for at, who in self._wrong if who == address]
            waits = [0.0]
            if len(mine) >= self.per_address:
                waits.append(mine[-self.per_address] + self.window_s - now)
            if len(self._wrong) >= self.overall:
                waits.append(self._wrong[-self.overall][0] + self.window_s - now)
            return max(waits)

    def wrong_guess(self, address: str) -> None:
        with self._lock:
            self._wrong.append((self._clock(), address))

    def _forget_before(self, cutoff: float) -> None:
        while self._wrong and self._wrong[0][0] < cutoff:
            self._wrong.popleft()


GUESSES = GuessLimiter()  # one per process: every session of this server shares it
