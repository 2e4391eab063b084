"""The routing rules in force, versioned in the store: every change is a new version,
kept, with who made it and when; every routing decision records the version it used."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from adapters.store import InventoryStore
from domain.routing.rules import Rules, default_rules, parse_rules, usable_rules

_CURRENT = "routing_rules.version"


def _key(version: int) -> str:
    return f"routing_rules.v{version}"


class RulesVersion(BaseModel):
    """One version of the rules, as stored."""

    version: int
    changed_at: datetime | None = None
    changed_by: str | None = None
    rules: Rules


class UnknownRulesVersion(LookupError):
    """No such version of the routing rules."""


class RulesBook:
    """Reads the current rules (one cheap read; parsed once per version) and writes new ones."""

    def __init__(self, store: InventoryStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cache: dict[int, Rules] = {}

    def current_version(self) -> int:
        return int(self._store.read_setting(_CURRENT) or 0)

    def current(self) -> Rules:
        """The rules in force: the latest stored version, or the built-in ones (version 0).

        Called for every allocation and promise: one read of the version number; a stored
        version never changes, so once parsed it is served from the cache."""
        version = self.current_version()
        if version == 0:
            return default_rules()
        with self._lock:
            cached = self._cache.get(version)
        return cached if cached is not None else self.version(version).rules

    def version(self, version: int) -> RulesVersion:
        """A stored version (0: the built-in rules); ``UnknownRulesVersion`` if there is none."""
        if version == 0:
            return RulesVersion(version=0, rules=default_rules())
        stored = self._store.read_setting(_key(version))
        if stored is None:
            raise UnknownRulesVersion(f"no routing rules version {version}")
        with self._lock:
            rules = self._cache.get(version)
            if rules is None:
                rules = parse_rules(stored["rules"], f"rules version {version}")
                rules = rules.model_copy(update={"version": version})
                self._cache[version] = rules
        return RulesVersion(
            version=version,
            changed_at=stored.get("changed_at"),
            changed_by=stored.get("changed_by"),
            rules=rules,
        )

    def replace(self, data: Any, *, actor: str) -> RulesVersion:
        """Validate ``data`` (raises ``RulesError`` naming the field) and make it the next
        version. Concurrent writers, even in other processes, each get their own number."""
        rules = usable_rules(parse_rules(data, "rules"))
        version = self._store.append_setting_version(
            _CURRENT,
            _key,
            {
                "rules": rules.model_dump(mode="json", exclude={"version"}),
                "changed_at": datetime.now(UTC).isoformat(),
                "changed_by": actor,
            },
        )
        return self.version(version)
