"""The rate limit per token: a minute's worth in a burst, then one request per 60/N seconds."""

from cxos.intake.rate_limit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_past_the_limit_is_told_when_to_come_back():
    clock = FakeTime()
    limiter = RateLimiter(6, monotonic=clock)  # 6 a minute: one every 10 s
    assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
    wait = limiter.take("a")
    assert wait == 10.0 and RateLimiter.retry_after(wait) == "10"
    clock.now += 10
    assert limiter.take("a") == 0.0


def test_each_token_has_its_own_bucket():
    limiter = RateLimiter(1, monotonic=FakeTime())
    assert limiter.take("a") == 0.0 and limiter.take("a") > 0
    assert limiter.take("b") == 0.0


def test_retry_after_is_at_least_one_whole_second():
    assert RateLimiter.retry_after(0.01) == "1" and RateLimiter.retry_after(2.1) == "3"
