"""All configuration in one place, read from ``DOM_*`` environment variables once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.ids import TASK_QUEUE


class Settings(BaseSettings):
    """Switchyard's settings; every field can be set as ``DOM_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DOM_", extra="ignore")

    data_dir: Path = Path(".dom")
    # An existing Temporal cluster (host:port). Unset: `dom up` runs an embedded dev server.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    task_queue: str = TASK_QUEUE
    # Unset: a SQLite file under data_dir. For PostgreSQL: postgresql+psycopg://user@host/db
    database_url: str | None = None
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    network_file: Path | None = None
    log_level: str = "INFO"
    max_concurrent_activities: int = Field(default=64, ge=1)
    # development: `dom up` writes development tokens; production refuses unsafe values.
    env: Literal["development", "production"] = "development"
    # A bootstrap admin token for automated deployments (at least 32 characters); the
    # tokens themselves live in the store (`dom token create`).
    admin_token: SecretStr | None = None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return value

    @field_validator("admin_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("admin_token must be at least 32 characters (128 random bits)")
        return value

    @property
    def admin_token_value(self) -> str | None:
        return self.admin_token.get_secret_value() if self.admin_token else None

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
        return f"http://{self.api_host}:{self.api_port}"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built on first use (not at import time)."""
    return Settings()
