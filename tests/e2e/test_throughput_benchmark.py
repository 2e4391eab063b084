"""``benchmarks/throughput.py`` still runs end to end: a handful of orders through every
phase, the stacks' checked afterwards. Speed is not asserted here (benchmarks report
figures; tests do not time things), only that the script works and measures what it says."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from adapters.locations.webhook import WebhookAdapter
from adapters.webhook_urls import WebhookPolicy
from domain.checkout import ShipTo
from domain.models import DEFAULT_SLA, WebhookAdapterConfig
from domain.orders import FulfillmentRequest
from domain.routing.types import RoutingLine
from starter.bootstrap.dev_server import free_port

ROOT = Path(__file__).resolve().parents[2]
ORDERS, WARMUP = 6, 2
# The 3PL below answers at http://3pl/ (in process); an operator would allow it the same way.
THE_3PL_ALLOWED = WebhookPolicy.of("development", ["3pl"])


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    """One run of every phase, shared by the tests below: (its stdout, its JSON)."""
    out = tmp_path_factory.mktemp("throughput") / "figures.json"
    command = [
        sys.executable, str(ROOT / "benchmarks" / "throughput.py"),
        "--orders", str(ORDERS), "--warmup", str(WARMUP), "--concurrency", "3", "--rounds", "2",
        "--shaped", "--http", "--json", str(out),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=420)
    # Exit 1 also when a valid call got an answer it should never get (a 409 or a 500 to
    # an event): the figures are written first, and the output says which.
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout, json.loads(out.read_text())


def test_the_throughput_benchmark_runs_every_phase_and_reports_its_ratios(
    benchmark: tuple[str, dict],
) -> None:
    stdout, figures = benchmark
    for phase in ("bare", "shaped", "stack", "http"):
        assert figures[phase]["orders_per_second"] > 0, phase
        p50, p90, p99 = (figures[phase][f"p{q}_ms"] for q in (50, 90, 99))
        assert 0 < p50 <= p90 <= p99, phase
        cpu = figures[phase]["cpu_ms_per_order"]
        assert cpu["server"] > 0 and cpu["worker"] > 0, phase
    # Every order on the benchmark network (ample stock everywhere) ships as one package.
    assert figures["stack"]["packages_per_order"] == [1]
    assert figures["http"]["packages_per_order"] == [1]
    stack, bare, shaped, http = (
        figures[p]["orders_per_second"] for p in ("stack", "bare", "shaped", "http")
    )
    assert figures["ratio"] == pytest.approx(stack / bare, abs=0.01)
    assert figures["ratio_to_shaped"] == pytest.approx(stack / shaped, abs=0.01)
    assert figures["shape_cost"] == pytest.approx(shaped / bare, abs=0.01)
    assert figures["http_ratio"] == pytest.approx(http / bare, abs=0.01)
    cpu = {p: figures[p]["cpu_ms_per_order"] for p in ("bare", "http")}
    own = {p: sum(ms for who, ms in cpu[p].items() if who != "driver") for p in cpu}
    assert set(cpu["http"]) == {"server", "worker", "api", "driver"}
    assert figures["http_cpu_ratio"] == pytest.approx(own["bare"] / own["http"], abs=0.01)
    for line in ("stack / bare:", "stack / shaped:", "http / bare:"):
        assert line in stdout


def test_the_http_phase_ran_in_parts_and_counted_every_call(benchmark: tuple[str, dict]) -> None:
    """The stack ran as ``dom worker`` and ``dom api`` (their CPU read apart), the 3PL got
    one fulfillment request per order and reported four events for each, and every call
    the integration made is in the tally, none answered with an error."""
    _, figures = benchmark
    assert figures["http_stack"] == "parts"
    http = figures["http"]
    assert http["cpu_ms_per_order"]["api"] > 0 and http["cpu_ms_per_order"]["driver"] > 0
    assert "api" not in figures["stack"]["cpu_ms_per_order"]  # dom up: one process
    placed = ORDERS + WARMUP
    assert http["fulfillment_requests"] - http["repeated_requests"] == placed
    assert http["cancels"] == 0
    answers = http["answers"]
    ok = {
        kind: sum(n for s, n in counts.items() if s.startswith("2"))
        for kind, counts in answers.items()
    }
    # A call resent after a dropped connection may be answered twice (idempotent, both 2xx).
    resent = {kind: counts.get("transport error", 0) for kind, counts in answers.items()}
    placed_answers = answers["orders"].get("202", 0)  # 202 placed; 200 to a resent POST
    assert placed - resent["orders"] <= placed_answers <= placed
    assert 4 * placed <= ok["events"] <= 4 * placed + resent["events"]  # accepted ... shipped
    assert ok["polls"] >= placed  # at least the poll that found each order shipped
    assert http["polls_per_order"] == pytest.approx(
        sum(answers["polls"].values()) / placed, abs=0.01
    )
    for kind, others in http["non_2xx"].items():
        assert others == {s: n for s, n in answers[kind].items() if not s.startswith("2")}
    for kind, times in http["answer_ms"].items():
        assert 0 < times["p50"] <= times["p90"] <= times["p99"], kind
    assert http["errors"] == 0 and http["first_errors"] == []


# --- the benchmark's 3PL on its own (fast: no stack, no server) ---------------------------


@pytest.fixture
def webhook_3pl(monkeypatch: pytest.MonkeyPatch):
    """``benchmarks/webhook_3pl.py`` as a module, with no back-off between retries."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import webhook_3pl

    monkeypatch.setattr(webhook_3pl, "BACKOFF_SECONDS", 0)
    return webhook_3pl


def _fulfillment_request(delivery: str = "ship") -> FulfillmentRequest:
    return FulfillmentRequest(
        fulfillment_id="B1-F1",
        order_id="B1",
        location_id="SLC-3PL",
        lines=[RoutingLine(sku="SKIN-SERUM", quantity=2)],
        ship_to=ShipTo(postal_code="80202", name="Dana"),
        customer_name="Dana Denver",
        service_level="ground",
        delivery=delivery,
        sla=DEFAULT_SLA,
    )


async def test_the_3pl_retries_a_503_as_asked_and_reports_a_409_or_500_as_an_error(
    webhook_3pl,
) -> None:
    statuses = iter([(503, {"Retry-After": "0"}), (409, {}), (500, {}), (202, {})])

    def api(request: httpx.Request) -> httpx.Response:
        status, headers = next(statuses)
        return httpx.Response(status, headers=headers, json={"message": "fulfillment is busy"})

    tally = webhook_3pl.Tally()
    async with httpx.AsyncClient(transport=httpx.MockTransport(api), base_url="http://api") as http:
        answer = await webhook_3pl.send(http, tally, "events", "POST", "/e", json={})

    assert answer.status_code == 202
    assert tally.answers["events"] == {"503": 1, "409": 1, "500": 1, "202": 1}
    assert tally.non_2xx("events") == {"409": 1, "500": 1, "503": 1}
    assert [e.split()[0] for e in tally.errors] == ["409", "500"]  # a 503 is no error
    [retried] = tally.retried  # kept, with the answer's body, to say why
    assert retried.startswith("503 on POST /e:") and "fulfillment is busy" in retried
    assert tally.as_json()["errors"] == 2
    assert len(tally.waits["events"]) == 4  # every answer timed


@pytest.mark.parametrize(
    ("delivery", "steps"),
    [
        ("ship", ["accepted", "picked", "packed", "shipped"]),
        ("pickup", ["accepted", "picked", "ready_for_pickup", "picked_up"]),
    ],
)
async def test_the_3pl_answers_the_stacks_webhook_then_reports_each_step_once(
    webhook_3pl, delivery: str, steps: list[str]
) -> None:
    """Fed by Switchyard's own webhook adapter: the signature checks out, a retried
    dispatch (same key) is answered and played once, every event has its ``event_id``."""
    reported: list[tuple[str, dict]] = []
    done = asyncio.Event()

    def api(request: httpx.Request) -> httpx.Response:
        reported.append((request.url.path, json.loads(request.content)))
        if len(reported) == len(steps):
            done.set()
        return httpx.Response(202, json={})

    tally = webhook_3pl.Tally()
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(api), base_url="http://api"
    ) as to_api:
        locations = webhook_3pl.WebhookLocations(to_api, tally, secret="s3cret", seed=1)
        to_3pl = httpx.AsyncClient(transport=httpx.ASGITransport(app=locations))
        config = WebhookAdapterConfig(url="http://3pl/SLC-3PL", secret="s3cret")
        adapter = WebhookAdapter(config, to_3pl, THE_3PL_ALLOWED)
        for _ in range(2):  # the activity retried: the same key again
            await adapter.dispatch(_fulfillment_request(delivery), idempotency_key="B1-F1:dispatch")
        await asyncio.wait_for(done.wait(), timeout=10)
        unsigned = await to_3pl.post("http://3pl/SLC-3PL", json={"type": "fulfillment.requested"})
        await to_3pl.aclose()
        await locations.close()

    path = "/locations/SLC-3PL/fulfillments/B1-F1/events"
    assert [(p, e["type"], e["event_id"]) for p, e in reported] == [
        (path, step, f"B1-F1:{step}") for step in steps
    ]
    assert (tally.requests_received, tally.repeated_requests) == (2, 1)
    assert unsigned.status_code == 400 and len(tally.errors) == 1  # no key, no signature


async def test_the_3pl_gives_up_a_package_whose_event_is_refused_for_good(webhook_3pl) -> None:
    """A 404 is final: the 3PL stops that package and says so, so its order's poll fails
    at once instead of waiting out the deadline."""

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"message": "no fulfillment 'B1-F1'"})

    tally = webhook_3pl.Tally()
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(api), base_url="http://api"
    ) as to_api:
        locations = webhook_3pl.WebhookLocations(to_api, tally, secret="s3cret", seed=1)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=locations)) as to_3pl:
            config = WebhookAdapterConfig(url="http://3pl/SLC-3PL", secret="s3cret")
            await WebhookAdapter(config, to_3pl, THE_3PL_ALLOWED).dispatch(
                _fulfillment_request(), idempotency_key="B1-F1:dispatch"
            )
        for _ in range(100):
            if locations.given_up:
                break
            await asyncio.sleep(0.01)
        await locations.close()

    assert "404 for accepted" in locations.given_up["B1-F1"]
    assert tally.answers["events"] == {"404": 1} and len(tally.errors) == 1


# --- the driver's HTTP client (real sockets, a real uvicorn) -------------------------------


async def test_the_drivers_client_keeps_connections_alive_and_survives_a_closed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``benchmarks/lean_http.py`` against uvicorn: JSON both ways, headers, statuses,
    connections reused, and a connection the server closed while idle replaced at once."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import lean_http
    import uvicorn
    from webhook_3pl import read_body

    peers: list[tuple[str, int]] = []

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        peers.append(scope["client"])
        body = await read_body(receive)
        headers = dict(scope["headers"])
        answer = json.dumps(
            {"path": scope["path"], "query": scope["query_string"].decode(),
             "auth": headers.get(b"authorization", b"").decode(),
             "got": json.loads(body) if body else None}
        ).encode()  # fmt: skip
        status = 503 if scope["path"] == "/busy" else 200
        await send(
            {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json"), (b"retry-after", b"2")]}
        )  # fmt: skip
        await send({"type": "http.response.body", "body": answer})

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, port=port, log_level="warning", lifespan="off", timeout_keep_alive=1)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn sets a flag, no event)
        await asyncio.sleep(0.01)
    try:
        async with lean_http.Client(
            f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer t"}, max_connections=2
        ) as http:
            first = await http.post("/orders?x=1", json={"order_id": "A-1"})
            second = await http.get("/orders/A-1")
            busy = await http.get("/busy")
            await asyncio.sleep(1.5)  # past uvicorn's keep-alive: it closes the idle one
            after = await http.get("/again")
        with pytest.raises(lean_http.TransportError):
            async with lean_http.Client(f"http://127.0.0.1:{free_port()}") as nowhere:
                await nowhere.get("/")
    finally:
        server.should_exit = True
        await serving

    assert first.is_success and first.json() == {
        "path": "/orders", "query": "x=1", "auth": "Bearer t", "got": {"order_id": "A-1"}
    }  # fmt: skip
    assert second.json()["got"] is None and second.json()["path"] == "/orders/A-1"
    assert busy.status_code == 503 and busy.headers.get("Retry-After") == "2"
    with pytest.raises(lean_http.HTTPStatusError):
        busy.raise_for_status()
    assert after.json()["path"] == "/again"
    assert peers[0] == peers[1] == peers[2]  # one connection, kept alive
    assert peers[3] != peers[0]  # a fresh one after the server closed it
