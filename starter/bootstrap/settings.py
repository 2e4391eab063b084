"""All configuration in one place, read from ``DOM_*`` environment variables once."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.encryption import InvalidEncryptionKeys, KeyRing
from adapters.webhook_urls import AllowedHosts, WebhookPolicy
from domain.ids import TASK_QUEUE
from starter.bootstrap.host_names import host_name

SEARCH_HASH_KEY_MIN_BYTES = 32
UI_PORT_OFFSET = 1000  # the embedded dev server's Web UI listens at its port + 1000

# Passwords that ship in examples and images: refused for the database outside development.
DEFAULT_PASSWORDS = frozenset(
    {"postgres", "password", "switchyard", "temporal", "admin", "root", "secret", "changeme"}
)


@dataclass(frozen=True)
class Rate:
    """A sustained rate (tokens per second) and the burst a caller may spend at once."""

    per_second: float
    burst: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"20/100"``: 20 a second, bursts of up to 100. ``ValueError`` saying the form."""
        rate, slash, burst = text.strip().partition("/")
        try:
            parsed = cls(float(rate), int(burst)) if slash else None
        except ValueError:
            parsed = None
        if parsed is None or not parsed.per_second > 0 or parsed.burst < 1:
            raise ValueError(
                f"{text!r}: give '<per second>/<burst>', such as '20/100' (both above 0)"
            )
        return parsed

    def __str__(self) -> str:
        return f"{self.per_second:g}/{self.burst}"


RateSetting = Annotated[Rate, NoDecode]
"""A rate read from the environment as ``<per second>/<burst>`` text: ``20/100``."""

HostList = Annotated[list[str], NoDecode]
"""A list read from the environment as comma-separated text: ``a.example.com,10.0.0.0/8``."""


class Settings(BaseSettings):
    """Switchyard's settings; every field can be set as ``DOM_<NAME>``."""

    # hide_input_in_errors: a refused setting is named, never echoed (a key, a password).
    model_config = SettingsConfigDict(env_prefix="DOM_", extra="ignore", hide_input_in_errors=True)

    # production: unsafe values (an empty key, a default database password, http or
    # unsigned webhooks) stop the process instead of being tolerated; only development has
    # `dom up` write development tokens. First: validators of the fields below read it.
    env: Literal["development", "production"] = "development"
    data_dir: Path = Path(".dom")
    # An existing Temporal cluster (host:port). Unset: `dom up` runs an embedded dev server.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    task_queue: str = TASK_QUEUE
    # Unset: a SQLite file under data_dir. For PostgreSQL: postgresql+psycopg://user@host/db
    # Never printed: it may hold the password (log ``database_url_for_logs`` instead).
    database_url: str | None = Field(default=None, repr=False)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    # How long the API keeps an idle HTTP connection open for the client's next request.
    # Above the clients' pools (httpx and most keep theirs 5 s, or they race the close and
    # get a ReadError), and above a load balancer's idle timeout in front of it
    # (docs/operations.md). uvicorn's own default is 5 s.
    api_keepalive_seconds: int = Field(default=75, ge=1, le=3600)
    # The host names the API answers to (the request's Host header); others get 400.
    # `*.example.com` allows subdomains, `*` allows any (not advised).
    allowed_hosts: HostList = ["localhost", "127.0.0.1"]
    # Host names, addresses or CIDR ranges webhook URLs may point at although they are
    # loopback, private or link-local (a 3PL inside your network, a test's receiver).
    webhook_allowed_hosts: HostList = []
    network_file: Path | None = None
    log_level: str = "INFO"
    # text: one readable line per record; json: one JSON object per line, with the order's
    # and fulfillment's ids as fields (starter/bootstrap/log_format.py).
    log_format: Literal["text", "json"] = "text"
    # host:port where a worker (`dom worker`) serves its figures for Prometheus, unsigned
    # and without a token: bind it to an address only the scraper reaches. Unset: not
    # served (the API serves its own at GET /metrics; `dom up` serves both there).
    metrics_address: str | None = None
    # host:port where the Temporal SDK serves its own worker metrics (task slots, poll and
    # schedule latencies, sticky cache) in Prometheus's format. Unset: off.
    temporal_metrics_address: str | None = None
    max_concurrent_activities: int = Field(default=64, ge=1)
    # The worker's two speed-ups of Temporal's workflow sandbox, which lean on SDK internals
    # (docs/performance.md, "The sandbox speed-ups"); false: the stock sandbox.
    sandbox_speedups: bool = True
    # A bootstrap admin token for automated deployments (at least 32 characters); the
    # tokens themselves live in the store (`dom token create`).
    admin_token: SecretStr | None = None
    # Payload encryption keys, newest first: "k2:<base64 of 32 bytes>,k1:<base64>". Unset:
    # <data_dir>/encryption-keys, which `dom up` creates on first start (starter/bootstrap/keys.py).
    encryption_keys: SecretStr | None = None
    # The HMAC key of the e-mail search attribute (base64, at least 32 bytes). Never rotate
    # it with the encryption keys: orders placed before would no longer be found by e-mail.
    # Unset: <data_dir>/search-hash-key, created by `dom up` like the encryption keys.
    search_hash_key: SecretStr | None = None
    # The Shopify app's shared secret: POST /webhooks/shopify/orders-create takes only
    # deliveries signed with it. Two, comma-separated ("new,old"), while rotating. Unset:
    # the route refuses every delivery (401).
    shopify_webhook_secret: SecretStr | None = None
    # Browser origins allowed to call /codec (comma-separated). Unset: the embedded UI.
    codec_cors_origins: str | None = None
    # Routing policy `lookahead` (docs/routing.md): each worker recomputes its prices at
    # least this often (and after the rules' lookahead.refresh_orders orders), learning
    # demand from the last lookahead_window_orders orders it allocated, and prices
    # nothing before it has seen lookahead_min_orders of them.
    lookahead_refresh_seconds: float = Field(default=60.0, gt=0)
    lookahead_window_orders: int = Field(default=20_000, ge=1)
    lookahead_min_orders: int = Field(default=200, ge=1)
    # Closed orders' store rows (reservations, stored allocations, short picks, backorder
    # rows, event deliveries) are deleted this many days after the order last changed; the
    # ledger is kept. Each worker runs a pass at start and hourly. 0: kept forever.
    retention_days: int = Field(default=90, ge=0)
    # How many days after its package left a line may be returned (POST /orders/{id}/returns).
    return_window_days: int = Field(default=30, ge=0)

    # Requests a caller may send, as '<per second>/<burst>' (token buckets in each API
    # process's memory: with N API processes the effective limit is N times this);
    # answered 429 with Retry-After beyond. docs/security.md, "Limits".
    rate_limits: bool = True
    rate_limit_checkout: RateSetting = Rate(100, 200)  # per checkout token, its writes
    rate_limit_location: RateSetting = Rate(20, 100)  # per location token, its writes
    rate_limit_staff: RateSetting = Rate(50, 200)  # per support, ops, admin or metrics token
    rate_limit_reads: RateSetting = Rate(200, 1000)  # per token, its GETs
    # per client address, requests without a valid token (a guesser's)
    rate_limit_unauthenticated: RateSetting = Rate(10, 200)

    @field_validator(
        "rate_limit_checkout", "rate_limit_location", "rate_limit_staff", "rate_limit_reads",
        "rate_limit_unauthenticated", mode="before",
    )  # fmt: skip
    @classmethod
    def _rate(cls, value: object) -> object:
        return Rate.parse(value) if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("metrics_address", "temporal_metrics_address")
    @classmethod
    def _host_and_port(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, such as 0.0.0.0:9464")
        return value.strip()

    @field_validator("allowed_hosts", "webhook_allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _valid_host_names(cls, value: list[str]) -> list[str]:
        # A name the Host check could never match would refuse every request, silently.
        for entry in value:
            name = entry.strip().lower()
            wildcard = name.startswith("*.") and host_name(name[2:]) is not None
            if name != "*" and not wildcard and host_name(name) is None:
                raise ValueError(
                    f"{entry!r} is not a host name with an optional port "
                    "(api.example.com, *.example.com, 127.0.0.1:8000, [::1])"
                )
        return value

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def _valid_allowances(cls, value: list[str]) -> list[str]:
        AllowedHosts.parse(value)  # a malformed range stops the process at start
        return value

    @field_validator("database_url")
    @classmethod
    def _real_password_outside_development(
        cls, value: str | None, info: ValidationInfo
    ) -> str | None:
        env = info.data.get("env", "development")
        if env != "development" and value:
            password = _database_password(value)
            if password is not None and (password == "" or password.lower() in DEFAULT_PASSWORDS):
                raise ValueError(
                    f"the database password is empty or a well-known default (DOM_ENV={env}); "
                    "set a real one"
                )
        return value

    @property
    def webhook_policy(self) -> WebhookPolicy:
        """Which webhook URLs this process may call (``adapters.webhook_urls``)."""
        return WebhookPolicy.of(self.env, self.webhook_allowed_hosts)

    @property
    def database_url_for_logs(self) -> str:
        """The database URL with its password masked: the only form that may be printed."""
        return mask_database_url(self.resolved_database_url)

    @field_validator("admin_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("admin_token must be at least 32 characters (128 random bits)")
        return value

    @property
    def shopify_webhook_secrets(self) -> list[str]:
        """The secrets a Shopify delivery may be signed with (none: not set up)."""
        if self.shopify_webhook_secret is None:
            return []
        text = self.shopify_webhook_secret.get_secret_value()
        return [part.strip() for part in text.split(",") if part.strip()]

    @property
    def admin_token_value(self) -> str | None:
        return self.admin_token.get_secret_value() if self.admin_token else None

    @field_validator("encryption_keys")
    @classmethod
    def _usable_keys(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if _given(value, info):
            try:
                KeyRing.parse(value.get_secret_value())  # type: ignore[union-attr]
            except InvalidEncryptionKeys as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("search_hash_key")
    @classmethod
    def _usable_search_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if _given(value, info):
            decode_search_hash_key(value.get_secret_value())  # type: ignore[union-attr]
        return value

    @model_validator(mode="after")
    def _window_holds_the_minimum(self) -> Settings:
        if self.lookahead_min_orders > self.lookahead_window_orders:
            raise ValueError(
                f"lookahead_min_orders ({self.lookahead_min_orders}) must not exceed "
                f"lookahead_window_orders ({self.lookahead_window_orders}): prices would "
                "never be computed"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'switchyard.db').resolve()}"

    @property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def api_url(self) -> str:
        """Where this machine reaches the API (loopback when it listens on every interface:
        ``0.0.0.0`` is no host name a request can name)."""
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::", "") else self.api_host
        return f"http://{host}:{self.api_port}"

    @property
    def codec_endpoint(self) -> str:
        """The API's codec endpoint as a browser on this machine reaches it."""
        return f"{self.api_url}/codec"

    @property
    def resolved_codec_cors_origins(self) -> list[str]:
        """Origins whose pages may call /codec: the setting, else the embedded Temporal UI."""
        if self.codec_cors_origins:
            return [o.strip().rstrip("/") for o in self.codec_cors_origins.split(",") if o.strip()]
        ui_port = self.temporal_port + UI_PORT_OFFSET
        return [f"http://localhost:{ui_port}", f"http://127.0.0.1:{ui_port}"]


def _database_password(url: str) -> str | None:
    """The URL's password; None when it has none (peer auth, PGPASSWORD, ~/.pgpass)."""
    try:
        return make_url(url).password
    except ArgumentError:
        return None  # not a URL SQLAlchemy can read: the store says so when it starts


def mask_database_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable database URL>"


def _given(value: SecretStr | None, info: ValidationInfo) -> bool:
    """A key to check: set and not blank. Blank means "use the file" in development and is
    refused in production (``env`` is validated first: it is declared first)."""
    if value is None:
        return False
    if value.get_secret_value().strip():
        return True
    if info.data.get("env") == "production":
        raise ValueError("is set but empty; set a key or unset the variable to use the file")
    return False


def decode_search_hash_key(text: str) -> bytes:
    """The search hash key's bytes from its base64 form; ``ValueError`` (no key material in
    the message) when it is not base64 or too short to be a secret."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raise ValueError("the search hash key is not valid base64") from None
    if len(key) < SEARCH_HASH_KEY_MIN_BYTES:
        raise ValueError(
            f"the search hash key must be at least {SEARCH_HASH_KEY_MIN_BYTES} bytes "
            f"(base64 of {SEARCH_HASH_KEY_MIN_BYTES} random bytes); it has {len(key)}"
        )
    return key


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built on first use (not at import time)."""
    return Settings()
