"""The rate limits' arithmetic on a clock the test moves: a bucket's burst, its refill,
the Retry-After it names, and who shares a bucket with whom."""

from __future__ import annotations

import pytest

from domain.access import Principal, Role
from starter.api.rate_limits import (
    MAX_BUCKETS,
    Buckets,
    Limits,
    RateLimited,
    RateLimiter,
    TokenBucket,
)
from starter.bootstrap.settings import Rate, Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


LIMITS = Limits(
    checkout=Rate(10, 20),
    location=Rate(2, 5),
    staff=Rate(5, 10),
    reads=Rate(50, 100),
    unauthenticated=Rate(1, 3),
)
WMS = Principal("wms-nwk", Role.LOCATION, "NWK-DC")
OTHER_WMS = Principal("wms-slc", Role.LOCATION, "SLC-3PL")
CHECKOUT = Principal("shop", Role.CHECKOUT)


def test_a_bucket_spends_its_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(Rate(2, 5), now=0.0)
    assert [bucket.take(0.0) for _ in range(5)] == [0.0] * 5
    assert bucket.take(0.0) == pytest.approx(0.5)  # one token every half second
    assert bucket.take(0.25) == pytest.approx(0.25)  # nothing taken while it waits
    assert bucket.take(0.5) == 0.0
    assert bucket.take(0.5) == pytest.approx(0.5)
    assert bucket.full(100.0)  # a long pause refills it to its burst, never beyond
    assert [bucket.take(100.0) for _ in range(6)][-1] > 0


def test_a_clock_that_steps_back_refills_nothing() -> None:
    bucket = TokenBucket(Rate(1, 1), now=10.0)
    assert bucket.take(10.0) == 0.0
    assert bucket.take(5.0) == pytest.approx(1.0)


def test_a_location_flood_is_refused_with_whole_seconds_to_wait_and_others_go_on() -> None:
    clock = Clock()
    limiter = RateLimiter(LIMITS, clock)
    for _ in range(5):
        limiter.charge(WMS, "POST")
    with pytest.raises(RateLimited) as refused:
        limiter.charge(WMS, "POST")
    assert refused.value.retry_after == 1  # 0.5 s rounded up: Retry-After is whole seconds
    assert "'wms-nwk' at NWK-DC" in str(refused.value)
    assert "2 a second, bursts of 5" in str(refused.value)
    limiter.charge(OTHER_WMS, "POST")  # another location's bucket is its own
    limiter.charge(CHECKOUT, "POST")
    limiter.charge(WMS, "GET")  # reads are counted apart from writes
    clock.now += refused.value.retry_after
    limiter.charge(WMS, "POST")  # after Retry-After it is accepted again


def test_the_codec_s_decoding_counts_as_reading() -> None:
    limiter = RateLimiter(LIMITS, Clock())
    staff = Principal("support", Role.SUPPORT)
    for _ in range(100):
        limiter.charge(staff, "POST", "/codec/decode")
    with pytest.raises(RateLimited):
        limiter.charge(staff, "POST", "/codec/decode")
    limiter.charge(staff, "POST", "/orders/A1/cancel")  # its writes are counted apart


def test_the_same_token_name_at_another_location_is_another_bucket() -> None:
    limiter = RateLimiter(LIMITS, Clock())
    for _ in range(5):
        limiter.charge(WMS, "POST")
    limiter.charge(Principal("wms-nwk", Role.LOCATION, "CHI-STORE"), "POST")


@pytest.mark.parametrize(
    ("principal", "method", "burst"),
    [
        (CHECKOUT, "POST", 20),
        (WMS, "POST", 5),
        (Principal("ops", Role.OPS), "PATCH", 10),
        (Principal("admin", Role.ADMIN), "DELETE", 10),
        (CHECKOUT, "GET", 100),
        (WMS, "HEAD", 100),
    ],
)
def test_each_kind_of_caller_has_its_rate(principal: Principal, method: str, burst: int) -> None:
    limiter = RateLimiter(LIMITS, Clock())
    for _ in range(burst):
        limiter.charge(principal, method)
    with pytest.raises(RateLimited):
        limiter.charge(principal, method)


def test_failed_sign_ins_are_limited_per_address_and_checked_without_taking() -> None:
    clock = Clock()
    limiter = RateLimiter(LIMITS, clock)
    limiter.check_sign_in("10.0.0.1")  # never seen: nothing to refuse
    for _ in range(3):
        limiter.check_sign_in("10.0.0.1")
        limiter.failed_sign_in("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.check_sign_in("10.0.0.1")  # before any store read
    assert refused.value.retry_after == 1
    with pytest.raises(RateLimited):
        limiter.failed_sign_in("10.0.0.1")
    limiter.failed_sign_in("10.0.0.2")  # another address is not held up
    limiter.charge(CHECKOUT, "POST")  # nor a caller with a valid token
    clock.now += 1
    limiter.check_sign_in("10.0.0.1")


def test_buckets_that_refilled_are_forgotten_when_there_are_too_many() -> None:
    clock = Clock()
    buckets = Buckets(clock)
    for n in range(MAX_BUCKETS):
        buckets.take(n, Rate(1, 2), "x")
    buckets.take("one more", Rate(1, 2), "x")  # none had refilled: none is dropped
    assert len(buckets) == MAX_BUCKETS + 1
    clock.now += 10  # all refilled: the same as never used, so the next new one drops them
    buckets.take("new", Rate(1, 2), "x")
    assert len(buckets) == 1


def test_a_slow_retry_after_is_rounded_up() -> None:
    limiter = RateLimiter(Limits(**{**LIMITS.__dict__, "location": Rate(0.1, 1)}), Clock())
    limiter.charge(WMS, "POST")
    with pytest.raises(RateLimited) as refused:
        limiter.charge(WMS, "POST")
    assert refused.value.retry_after == 10


def test_rates_are_set_as_per_second_slash_burst_and_refused_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOM_RATE_LIMIT_LOCATION", "5/10")
    monkeypatch.setenv("DOM_RATE_LIMIT_READS", "0.5/1")
    settings = Settings()
    assert settings.rate_limit_location == Rate(5, 10)
    assert settings.rate_limit_reads == Rate(0.5, 1)
    assert Limits.of(settings).checkout == Rate(100, 200)  # the default
    for wrong in ("20", "0/10", "10/0", "x/y", "nan/5", "-1/5"):
        with pytest.raises(ValueError, match="per second>/<burst>"):
            Rate.parse(wrong)
