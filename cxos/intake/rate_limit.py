"""A rate limit per integration token: a token bucket, refilled continuously, held in this process."""

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """`per_minute` requests a minute per key, with a burst of up to a minute's worth.

    Held in memory, per process: a replica has its own bucket, so N replicas allow N times the rate, which is
    what a limit meant to keep one runaway integration from drowning the store needs.
    """

    def __init__(self, per_minute: int, *, monotonic: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self._rate = per_minute / 60.0  # tokens per second
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[object, tuple[float, float]] = {}  # key → (tokens left, when counted)

    def take(self, key: object) -> float:
        """Take one request's turn: 0 when allowed, else the seconds until the next one is (Retry-After)."""
        now = self._monotonic()
        with self._lock:
            tokens, counted = self._buckets.get(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - counted) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self._rate

    @staticmethod
    def retry_after(wait_s: float) -> str:
        """The Retry-After header's value: whole seconds, at least one."""
        return str(max(1, math.ceil(wait_s)))
