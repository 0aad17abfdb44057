"""The one typed settings object.

Values come, in order of precedence, from keyword arguments, ``VOXPOP_*`` environment variables, the
TOML file named by ``VOXPOP_CONFIG`` (or ``voxpop.toml`` in the data folder), and the defaults below —
which give a working SQLite install in a per-user data folder with nothing configured.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def default_home() -> Path:
    """The per-user data folder: ``$XDG_DATA_HOME/voxpop`` or ``~/.local/share/voxpop``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "voxpop"


def _config_file() -> Path | None:
    explicit = os.environ.get("VOXPOP_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"VOXPOP_CONFIG names {path}, which is not a file")
        return path
    home = Path(os.environ.get("VOXPOP_HOME") or default_home()).expanduser()
    candidate = home / "voxpop.toml"
    return candidate if candidate.is_file() else None


class Settings(BaseSettings):
    """Everything voxpop can be configured with. Bad values fail at start-up, loudly."""

    model_config = SettingsConfigDict(env_prefix="VOXPOP_", extra="forbid", validate_default=True)

    home: Path = Field(default_factory=default_home, description="Data folder: database, models, keys.")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL. Empty means SQLite in the data folder; "
        "postgresql+psycopg://user@host/db switches to PostgreSQL.",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs sessions and encrypts credentials. Empty: generated once and kept in the data folder.",
    )
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL of the web app.")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    session_max_age_hours: int = Field(default=12, ge=1, le=24 * 90)
    login_max_failures: int = Field(default=5, ge=1, description="Failed logins before a lock-out.")
    login_lockout_minutes: int = Field(default=15, ge=1)
    ingest_batch_size: int = Field(default=5000, ge=1, le=100_000)
    ingest_max_field_bytes: int = Field(
        default=1_000_000, ge=1024, description="A longer field rejects its row (a review is never 1 MB)."
    )
    model_dir: Path | None = Field(
        default=None, description="Where fitted and derived models are kept. Empty: <home>/models."
    )
    taxonomy: str = Field(
        default="general",
        description="The app's active taxonomy: a built-in name (general, restaurant, hotel, airline, saas) or a file.",
    )
    analyze_on_ingest: bool = Field(default=True, description="Analyse new items right after they are stored.")
    page_size: int = Field(default=50, ge=5, le=500)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    # Scale-out: the pipeline on Dramatiq workers (voxpop worker) instead of inline.
    broker_url: str = Field(
        default="", description="redis://… (or amqp://… for RabbitMQ) to run the pipeline on Dramatiq workers."
    )
    broker_namespace: str = Field(default="voxpop", description="Key prefix / queue name on the broker.")
    broker_heartbeat_ms: int = Field(
        default=15_000,
        ge=1000,
        description="A worker silent this long is dead: its unacknowledged messages go back to the queue.",
    )
    broker_maintenance_chance: int = Field(
        default=20_000,
        ge=1,
        le=1_000_000,
        description="Per million broker calls, how many also requeue dead workers' messages (Dramatiq's default, "
        "1,000, left a killed worker's messages waiting minutes).",
    )
    analysis_threads: int = Field(
        default=0,
        ge=0,
        description="Threads the embedding model uses per process, each running its own batch; 0: every core. "
        "`voxpop worker` shares the cores between its processes unless this is set.",
    )
    task_max_retries: int = Field(default=3, ge=0, le=20, description="Retries of a failing batch before it is split.")
    task_time_limit_seconds: int = Field(default=600, ge=10)
    queue_max_depth: int = Field(
        default=200, ge=1, description="Back-pressure: producers wait while more batches than this are queued."
    )
    languages: list[str] = Field(
        default_factory=lambda: ["en", "es", "fr", "de", "it", "pt", "nl"],
        description="ISO 639-1 codes the language detector chooses from.",
    )
    log_level: str = "INFO"

    # Outgoing mail (alerts, digests, outreach, survey invitations, idea-board news).
    smtp_host: str = Field(default="", description="SMTP server; empty: voxpop sends no mail.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: str = Field(default="starttls", description="starttls, ssl or none.")
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)
    mail_from: str = Field(default="voxpop <voxpop@localhost>", description="The From: of every mail voxpop sends.")
    business_name: str = Field(default="", description="Your business's name, used in replies and mails.")
    allow_private_urls: bool = Field(
        default=False,
        description="Let feeds, webhooks and other outbound URLs point at private or loopback addresses (SSRF guard).",
    )

    # Security (issue 9): the largest request body the web app reads (uploads, forms, API calls).
    max_request_bytes: int = Field(
        default=20_000_000, ge=1_000, description="Larger request bodies are refused with 413 before they are read."
    )

    # Measure (measure/): metrics, roll-ups, dashboard and reports.
    metrics_min_sample: int = Field(
        default=10, ge=1, description="Below this many answers a metric shows 'too few answers' instead of a number."
    )

    # Routing (act/routing): where an item goes when no rule and no aspect owner sends it anywhere.
    routing_default_department: str = Field(
        default="",
        max_length=120,
        description="Department of last resort for unrouted items; empty: leave them unrouted.",
    )

    # Alerts, promoter outreach and the weekly digest (act/alerts, act/outreach).
    alerts_interval_seconds: int = Field(
        default=300, ge=0, description="How often voxpop serve runs the window alert rules and retries; 0: never."
    )
    alert_http_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of a Slack/webhook post.")
    outreach_min_days_between_asks: int = Field(
        default=90, ge=1, description="At most one promoter ask per customer in this many days."
    )
    outreach_max_item_age_days: int = Field(default=30, ge=1, description="Only recent positive items are asked.")
    outreach_survey_url: str = Field(default="", description="Where a 'survey' ask leads (its token is appended).")
    outreach_referral_url: str = Field(default="", description="Where a referred friend lands (default: base_url).")
    digest_auto: bool = Field(
        default=True, description="voxpop serve mails each department last week's digest once (needs smtp_host)."
    )

    # Close the loop (loop/): public survey pages, the website widget, staff notes. Rate limits are
    # in-process token buckets per client address (see voxpop.loop.ratelimit for why).
    widget_rate_burst: int = Field(default=5, ge=1, description="Widget posts one client may send at once.")
    widget_rate_per_minute: float = Field(default=6.0, gt=0, description="Widget posts a client earns per minute.")
    public_rate_burst: int = Field(default=20, ge=1, description="Public form posts one client may send at once.")
    public_rate_per_minute: float = Field(default=30.0, gt=0, description="Public form posts earned per minute.")
    webhook_rate_burst: int = Field(
        default=60, ge=1, description="Inbound webhook deliveries one source takes at once."
    )
    webhook_rate_per_minute: float = Field(
        default=120.0, gt=0, description="Inbound webhook deliveries a source earns per minute (then HTTP 429)."
    )
    widget_max_text: int = Field(default=4000, ge=100, le=100_000, description="Longest widget message (characters).")
    review_invite_min_days: int = Field(
        default=180, ge=1, description="Frequency cap: at most one review invitation per customer in this many days."
    )

    # Replies (act/replies): AI-drafted replies from an OpenAI-compatible endpoint, and the facts they may use.
    llm_base_url: str = Field(
        default="", description="OpenAI-compatible API for AI reply drafts, e.g. http://localhost:11434/v1; empty: off."
    )
    llm_model: str = Field(default="", description="The model name the endpoint serves, e.g. llama3.1:8b.")
    llm_api_key: SecretStr = Field(default=SecretStr(""), description="Bearer key for the endpoint, if it needs one.")
    llm_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    tone_model: bool = Field(
        default=True, description="Let the learned tone classifier flag hostile sentences the phrase rules miss."
    )
    business_facts: str = Field(
        default="", max_length=20_000, description="Facts AI drafts may rely on: opening hours, refund terms, contacts."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql+psycopg:// URL")
        if value.startswith(("postgresql://", "postgres://")):
            # Be forgiving about the driver: psycopg 3 is the one we ship.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("smtp_security", mode="after")
    @classmethod
    def _check_smtp_security(cls, value: str) -> str:
        value = value.lower()
        if value not in {"starttls", "ssl", "none"}:
            raise ValueError("smtp_security must be starttls, ssl or none")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'voxpop.db'}"
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cookie_secure(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def models_path(self) -> Path:
        return (self.model_dir or self.home / "models").expanduser()

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home

    def secret(self) -> str:
        """The secret key; generated once (mode 0600) in the data folder when not configured."""
        value = self.secret_key.get_secret_value()
        if value:
            if len(value) < 16:
                raise ValueError("VOXPOP_SECRET_KEY must be at least 16 characters")
            return value
        path = self.ensure_home() / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to print: secrets masked, passwords in URLs removed."""
        data = self.model_dump()
        data["secret_key"] = "***" if self.secret_key.get_secret_value() else "(generated)"
        data["smtp_password"] = "***" if self.smtp_password.get_secret_value() else ""
        data["database_url"] = _mask_url(self.database_url)
        data["broker_url"] = _mask_url(self.broker_url)
        data["home"] = str(self.home)
        return data


def _mask_url(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
