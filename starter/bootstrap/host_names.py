"""What a ``Host`` header (or a ``DOM_ALLOWED_HOSTS`` entry) may be: a host name or an
address, with at most a valid port. Plain Python: the settings refuse an entry the API's
Host check (``starter.api.hosts``) could never match, and that check reads requests
with the same rule."""

from __future__ import annotations

import ipaddress
import re

# A host name: letters, digits, hyphens, dots, and "_" (Docker names services with it);
# never "/", "@", "%", a space or anything else a URL parser reads another way.
_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?")
_PORT = re.compile(r"[0-9]{1,5}")


def host_name(header: str) -> str | None:
    """``Host`` without its port, lower case (``[::1]:8000`` -> ``::1``), or None when
    it is not a host with an optional valid port (``127.0.0.1:evil``,
    ``[127.0.0.1]evil.example``, ``host:``, ``host:99999``)."""
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, port = header[1:].partition("]")
        if not bracket or not _is_address(name, version=6):
            return None
        if port and not (port.startswith(":") and _is_port(port[1:])):
            return None
        return name
    name, colon, port = header.partition(":")
    if colon and not _is_port(port):
        return None
    if _is_address(name, version=4) or (_NAME.fullmatch(name) and ".." not in name):
        return name
    return None


def _is_port(text: str) -> bool:
    return bool(_PORT.fullmatch(text)) and 0 < int(text) <= 65535


def _is_address(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False
