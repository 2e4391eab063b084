"""Issue 14's scale-out check, on one machine: one Temporal dev server, PostgreSQL, two
workers and two API processes, each started as production starts them (`dom worker`,
`dom api`, configured only by environment). Orders placed through either API are served
by either worker; a rules change and a location change made through one API are used by
the next order routed on the other worker; `dom inventory check` stays clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from starter.bootstrap.dev_server import EmbeddedTemporal, free_port
from starter.bootstrap.keys import fresh_environment
from tests.support.builders import order_body
from tests.support.data import E2E
from tests.support.http import play_location, wait_for
from tests.support.keys import ADMIN_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]


@dataclass
class Cluster:
    env: dict[str, str]
    tmp: Path
    temporal: EmbeddedTemporal
    apis: list[str] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    metrics: dict[str, str] = field(default_factory=dict)

    def dom(self, name: str, *args: str, **extra: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "starter.cli", *args],
            env={**self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def start_worker(self, name: str) -> None:
        address = self.metrics.setdefault(name, f"127.0.0.1:{free_port()}")
        self.dom(name, "worker", DOM_METRICS_ADDRESS=address)
        _wait(lambda: _answers(f"http://{address}/metrics"), f"{name}'s metrics", self)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()

    def routed_by(self, name: str) -> float:
        """How many allocations the worker ``name`` ran (its own metrics endpoint)."""
        text = httpx.get(f"http://{self.metrics[name]}/metrics", timeout=5).text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("switchyard_routing_seconds_count")
        )

    def client(self, api: int) -> httpx.Client:
        return httpx.Client(
            base_url=self.apis[api],
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=30,
        )

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(self.tmp.glob("*.log")))


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _wait(ready, what: str, cluster: Cluster, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not ready():
        for name, process in cluster.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{cluster.logs()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} never answered:\n{cluster.logs()}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_url: str,
) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("scale-out")
    temporal = EmbeddedTemporal(tmp / "temporal", free_port(with_ui=True), ui=False)
    temporal.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DOM_")},
        **fresh_environment(),  # one set of keys, shared by every process
        "DOM_DATABASE_URL": postgres_url,
        "DOM_TEMPORAL_ADDRESS": temporal.address,
        "DOM_ADMIN_TOKEN": ADMIN_TOKEN,
        "DOM_DATA_DIR": str(tmp / "unused"),  # nothing may come from a data dir
    }
    running = Cluster(env, tmp, temporal)
    loaded = subprocess.run(
        [sys.executable, "-m", "starter.cli", "load-network", str(E2E / "network.yaml")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    try:
        for _ in range(2):
            port = free_port()
            running.apis.append(f"http://127.0.0.1:{port}")
            running.dom(f"api-{len(running.apis)}", "api", "--api-port", str(port))
        for url in running.apis:
            _wait(lambda url=url: _answers(f"{url}/health"), url, running)
        running.start_worker("worker-a")
        yield running
    finally:
        for name in list(running.processes):
            if running.processes[name].poll() is None:
                running.stop(name)
        temporal.stop()


def test_two_workers_and_two_apis_give_the_answers_of_one(cluster: Cluster) -> None:
    with cluster.client(0) as first, cluster.client(1) as second:
        # Only worker A runs: the order placed through the first API is routed there.
        assert first.post("/orders", json=order_body("SO-1")).status_code == 202
        one = wait_for(second, "SO-1", lambda o: o["status"] == "fulfilling", "fulfilling")
        [package] = one["fulfillments"]
        assert package["location_id"] == "SLC-3PL"
        assert cluster.routed_by("worker-a") >= 1

        # A rules change through the first API, a location change through the second.
        rules = first.get("/routing/rules").json()
        changed = first.put("/routing/rules", json=rules["rules"])
        assert changed.status_code == 200, changed.text
        version = changed.json()["version"]
        assert version > rules["version"]
        off = second.patch("/locations/SLC-3PL", json={"active": False})
        assert off.status_code == 200, off.text

        # Worker B takes over; A stops. The next order, placed through the second API, is
        # routed by B under the new rules and away from the location just turned off.
        cluster.start_worker("worker-b")
        cluster.stop("worker-a")
        assert second.post("/orders", json=order_body("SO-2")).status_code == 202
        two = wait_for(first, "SO-2", lambda o: o["status"] == "fulfilling", "fulfilling")
        assert two["routing"]["rules_version"] == version
        assert "SLC-3PL" not in {f["location_id"] for f in two["fulfillments"]}
        assert cluster.routed_by("worker-b") >= 1

        # The order A started is finished by B, its events reported through either API.
        play_location(second, "SLC-3PL", package["fulfillment_id"], "1Z-SO-1")
        wait_for(first, "SO-1", lambda o: o["status"] == "shipped", "shipped")

        # Both workers again; orders through both APIs, every one routed the same way.
        cluster.start_worker("worker-a")
        for n in range(3, 9):
            api = first if n % 2 else second
            assert api.post("/orders", json=order_body(f"SO-{n}")).status_code == 202
        for n in range(3, 9):
            order = wait_for(first, f"SO-{n}", lambda o: o["fulfillments"], "routed")
            assert order["routing"]["rules_version"] == version
            assert "SLC-3PL" not in {f["location_id"] for f in order["fulfillments"]}
        routed = cluster.routed_by("worker-a") + cluster.routed_by("worker-b")
        assert routed >= 7  # what the restarted A and B routed since they started

    check = subprocess.run(
        [sys.executable, "-m", "starter.cli", "inventory", "check", "--recheck", "1"],
        env=cluster.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
