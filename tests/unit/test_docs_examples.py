"""The examples in the README are real: the checkout body validates, the network file loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from domain.checkout import OrderRequest
from domain.network_file import demo_network, parse_network

README = (Path(__file__).parents[2] / "README.md").read_text()


def test_the_quick_start_order_is_a_valid_checkout_body_for_the_demo_catalogue() -> None:
    body = re.search(r"-d '(\{.*?\})'", README, re.S)
    assert body, "the README's curl example moved"
    order = OrderRequest.model_validate(json.loads(body.group(1)))
    assert order.ship_to.postal_code == "80202"
    assert order.ship_to.address1 and order.ship_to.city and order.ship_to.region
    catalogue = {sku.sku for sku in demo_network().skus}
    assert {line.sku for line in order.lines} <= catalogue


def test_the_network_file_example_loads() -> None:
    block = re.search(r"The \*\*network file\*\*.*?```yaml\n(.*?)```", README, re.S)
    assert block, "the README's network file example moved"
    network = parse_network(yaml.safe_load(block.group(1)), "README example")
    [location] = network.locations
    assert location.adapter.type == "webhook"
    assert network.sla_for(location).accept is not None
