"""Reading network files (YAML or JSON): the catalogue, locations, stock and SLAs."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from domain.models import Network


class NetworkFileError(ValueError):
    """A network file that cannot be used; the message names the file, the entry and the field."""


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_network(data: object, source: str = "network") -> Network:
    """Validate already-parsed YAML/JSON data as a ``Network``."""
    try:
        return Network.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise NetworkFileError(f"{source}: {problems}") from None


def load_network(path: str | Path) -> Network:
    """Load and validate a network file; raises ``NetworkFileError`` naming what is wrong."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise NetworkFileError(f"{path}: {exc}") from None
    return parse_network(data, str(path))


def demo_network() -> Network:
    """The built-in demo network: the textbook case and ten more US locations."""
    text = resources.files("domain.data").joinpath("demo_network.yaml").read_text()
    return parse_network(yaml.safe_load(text), "demo network")
