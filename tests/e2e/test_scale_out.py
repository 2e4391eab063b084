"""Scaled out as production runs it: two ``dom worker`` and two ``dom api`` processes on
one Temporal server and one PostgreSQL database, the APIs behind a round-robin balancer.
Every answer must be the one a single process would give: orders placed through one API
are read, searched and worked through the other; a token issued or revoked on one is
honoured by the other; a repeated event is a repeat whichever process it reaches."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from starter.bootstrap.dev_server import EmbeddedTemporal, free_port
from starter.bootstrap.keys import fresh_environment
from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import wait_for
from tests.support.keys import ADMIN, ADMIN_TOKEN
from tests.support.tcp import RoundRobin

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
DOM = [sys.executable, "-m", "starter.cli"]


@dataclass
class Cluster:
    apis: list[str]
    balancer: RoundRobin

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.balancer.port}"

    def client(self, headers: dict[str, str] = ADMIN, base: str | None = None) -> httpx.Client:
        """A fresh connection per request, so the balancer alternates between the APIs."""
        return httpx.Client(
            base_url=base or self.url,
            headers=headers,
            timeout=30,
            limits=httpx.Limits(max_keepalive_connections=0),
        )


def _wait(check, what: str, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("scale-out")
    temporal = EmbeddedTemporal(tmp / "temporal", free_port(), ui=False)
    temporal.start()
    env = {
        **os.environ,
        **fresh_environment(),  # every process shares the keys, as in production
        "DOM_DATA_DIR": str(tmp),
        "DOM_DATABASE_URL": postgres_url,
        "DOM_TEMPORAL_ADDRESS": temporal.address,
        "DOM_ADMIN_TOKEN": ADMIN_TOKEN,
        "DOM_TASK_QUEUE": "switchyard-scale-out",
    }
    processes: list[subprocess.Popen[bytes]] = []
    balancer = None
    try:
        loaded = subprocess.run(
            [*DOM, "load-network", str(E2E / "network.yaml")], env=env, capture_output=True
        )
        assert loaded.returncode == 0, loaded.stderr
        logs = []
        for i in range(2):
            log = tmp / f"worker-{i}.log"
            logs.append(log)
            processes.append(
                subprocess.Popen([*DOM, "worker"], env=env, stdout=log.open("wb"), stderr=-2)
            )
        ports = [free_port(besides=[temporal.port]) for _ in range(2)]
        while ports[0] == ports[1]:
            ports[1] = free_port(besides=[temporal.port])
        for i, port in enumerate(ports):
            log = tmp / f"api-{i}.log"
            command = [*DOM, "api", "--api-port", str(port)]
            processes.append(subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=-2))
        apis = [f"http://127.0.0.1:{port}" for port in ports]
        for url in apis:
            _wait(lambda url=url: httpx.get(f"{url}/health", timeout=2).status_code == 200,
                  f"{url} healthy")  # fmt: skip
        for log in logs:
            _wait(lambda log=log: "worker polling" in log.read_text(), f"{log.name} polling")
        balancer = RoundRobin(ports)
        yield Cluster(apis=apis, balancer=balancer)
    finally:
        if balancer:
            balancer.close()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        temporal.stop()


def test_orders_worked_through_either_api_read_the_same_from_both(cluster: Cluster) -> None:
    with cluster.client() as admin:
        issued = admin.post(
            "/tokens", json={"name": "slc-wms", "role": "location", "location_id": "SLC-3PL"}
        )
        assert issued.status_code == 201, issued.text
        shop = admin.post("/tokens", json={"name": "shop", "role": "checkout"}).json()["token"]
    slc = {"Authorization": f"Bearer {issued.json()['token']}"}
    ids = [f"SCALE-{i}" for i in range(6)]
    with cluster.client({"Authorization": f"Bearer {shop}"}) as checkout:
        for order_id in ids:
            body = order_body(order_id, lines=[{"line_id": "1", "sku": "SKIN-CLEANSER",
                                                "quantity": 1}])  # fmt: skip
            assert checkout.post("/orders", json=body).status_code == 202
    with cluster.client() as admin, cluster.client(slc) as dock:
        for order_id in ids:
            order = wait_for(admin, order_id, lambda o: o["status"] == "fulfilling", "fulfilling")
            [package] = order["fulfillments"]
            location, fid = package["location_id"], package["fulfillment_id"]
            url = f"/locations/{location}/fulfillments/{fid}/events"
            who = dock if package["location_id"] == "SLC-3PL" else admin
            for step in ("accepted", "picked", "packed"):
                answer = who.post(url, json={"type": step, "event_id": f"{order_id}-{step}"})
                assert answer.status_code == 202, answer.text
            again = who.post(url, json={"type": "packed", "event_id": f"{order_id}-packed"})
            assert again.status_code == 202 and again.json()["duplicate"] is True
            shipped = {"type": "shipped", "carrier": "UPS", "tracking_number": f"1Z{order_id}"}
            assert who.post(url, json=shipped).status_code == 202
    assert min(cluster.balancer.connections.values()) >= 10  # both APIs took their share

    for order_id in ids:
        views = []
        for api in cluster.apis:
            with cluster.client(base=api) as direct:
                views.append(
                    wait_for(direct, order_id, lambda o: o["status"] == "shipped", "shipped")
                )
        assert views[0] == views[1]
    for api in cluster.apis:  # the search index is shared too (eventually consistent)
        with cluster.client(base=api) as direct:
            _wait(lambda direct=direct: set(ids) <= {
                o["order_id"] for o in direct.get("/orders", params={"status": "shipped"}).json()
            }, f"search on {api}")  # fmt: skip


def test_a_token_revoked_on_one_api_is_refused_by_the_other_within_seconds(
    cluster: Cluster,
) -> None:
    first, second = cluster.apis
    with cluster.client(base=first) as admin:
        token = admin.post("/tokens", json={"name": "temp-desk", "role": "support"}).json()
    desk = {"Authorization": f"Bearer {token['token']}"}
    with cluster.client(desk, base=second) as other:
        assert other.get("/orders").status_code == 200  # known to the second API now
        with cluster.client(base=first) as admin:
            assert admin.delete("/tokens/temp-desk").status_code == 200
        started = time.monotonic()
        _wait(lambda: other.get("/orders").status_code == 401, "revocation seen", seconds=10)
        assert time.monotonic() - started < 7  # the 5 s cache, and no more
