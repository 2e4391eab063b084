"""Where the secrets come from: ``DOM_*`` variables, or files in the data dir.

The payload encryption keys and the e-mail search hash key are each read from their
variable (``DOM_ENCRYPTION_KEYS``, ``DOM_SEARCH_HASH_KEY``) when it is set, else from a
file in the data dir (``encryption-keys``, ``search-hash-key``, mode 0600). ``dom up``
creates a missing file on first start; ``dom worker`` and ``dom api`` never do, since a
worker and an API that invented keys of their own could not read each other's payloads.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretBytes

from adapters.encryption import InvalidEncryptionKeys, KeyRing, format_keys, new_key
from adapters.personal_keys import CustomerKeyStore, PersonalVault
from starter.bootstrap.settings import Settings, decode_search_hash_key

ENCRYPTION_KEYS_FILE = "encryption-keys"
SEARCH_HASH_KEY_FILE = "search-hash-key"
FIRST_KEY_ID = "k1"
_FILE_HEADER = (
    "# Switchyard payload encryption keys, newest first (the first encrypts, all decrypt).\n"
    "# Rotate: add a new line at the top; keep the old ones while histories use them.\n"
)


class MissingKeys(RuntimeError):
    """No key was configured, and this command does not create one."""


class UnusableKeys(ValueError):
    """A key file that cannot be used; the message names the file, never its content."""


@dataclass(frozen=True)
class Keys:
    """The secrets a process needs: the payload keys and the search hash key."""

    encryption: KeyRing
    search_hash: SecretBytes = field(repr=False)


def load_keys(settings: Settings, *, create: bool = False) -> Keys:
    """The keys from the settings, else from the data dir's files (created first when
    ``create``: ``dom up``). ``MissingKeys`` or ``UnusableKeys`` say what to fix."""
    return Keys(
        encryption=_encryption_keys(settings, create=create),
        search_hash=_search_hash_key(settings, create=create),
    )


def _encryption_keys(settings: Settings, *, create: bool) -> KeyRing:
    if settings.encryption_keys is not None and settings.encryption_keys.get_secret_value():
        return KeyRing.parse(settings.encryption_keys.get_secret_value())  # checked by Settings
    path = settings.data_dir / ENCRYPTION_KEYS_FILE
    text = _read_or_create(
        path,
        lambda: _FILE_HEADER + format_keys([new_key(FIRST_KEY_ID)]),
        create=create,
        variable="DOM_ENCRYPTION_KEYS",
    )
    try:
        return KeyRing.parse(text)
    except InvalidEncryptionKeys as exc:
        raise UnusableKeys(f"{path}: {exc}") from None


def _search_hash_key(settings: Settings, *, create: bool) -> SecretBytes:
    if settings.search_hash_key is not None and settings.search_hash_key.get_secret_value():
        return SecretBytes(decode_search_hash_key(settings.search_hash_key.get_secret_value()))
    path = settings.data_dir / SEARCH_HASH_KEY_FILE
    text = _read_or_create(
        path,
        lambda: base64.b64encode(os.urandom(32)).decode() + "\n",
        create=create,
        variable="DOM_SEARCH_HASH_KEY",
    )
    try:
        return SecretBytes(decode_search_hash_key(text))
    except ValueError as exc:
        raise UnusableKeys(f"{path}: {exc}") from None


def _read_or_create(path: Path, fresh: Callable[[], str], *, create: bool, variable: str) -> str:
    """The file's text; when it is missing and ``create``, first write ``fresh()`` to it,
    readable by its owner only. Two processes creating it at once: one wins, both read it."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text()
    if not create:
        raise MissingKeys(
            f"no {variable} and no {path}: set {variable} (docs/security.md), or start "
            f"`dom up` once with this data dir to create the file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name, then linked into place: a reader never sees
    # half a file, and link() refuses to replace a file another process put there first.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(fresh())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text()


def fresh_environment() -> dict[str, str]:
    """New random keys as ``DOM_*`` variables: for stacks run in parts (tests, benchmarks)
    that must share keys without a data dir."""
    return {
        "DOM_ENCRYPTION_KEYS": format_keys([new_key(FIRST_KEY_ID)]).strip(),
        "DOM_SEARCH_HASH_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


def personal_vault(store: CustomerKeyStore, keys: Keys) -> PersonalVault:
    """Customers' own keys, in ``store``, wrapped by the payload keys."""
    return PersonalVault(store, keys.encryption, keys.search_hash)
