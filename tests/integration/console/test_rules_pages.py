"""The routing rules: everyone who reads them sees the version in force, its history and
what changed; operations edits them (a refusal names the field) and rolls back."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from fastapi.testclient import TestClient

from tests.support.fakes import FakeOrderGateway
from tests.support.http import csrf_of

HTMX = {"HX-Request": "true"}


def install(client: TestClient, text: str) -> httpx.Response:
    token = csrf_of(client.get("/console/rules").text)
    return client.post("/console/rules", data={"rules": text, "csrf_token": token}, headers=HTMX)


def edited(client: TestClient, old: str, new: str) -> str:
    page = client.get("/console/rules").text
    start = page.index('name="rules"')
    text = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    return html.unescape(text).replace(old, new, 1)


def test_ops_edits_the_rules_and_sees_what_changed(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("ops")
    answer = install(client, edited(client, "split_penalty: '3.0'", "split_penalty: '4.5'"))
    assert answer.status_code == 200
    assert answer.headers["hx-redirect"] == "/console/rules?installed=1"
    page = client.get("/console/rules?installed=1").text
    assert "Installed version 1" in page and "version 1 in force" in page
    assert "ops:test-ops" in page
    assert '<span class="del">-split_penalty: &#39;3.0&#39;</span>' in page
    assert '<span class="add">+split_penalty: &#39;4.5&#39;</span>' in page


def test_invalid_rules_are_refused_naming_the_field(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("ops")
    answer = install(client, edited(client, "max_packages: 3", "max_packages: -1"))
    assert answer.status_code == 422
    assert "max_packages" in answer.text
    assert install(client, "zones: [").status_code == 422
    assert "version 0 in force" in client.get("/console/rules").text


def test_a_rollback_installs_an_earlier_version_again(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("ops")
    install(client, edited(client, "day_cost: '0.75'", "day_cost: '2.0'"))
    token = csrf_of(client.get("/console/rules").text)
    answer = client.post("/console/rules/0/rollback", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/rules?installed=2"
    assert "day_cost: &#39;0.75&#39;" in client.get("/console/rules").text
    assert "No difference" in client.get("/console/rules?a=0&b=2").text


def test_support_reads_the_rules_but_may_not_change_them(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("support")
    page = client.get("/console/rules").text
    assert "split_penalty" in page and "<textarea" not in page and "Roll back" not in page
    assert install(client, "split_penalty: '1'").status_code == 403


def test_a_location_has_no_rules_page(signed_in: Callable[[str], TestClient]) -> None:
    assert signed_in("location").get("/console/rules").status_code == 403


def test_an_unknown_version_is_a_404(signed_in: Callable[[str], TestClient]) -> None:
    assert signed_in("support").get("/console/rules?a=0&b=7").status_code == 404


def test_a_dry_run_shows_what_the_proposal_would_change(
    signed_in: Callable[[str], TestClient], gateway: FakeOrderGateway
) -> None:
    client = signed_in("ops")
    token = csrf_of(client.get("/console/rules").text)
    costly_3pl = edited(client, "3pl: '1.75'", "3pl: '40.0'")
    answer = client.post(
        "/console/rules/dry-run",
        data={"rules": costly_3pl, "days": "2", "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 200, answer.text
    assert "2 orders of the last 2 days" in answer.text
    assert "1 order would go elsewhere" in answer.text  # A100 leaves SLC-3PL
    assert '<a href="/console/orders/A100">A100</a></td><td>SLC-3PL</td>' in answer.text
    assert "version 0 in force" in client.get("/console/rules").text  # nothing installed
    since = next(ask for kind, ask in gateway.asked if kind == "find")["placed_after"]  # type: ignore[index]
    assert 47 < (datetime.now(UTC) - since).total_seconds() / 3600 < 49


def test_a_dry_run_of_invalid_rules_names_the_field(
    signed_in: Callable[[str], TestClient],
) -> None:
    client = signed_in("ops")
    token = csrf_of(client.get("/console/rules").text)
    answer = client.post(
        "/console/rules/dry-run",
        data={"rules": edited(client, "max_packages: 3", "max_packages: x"), "csrf_token": token},
        headers=HTMX,
    )
    assert answer.status_code == 422 and "max_packages" in answer.text
    support = signed_in("support")
    token = csrf_of(support.get("/console").text)
    refused = support.post("/console/rules/dry-run", data={"rules": "", "csrf_token": token})
    assert refused.status_code == 403 and "rules:manage" in refused.text
