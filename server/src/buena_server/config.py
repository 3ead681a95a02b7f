"""Typed settings, read once from the environment (prefix ``BUENA_``)."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from buena_server.enrichment.http_config import HttpProviderConfig, parse_http_providers
from buena_server.kit.ratelimit_rules import RateLimitStrategy, parse_rate_limits
from buena_server.kit.redis_connection import connection_options

DEFAULT_DATABASE_URL = "sqlite:///var/buena.db"
DEFAULT_RATE_LIMITS = "60/minute;1000/hour;10000/day"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


class IdempotencyStoreKind(StrEnum):
    AUTO = "auto"  # Redis when BUENA_REDIS_URL is set, else the database
    DATABASE = "database"
    REDIS = "redis"


class Settings(BaseSettings):
    # A refused value is never echoed in the error: it may be a key (BUENA_BOOTSTRAP_KEY, an
    # HTTP provider's auth header in BUENA_ENRICHMENT_HTTP_PROVIDERS).
    model_config = SettingsConfigDict(
        env_prefix="BUENA_", extra="ignore", hide_input_in_errors=True
    )

    env: Environment = Environment.DEVELOPMENT
    # Plain URLs (sqlite:///path, postgresql://user@host/db); the async driver is chosen in
    # kit/db.py.
    # A relative SQLite path is relative to the working directory (`make run` uses the repo root).
    database_url: str = DEFAULT_DATABASE_URL
    database_pool_size: int = Field(default=10, ge=1, le=500)
    database_timeout_seconds: float = Field(default=5.0, gt=0)
    # PostgreSQL connections unused this long are closed (kit/driver/pool.py).
    database_max_idle_seconds: float = Field(default=300.0, gt=0)
    # redis://[[user]:password@]host:port/db, or rediss:// (TLS) with redis-py's ssl_* query
    # parameters (e.g. ?ssl_ca_certs=/path/ca.pem); unset = limits kept per process.
    redis_url: str | None = None
    # Prefix of every Redis key Buena writes, so one Redis can serve several deployments.
    redis_key_prefix: str = Field(default="buena", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    redis_timeout_seconds: float = Field(default=0.5, gt=0)
    # `limits` notation separated by ';' (e.g. "60/minute;1000/hour"), or "off".
    rate_limits: str = DEFAULT_RATE_LIMITS
    rate_limit_strategy: RateLimitStrategy = RateLimitStrategy.FIXED_WINDOW
    bootstrap_key: SecretStr | None = None
    # Where `serve` in production writes a new admin key it made (mode 0600), never printing it.
    bootstrap_key_file: Path = Path("var/buena-admin-key")
    bootstrap_account_name: str = "Default account"
    # Region assumed for phone numbers written without a +country code (e.g. "US");
    # unset means a phone number must be international.
    default_phone_region: str | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Enrichment (enrichment/, docs/enrichment.md): MX lookups for emails' `deliverable`
    # ("on"; off: null, no DNS traffic); credits per lead by provider name, overriding what
    # each declares (JSON, e.g. '{"phone": 0, "email": 2}').
    enrichment_dns: bool = False
    enrichment_costs: dict[str, int] = Field(default_factory=dict)
    # Outside services called by the generic HTTP provider: a JSON list of objects
    # (enrichment/http_config.py; docs/enrichment.md, "The HTTP provider").
    enrichment_http_providers: Annotated[list[HttpProviderConfig], NoDecode] = Field(
        default_factory=list
    )
    # Credits an account's balance opens with, at its first charge (credits/).
    default_credits: int = Field(default=1000, ge=0)
    # Leads an export reads per query (GET /leads/export streams chunk by chunk).
    export_chunk_size: int = Field(default=1000, ge=1, le=100_000)
    # The request line and header fields together (as Node's default), and how many fields:
    # beyond either, 431 (kit/http_limits.py).
    max_header_bytes: int = Field(default=16_384, ge=1024)
    max_header_count: int = Field(default=100, ge=10)
    # Origins (comma-separated, e.g. "https://app.example.com") whose pages may call the API
    # from a browser; "*" for any; empty = no CORS headers at all (kit/cors.py).
    cors_origins: str = ""
    # Answer GET /leads/{id} and POST /leads without Litestar's routing (kit/hot_paths.py).
    hot_paths: bool = True
    health_timeout_seconds: float = Field(default=2.0, gt=0)
    # How often the in-memory "last used" times of API keys are written to the database.
    key_usage_flush_seconds: float = Field(default=30.0, gt=0)
    # Keys neither revoked nor expired an account may hold at once (creating one more is 422).
    max_active_keys_per_account: int = Field(default=100, ge=1, le=100_000)
    # Failed authentications allowed per client address (`limits` notation, or "off").
    auth_failure_limit: str = "100/minute"
    # Proxies whose X-Forwarded-For is believed: comma-separated IPs or CIDRs (none by default).
    trusted_proxies: str = ""
    # Idempotency-Key answers: kept this long; a claim whose request died is released after
    # the lease; where they are kept (idempotency/).
    idempotency_ttl_seconds: int = Field(default=86_400, ge=1)
    idempotency_lease_seconds: float = Field(default=60.0, gt=0)
    idempotency_store: IdempotencyStoreKind = IdempotencyStoreKind.AUTO
    # Webhooks (webhooks/): private, loopback and link-local receivers (and plain http) only
    # when allowed; outbound timeouts; how long a delivery is retried, how long an endpoint may
    # fail before it is disabled; how long a rotated secret keeps signing; webhooks per account.
    webhooks_allow_private: bool = False
    webhooks_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    webhooks_timeout_seconds: float = Field(default=10.0, gt=0)
    webhooks_retry_seconds: int = Field(default=259_200, ge=0)
    webhooks_disable_after_seconds: int = Field(default=259_200, ge=0)
    webhooks_secret_overlap_seconds: int = Field(default=86_400, ge=0, le=604_800)
    max_webhooks_per_account: int = Field(default=20, ge=1, le=1_000_000)
    # The durable queue (queue/): a claimed job's lease (renewed while it runs; a job whose
    # worker died runs again once it ends), jobs run at once per process, how often a worker
    # looks for due jobs besides being woken, and whether `serve` runs a worker beside the
    # API (`buena-server worker` runs one alone).
    queue_lease_seconds: float = Field(default=30.0, gt=0)
    queue_concurrency: int = Field(default=128, ge=1, le=1000)
    queue_poll_seconds: float = Field(default=1.0, gt=0)
    worker_in_serve: bool = True
    # Events (GET /events, webhooks) are kept this many days.
    events_retention_days: int = Field(default=30, ge=1)
    # Finished jobs (GET /jobs) and their results are kept this many days after they finish.
    jobs_retention_days: int = Field(default=30, ge=1)
    # LinkedIn (linkedin/, docs/linkedin.md): the sandbox executor's seed (its outcomes
    # are a function of it and the action's id), how often its invitations are accepted and
    # its messages answered, and how long after the action (between the two bounds); how
    # many times an action runs when its executor fails in a way that may pass, and the
    # first retry's delay (doubling from there, up to an hour).
    linkedin_sandbox_seed: int = 0
    linkedin_sandbox_acceptance_rate: float = Field(default=0.3, ge=0, le=1)
    linkedin_sandbox_reply_rate: float = Field(default=0.2, ge=0, le=1)
    linkedin_sandbox_min_response_seconds: float = Field(default=3600.0, ge=0)
    linkedin_sandbox_max_response_seconds: float = Field(default=86_400.0, ge=0)
    linkedin_max_attempts: int = Field(default=5, ge=1, le=100)
    linkedin_retry_seconds: float = Field(default=60.0, gt=0)
    # Blobs (voice samples, previews): file:<dir> (relative to the working directory) or
    # file:///abs/dir, or s3://bucket/prefix?endpoint_url=...&region=... (credentials from the
    # standard AWS variables); kit/blobs.py.
    storage_url: str = "file:var/blobs"
    # The voice engine previews are synthesised with: the name of an entry point in the group
    # "buena.voice_engines" (voice/engine.py); "espeak" is the built-in eSpeak NG engine.
    voice_engine: str = "espeak"
    # Voice clones (voice/, docs/voice.md): how many an account may have, how many files an
    # upload holds and how large each may be, and the samples' shortest total duration.
    voice_clone_limit: int = Field(default=5, ge=1, le=1000)
    voice_max_files: int = Field(default=10, ge=1, le=100)
    voice_max_file_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    voice_min_sample_seconds: float = Field(default=10.0, ge=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # GET /metrics (Prometheus); with metrics_port set, served on that port instead of the API's.
    metrics: bool = True
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # Logs (the access log included): one line of text, or one JSON object, per record.
    log_format: LogFormat = LogFormat.TEXT
    # SIGTERM: in-flight requests get this long to finish before they are cancelled.
    shutdown_timeout_seconds: int = Field(default=30, ge=0)

    @field_validator("rate_limits")
    @classmethod
    def _parse_rate_limits(cls, value: str) -> str:
        parse_rate_limits(value)  # raises ValueError with a readable message
        return value

    @field_validator("voice_engine")
    @classmethod
    def _check_voice_engine(cls, value: str) -> str:
        from buena_server.voice.engine import check_engine_name

        return check_engine_name(value)

    @field_validator("enrichment_http_providers", mode="before")
    @classmethod
    def _parse_http_providers(cls, value: Any) -> list[HttpProviderConfig]:
        return parse_http_providers(value)  # raises ValueError naming each mistake

    @field_validator("auth_failure_limit")
    @classmethod
    def _parse_auth_failure_limit(cls, value: str) -> str:
        parse_rate_limits(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip())
                except ValueError:
                    raise ValueError(
                        f"BUENA_TRUSTED_PROXIES: {item.strip()!r} is not an IP address or CIDR"
                    ) from None
        return value

    @field_validator("bootstrap_key")
    @classmethod
    def _check_bootstrap_key(cls, value: SecretStr | None) -> SecretStr | None:
        from buena_server.auth.tokens import is_well_formed_key

        if value is not None and not is_well_formed_key(value.get_secret_value()):
            raise ValueError("BUENA_BOOTSTRAP_KEY must be 'bna_' followed by 64 hex characters")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_cors_origins(cls, value: str) -> str:
        from buena_server.kit.cors import parse_origins

        parse_origins(value)  # raises ValueError with a readable message
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        # Empty (``BUENA_REDIS_URL=`` in a compose file, say) is the same as unset.
        if value:
            connection_options(value)  # raises ValueError with a readable message
        return value or None

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        from buena_server.kit.db import async_database_url

        async_database_url(value)  # raises ValueError for an unsupported scheme
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_defaults_in_production(self) -> Self:
        if self.env is Environment.PRODUCTION:
            if "database_url" not in self.model_fields_set:
                raise ValueError(
                    "BUENA_DATABASE_URL must be set explicitly when BUENA_ENV=production"
                )
            if self.host in {"127.0.0.1", "localhost"} and "host" not in self.model_fields_set:
                # Loopback is the safe default for development; in production the operator
                # chooses the interface the load balancer reaches.
                raise ValueError("BUENA_HOST must be set explicitly when BUENA_ENV=production")
        return self

    @model_validator(mode="after")
    def _redis_for_idempotency(self) -> Self:
        if self.idempotency_store is IdempotencyStoreKind.REDIS and self.redis_url is None:
            raise ValueError("BUENA_IDEMPOTENCY_STORE=redis needs BUENA_REDIS_URL")
        return self

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @property
    def rate_limiting_enabled(self) -> bool:
        return self.rate_limits.strip().lower() != "off"


@lru_cache
def get_settings() -> Settings:
    return Settings()
