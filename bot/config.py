"""Settings from the environment and an optional .env file (no module-level instance)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_REGION_FILE = Path(__file__).resolve().parent.parent / "storage" / "regions" / "komi.yaml"


class ConfigError(Exception):
    """A setting has a bad value; the message names the variable and never holds a secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/active-region.sqlite3"
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    vk_group_token: SecretStr | None = None
    vk_group_id: int | None = None
    vk_api_url: str = "https://api.vk.ru"
    vk_rps: float = Field(default=20.0, gt=0, le=20)
    media_dir: Path = Path("./data/media")
    timezone: str = "Europe/Moscow"
    answer_deadline_workdays: int = Field(default=10, ge=1, le=60)
    answer_date_horizon_days: int = Field(default=365, ge=7, le=1095)
    region_file: Path = DEFAULT_REGION_FILE
    privacy_policy_url: str = "https://example.org/privacy"
    portal_signal_url: str = "https://example.org/signals/{number}"
    callback_secret: SecretStr | None = None
    max_signals_per_day: int = Field(default=5, ge=1)
    max_messages_per_minute: int = Field(default=30, ge=1)
    max_photos: int = Field(default=5, ge=0, le=10)
    photo_max_side: int = Field(default=2560, ge=320)
    log_level: str = "INFO"
    log_format: str = "text"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1:8080"
    vk_callback_path: str = "/vk/callback"
    vk_callback_confirmation: str | None = None
    vk_callback_secret: SecretStr | None = None
    http_listen: str | None = None
    notify_telegram_rate: float = Field(default=30.0, gt=0)
    notify_telegram_per_chat: float = Field(default=1.0, gt=0)
    notify_batch: int = Field(default=50, ge=1)
    notify_lease_seconds: float = Field(default=60.0, gt=0)
    notify_max_attempts: int = Field(default=8, ge=1)
    notify_backoff_base_seconds: float = Field(default=2.0, gt=0)
    notify_backoff_cap_seconds: float = Field(default=900.0, gt=0)
    notify_sweep_seconds: float = Field(default=30.0, gt=0)
    reminder_workdays: int = Field(default=2, ge=1)
    auto_close_days: int = Field(default=14, ge=1)
    followup_fixed_workdays: int = Field(default=10, ge=1, le=60)
    followup_silence_workdays: int = Field(default=10, ge=1, le=60)
    digest_hour: int = Field(default=8, ge=0, le=23)
    morning_hour: int = Field(default=9, ge=0, le=23)
    leader_retry_seconds: float = Field(default=5.0, gt=0)
    platform_retry_max_seconds: float = Field(default=60.0, gt=0)
    web_enabled: bool = True
    web_allowed_origins: str = ""
    web_public_url: str | None = None
    web_cookie_samesite: str = "Lax"
    web_rate_per_session: int = Field(default=60, ge=1)
    web_rate_per_ip: int = Field(default=300, ge=1)
    open311_enabled: bool = True
    open311_public_url: str | None = None
    open311_contact: str = ""
    open311_key_rate: int = Field(default=60, ge=1, le=10_000)
    open311_media_max_mb: int = Field(default=10, ge=1, le=20)
    open311_media_allow_networks: str = ""  # tests only: CIDRs let through despite being private

    @field_validator("open311_media_allow_networks")
    @classmethod
    def _networks(cls, v: str) -> str:
        from ipaddress import ip_network

        for net in filter(None, (n.strip() for n in v.split(","))):
            try:
                ip_network(net)
            except ValueError as exc:
                raise ValueError("expected comma-separated networks such as 127.0.0.1/32") from exc
        return v

    @field_validator("web_allowed_origins")
    @classmethod
    def _origins(cls, v: str) -> str:
        for origin in filter(None, (o.strip() for o in v.split(","))):
            if not origin.startswith(("http://", "https://")) or origin.rstrip("/").count("/") != 2:
                raise ValueError("expected comma-separated origins such as https://portal.example.ru (no path)")
        return v

    @field_validator("web_public_url", "open311_public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("expected the chat's public http(s):// URL")
        return v.rstrip("/") if v else v

    @field_validator("web_cookie_samesite")
    @classmethod
    def _samesite(cls, v: str) -> str:
        if v.capitalize() not in ("Lax", "Strict", "None"):
            raise ValueError("expected Lax, Strict or None (None needs an https WEB_PUBLIC_URL)")
        return v.capitalize()

    @property
    def web_origins(self) -> tuple[str, ...]:
        return tuple(o.strip().rstrip("/") for o in self.web_allowed_origins.split(",") if o.strip())

    @property
    def http_address(self) -> str:
        """host:port of the instance's HTTP server (the web chat, webhooks, /healthz, /metrics)."""
        return self.http_listen or self.webhook_listen

    @property
    def needs_http(self) -> bool:
        return bool(self.web_enabled or self.webhook_mode or self.vk_callback_confirmation or self.http_listen)

    @field_validator("webhook_listen", "http_listen")
    @classmethod
    def _listen(cls, v: str | None) -> str | None:
        if v is None:
            return v
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected host:port, e.g. 127.0.0.1:8080")
        return v

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("https://") and not v.startswith("http://"):
            raise ValueError("expected the public https:// URL Telegram will post updates to")
        return v

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, v: str) -> str:
        if v not in ("text", "json"):
            raise ValueError("expected text or json")
        return v

    @property
    def webhook_mode(self) -> bool:
        return bool(self.telegram_webhook_url)

    @staticmethod
    def split_listen(value: str) -> tuple[str, int]:
        host, _, port = value.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        if not (v.startswith("sqlite+aiosqlite://") or v.startswith("postgresql+asyncpg://")):
            raise ValueError("expected sqlite+aiosqlite:///path or postgresql+asyncpg://user:pass@host/db")
        return v

    @field_validator("telegram_api_url", "vk_api_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("expected an http(s):// base URL")
        return v.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone such as Europe/Moscow") from exc
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def channels(self) -> list[str]:
        found = ["web"] if self.web_enabled else []
        if self.telegram_bot_token:
            found.append("telegram")
        if self.vk_group_token:
            found.append("vk")
        return found

    def signing_key(self) -> bytes:
        """Key that signs callback payloads; derived from the bot tokens when not set explicitly."""
        for secret in (self.callback_secret, self.telegram_bot_token, self.vk_group_token):
            if secret:
                return secret.get_secret_value().encode()
        return b"active-region-dev-key"


def load_settings(**overrides: object) -> Settings:
    """Build Settings or raise ConfigError with one line per bad variable (values are never echoed)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {msg}")
        raise ConfigError("; ".join(lines)) from None
