"""Settings refuse obviously unsafe values outside development and never print a password."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from starter.bootstrap.settings import Settings, mask_database_url


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOM_ENV", "DOM_DATABASE_URL", "DOM_ALLOWED_HOSTS", "DOM_WEBHOOK_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("password", ["", "postgres", "password", "Switchyard", "temporal"])
def test_production_refuses_an_empty_or_default_database_password(password: str) -> None:
    url = f"postgresql+psycopg://switchyard:{password}@db:5432/switchyard"
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", database_url=url)
    message = str(refused.value)
    assert "database_url" in message and "well-known default" in message
    assert url not in message  # the refused value is named, never echoed


def test_production_takes_a_real_password_or_none_in_the_url() -> None:
    Settings(env="production", database_url="postgresql+psycopg://app:Xq7-long-random@db/sy")
    # No password in the URL: it comes from PGPASSWORD, ~/.pgpass or peer authentication.
    Settings(env="production", database_url="postgresql+psycopg://app@db/sy")


def test_development_keeps_the_local_defaults() -> None:
    Settings(database_url="postgresql+psycopg://postgres:postgres@127.0.0.1/sy")


def test_the_password_never_appears_in_the_settings_or_their_log_form() -> None:
    settings = Settings(database_url="postgresql+psycopg://app:hunter2@db/sy")
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert settings.database_url_for_logs == "postgresql+psycopg://app:***@db/sy"
    assert mask_database_url("not a url") == "<unreadable database URL>"


def test_host_lists_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOM_ALLOWED_HOSTS", "shop.example.com, api.example.com")
    monkeypatch.setenv("DOM_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1,10.0.0.0/8,3pl.internal")
    settings = Settings()
    assert settings.allowed_hosts == ["shop.example.com", "api.example.com"]
    assert settings.webhook_policy.allowed.names == {"3pl.internal"}
    assert len(settings.webhook_policy.allowed.networks) == 2


@pytest.mark.parametrize("entry", ["api.example.com:evil", "host:", "*.", "user@host", "a b"])
def test_an_allowed_host_the_check_could_never_match_stops_the_process(entry: str) -> None:
    with pytest.raises(ValueError, match="not a host name with an optional port"):
        Settings(allowed_hosts=[entry])


def test_allowed_hosts_take_names_ports_wildcards_and_addresses() -> None:
    entries = ["api.example.com", "*.shop.example", "127.0.0.1:8000", "[::1]", "*"]
    assert Settings(allowed_hosts=entries).allowed_hosts == entries


def test_defaults_are_the_safe_ones() -> None:
    settings = Settings()
    assert settings.env == "development"
    assert settings.allowed_hosts == ["localhost", "127.0.0.1"]
    assert settings.webhook_allowed_hosts == []


def test_a_malformed_webhook_allowance_stops_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOM_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/33")
    with pytest.raises(ValidationError, match="not an address range"):
        Settings()


def test_the_environment_variables_alone_trigger_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """DOM_ENV is read before the database URL is judged, whatever their order."""
    monkeypatch.setenv("DOM_DATABASE_URL", "postgresql+psycopg://switchyard:switchyard@db/sy")
    monkeypatch.setenv("DOM_ENV", "production")
    with pytest.raises(ValidationError, match="well-known default"):
        Settings()


@pytest.mark.parametrize("address", ["9464", "host:", ":abc", "0.0.0.0:70000"])
def test_a_metrics_address_must_be_host_and_port(address: str) -> None:
    with pytest.raises(ValidationError, match="host:port"):
        Settings(metrics_address=address)


def test_metrics_addresses_and_the_shopify_secrets_are_read() -> None:
    settings = Settings(
        metrics_address="0.0.0.0:9464",
        temporal_metrics_address=" 127.0.0.1:9000 ",
        shopify_webhook_secret="new-secret, old-secret",
        log_format="json",
    )
    assert settings.metrics_address == "0.0.0.0:9464"
    assert settings.temporal_metrics_address == "127.0.0.1:9000"
    assert settings.shopify_webhook_secrets == ["new-secret", "old-secret"]
    assert "new-secret" not in repr(settings)
    assert Settings().shopify_webhook_secrets == []


def test_the_api_keeps_idle_connections_longer_than_client_pools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOM_API_KEEPALIVE_SECONDS", raising=False)
    assert Settings().api_keepalive_seconds == 75  # httpx's pools keep 5 s, ALB's 60 s
    monkeypatch.setenv("DOM_API_KEEPALIVE_SECONDS", "620")  # behind Google's balancer
    assert Settings().api_keepalive_seconds == 620
    monkeypatch.setenv("DOM_API_KEEPALIVE_SECONDS", "0")
    with pytest.raises(ValidationError, match="api_keepalive_seconds"):
        Settings()
