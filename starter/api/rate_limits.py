"""How often a caller may ask: token buckets per token (and per client address for
callers without a valid one), answered 429 with ``Retry-After`` before the request
reaches Temporal or the store.

A flood from one caller (a WMS retrying on every timeout, a checkout in a loop, a token
guesser) must not become a flood of Temporal updates or database reads that every other
caller waits behind. The defaults are far above what a busy real warehouse or checkout
sends, so only a misbehaving one ever sees a 429.

The buckets live in the API process's memory: with N API processes behind a balancer
the effective limit is N times the configured one (docs/security.md, "Limits").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from domain.access import Principal, Role
from starter.bootstrap.settings import Rate, Settings

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# POSTs that change nothing: the Temporal UI's payload decoding (a page of history may
# send many at once) counts as reading.
READ_PATHS = ("/codec/",)
MAX_BUCKETS = 10_000  # past this, buckets that have refilled are dropped (nothing is lost)


class RateLimited(Exception):
    """Too many requests from one caller: answered 429, ``retry_after`` whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TokenBucket:
    """``burst`` tokens, refilled at ``per_second``; a request takes one."""

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self._tokens = float(rate.burst)
        self._stamp = now

    def _refill(self, now: float) -> None:
        elapsed = max(now - self._stamp, 0.0)  # a clock that steps back refills nothing
        self._tokens = min(self.rate.burst, self._tokens + elapsed * self.rate.per_second)
        self._stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: one is there now); takes nothing."""
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate.per_second

    def take(self, now: float) -> float:
        """Take a token: 0 when taken, else the seconds until one is there (none taken)."""
        waited = self.wait(now)
        if waited == 0:
            self._tokens -= 1
        return waited

    def full(self, now: float) -> bool:
        """Refilled to its burst: the same as a bucket never used."""
        self._refill(now)
        return self._tokens >= self.rate.burst


class Buckets:
    """A bucket per key, made on first use. Used from the event loop only (no lock)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[Hashable, TokenBucket] = {}

    def take(self, key: Hashable, rate: Rate, what: str) -> None:
        """Take a token from ``key``'s bucket; ``RateLimited`` when it is empty."""
        self._refuse_if(self._bucket(key, rate).take(self._clock()), rate, what)

    def check(self, key: Hashable, rate: Rate, what: str) -> None:
        """``RateLimited`` if ``key``'s bucket is empty; takes nothing."""
        bucket = self._buckets.get(key)
        if bucket is not None:
            self._refuse_if(bucket.wait(self._clock()), rate, what)

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, key: Hashable, rate: Rate) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full()
            bucket = self._buckets[key] = TokenBucket(rate, self._clock())
        return bucket

    def _forget_full(self) -> None:
        now = self._clock()
        for key in [k for k, b in self._buckets.items() if b.full(now)]:
            del self._buckets[key]

    @staticmethod
    def _refuse_if(wait: float, rate: Rate, what: str) -> None:
        if wait > 0:
            raise RateLimited(
                f"too many {what} (the limit is {rate.per_second:g} a second, "
                f"bursts of {rate.burst}); send it again after Retry-After seconds",
                retry_after=max(1, math.ceil(wait)),
            )


@dataclass(frozen=True)
class Limits:
    """The rates, per kind of caller (settings ``DOM_RATE_LIMIT_*``)."""

    checkout: Rate
    location: Rate
    staff: Rate  # support, ops, admin and metrics tokens' writes
    reads: Rate  # any token's GETs
    unauthenticated: Rate  # requests without a valid token, per client address

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            checkout=settings.rate_limit_checkout,
            location=settings.rate_limit_location,
            staff=settings.rate_limit_staff,
            reads=settings.rate_limit_reads,
            unauthenticated=settings.rate_limit_unauthenticated,
        )


class RateLimiter:
    """Who may ask now: a caller's token (reads and writes apart; a location token's
    bucket is also keyed by its location), and a client address's failed sign-ins."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._buckets = Buckets(clock)

    def charge(self, principal: Principal, method: str, path: str = "") -> None:
        """A request by ``principal``: ``RateLimited`` if its bucket is empty."""
        reading = method.upper() in READ_METHODS or path.startswith(READ_PATHS)
        if reading:
            rate = self.limits.reads
        elif principal.role is Role.CHECKOUT:
            rate = self.limits.checkout
        elif principal.role is Role.LOCATION:
            rate = self.limits.location
        else:
            rate = self.limits.staff
        key = ("read" if reading else "write", principal.name, principal.location_id)
        who = f"requests from the token {principal.name!r}"
        if principal.location_id is not None:
            who += f" at {principal.location_id}"
        self._buckets.take(key, rate, who)

    def check_sign_in(self, address: str) -> None:
        """Before a token is looked up in the store: ``RateLimited`` if ``address`` has
        used up its failed sign-ins (a guesser costs no database read)."""
        self._buckets.check(("unauthenticated", address), self.limits.unauthenticated,
                           f"requests without a valid token from {address}")  # fmt: skip

    def failed_sign_in(self, address: str) -> None:
        """A request from ``address`` without a valid token: ``RateLimited`` once too many."""
        self._buckets.take(("unauthenticated", address), self.limits.unauthenticated,
                          f"requests without a valid token from {address}")  # fmt: skip
