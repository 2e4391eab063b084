"""Roles and rights, token grants and lifetimes (plain Python, no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.access import (
    RIGHTS,
    InvalidToken,
    NotAllowed,
    Principal,
    Right,
    Role,
    TokenGrant,
    digest,
    looks_like_token,
    new_token,
    parse_lifetime,
)
from domain.errors import UnknownLocation


def test_each_role_holds_what_the_issue_gives_it() -> None:
    assert RIGHTS[Role.CHECKOUT] == {Right.PLACE_ORDERS, Right.PROMISE}
    assert Right.CANCEL_ORDERS in RIGHTS[Role.SUPPORT]
    assert Right.REROUTE_ORDERS not in RIGHTS[Role.SUPPORT]
    assert RIGHTS[Role.SUPPORT] < RIGHTS[Role.OPS] < RIGHTS[Role.ADMIN]
    assert Right.MANAGE_TOKENS in RIGHTS[Role.ADMIN] - RIGHTS[Role.OPS]
    assert Right.PLACE_ORDERS not in RIGHTS[Role.OPS]  # orders come from checkout
    assert RIGHTS[Role.ADMIN] == frozenset(Right)


def test_a_location_acts_only_where_it_is_bound() -> None:
    store = Principal("chi-bot", Role.LOCATION, "CHI")
    store.check(Right.REPORT_EVENTS, "CHI")
    with pytest.raises(UnknownLocation, match="unknown location 'NYC'"):
        store.check(Right.REPORT_EVENTS, "NYC")
    with pytest.raises(NotAllowed):
        store.check(Right.READ_INVENTORY)  # network-wide
    with pytest.raises(NotAllowed):
        store.check(Right.REPORT_EVENTS)  # a right with no location named
    with pytest.raises(NotAllowed):
        store.check(Right.ADJUST_STOCK, "CHI")  # not its role's, even at home
    assert store.sees("CHI") and not store.sees("NYC")
    assert store.actor == "location:chi-bot"


def test_other_roles_are_not_scoped_by_location() -> None:
    ops = Principal("ana", Role.OPS)
    ops.check(Right.REPORT_EVENTS, "NYC")
    assert ops.sees("anything")
    with pytest.raises(NotAllowed, match="the ops role may not do this"):
        ops.check(Right.MANAGE_TOKENS)


def test_a_grant_checks_its_name_and_location_binding() -> None:
    TokenGrant("desk.kim@acme", Role.SUPPORT)
    with pytest.raises(InvalidToken, match="token name"):
        TokenGrant("has space", Role.SUPPORT)
    with pytest.raises(InvalidToken, match="needs --location"):
        TokenGrant("store", Role.LOCATION)
    with pytest.raises(InvalidToken, match="needs --location"):
        TokenGrant("ops", Role.OPS, "CHI")


def test_tokens_are_long_random_and_kept_only_as_digests() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert looks_like_token(token) and len(token) == 46  # sy_ + 256 bits in base64url
    assert digest(token) != token and len(digest(token)) == 64
    assert not looks_like_token("sy_short") and not looks_like_token("Bearer " + token)


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
     ("90m", timedelta(minutes=90))],
)  # fmt: skip
def test_lifetimes_read_as_people_write_them(text: str, lifetime: timedelta) -> None:
    assert parse_lifetime(text) == lifetime


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "1y", "-3d"])
def test_a_lifetime_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(InvalidToken):
        parse_lifetime(text)
