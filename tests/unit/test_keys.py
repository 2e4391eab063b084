"""Where the keys come from, what dom up creates, and what the settings refuse."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from pydantic import SecretBytes, ValidationError

from adapters.encryption import format_keys, new_key
from starter.bootstrap.keys import (
    ENCRYPTION_KEYS_FILE,
    SEARCH_HASH_KEY_FILE,
    MissingKeys,
    UnusableKeys,
    fresh_environment,
    load_keys,
)
from starter.bootstrap.settings import Settings
from workflows.search import email_hash

KEY = format_keys([new_key("k7")]).strip()
SEARCH_KEY = base64.b64encode(b"s" * 32).decode()


@pytest.fixture(autouse=True)
def no_keys_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOM_ENCRYPTION_KEYS", "DOM_SEARCH_HASH_KEY", "DOM_ENV"):
        monkeypatch.delenv(name, raising=False)


def test_dom_up_creates_both_key_files_readable_by_their_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    created = load_keys(settings, create=True)
    for name in (ENCRYPTION_KEYS_FILE, SEARCH_HASH_KEY_FILE):
        mode = stat.S_IMODE((settings.data_dir / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    again = load_keys(settings)  # dom worker, dom api: the same keys, read not made
    assert again.encryption.key_ids == created.encryption.key_ids == ["k1"]
    assert again.search_hash == created.search_hash
    assert not list(settings.data_dir.glob(".*.tmp"))


def test_a_worker_or_api_without_keys_is_told_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(MissingKeys, match=r"DOM_ENCRYPTION_KEYS.*dom up"):
        load_keys(Settings(data_dir=tmp_path))
    assert not (tmp_path / ENCRYPTION_KEYS_FILE).exists()


def test_the_environment_wins_over_the_files(tmp_path: Path) -> None:
    load_keys(Settings(data_dir=tmp_path), create=True)
    keys = load_keys(
        Settings(data_dir=tmp_path, encryption_keys=KEY, search_hash_key=SEARCH_KEY)  # type: ignore[arg-type]
    )
    assert keys.encryption.key_ids == ["k7"]
    assert keys.search_hash.get_secret_value() == b"s" * 32


def test_fresh_environment_keys_are_usable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in fresh_environment().items():
        monkeypatch.setenv(name, value)
    keys = load_keys(Settings(data_dir=tmp_path))
    assert keys.encryption.key_ids == ["k1"] and len(keys.search_hash.get_secret_value()) == 32


def test_a_damaged_key_file_names_the_file_not_its_content(tmp_path: Path) -> None:
    (tmp_path / ENCRYPTION_KEYS_FILE).write_text("k1:c2hvcnQ=\n")
    with pytest.raises(UnusableKeys, match=f"{ENCRYPTION_KEYS_FILE}: key 'k1' must be 32 bytes"):
        load_keys(Settings(data_dir=tmp_path))


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("encryption_keys", "k1:" + base64.b64encode(b"x" * 16).decode(), "32 bytes"),
        ("search_hash_key", base64.b64encode(b"x" * 8).decode(), "at least 32 bytes"),
    ],
)
def test_short_keys_are_refused_and_never_echoed(name: str, value: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as refused:
        Settings(**{name: value})
    assert value.removeprefix("k1:") not in str(refused.value)


def test_an_empty_key_is_refused_in_production_and_means_the_file_in_development(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValidationError, match=r"encryption_keys\n.*is set but empty"):
        Settings(env="production", encryption_keys="")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"search_hash_key\n.*is set but empty"):
        Settings(env="production", search_hash_key=" ")  # type: ignore[arg-type]
    development = Settings(data_dir=tmp_path, encryption_keys="")  # type: ignore[arg-type]
    assert load_keys(development, create=True).encryption.key_ids == ["k1"]


def test_settings_never_print_their_secrets() -> None:
    settings = Settings(encryption_keys=KEY, search_hash_key=SEARCH_KEY)  # type: ignore[arg-type]
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert KEY.partition(":")[2] not in shown and SEARCH_KEY not in shown


def test_the_email_search_hash_is_keyed_not_a_plain_digest() -> None:
    key, other = SecretBytes(b"a" * 32), SecretBytes(b"b" * 32)
    hashed = email_hash(" Dana@Example.com ", key)
    assert hashed == email_hash("dana@example.com", key)  # what support types still matches
    assert hashed != hashlib.sha256(b"dana@example.com").hexdigest()
    assert hashed != email_hash("dana@example.com", other)
