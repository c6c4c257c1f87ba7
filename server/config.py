"""Settings from the environment (FIELDSALES_*), with sane defaults for a laptop."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFAULT_PG_WRITE_TRANSACTIONS", "Settings", "load_settings"]

_SECRET_FILE = "secret_key"
# Write transactions open at once per server process on PostgreSQL (`server.db.engine`
# says why they take turns).
DEFAULT_PG_WRITE_TRANSACTIONS = 4


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Login attempts allowed per client address per minute.
    login_rate_limit: int = 10
    # Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses or
    # networks, "*" for any); nobody's by default, so a client cannot name its own address.
    forwarded_allow_ips: tuple[str, ...] = ()
    # Mark cookies Secure even on requests that do not arrive over https.
    secure_cookies: bool = False
    max_body_bytes: int = 1_048_576
    jwt_issuer: str = "fieldsales"
    jwt_audience: str = "fieldsales-api"
    allowed_hosts: tuple[str, ...] = field(default_factory=lambda: ("*",))
    log_level: str = "INFO"
    # How often quotes past their validity are expired in the background; 0 turns it off.
    quote_expiry_interval_seconds: int = 3600
    # Rows of a CSV import written per write transaction; other requests go in between.
    import_batch_rows: int = 100
    # The credit limit of a customer onboarded without one being chosen.
    default_credit_limit_cents: int = 500_000
    # The seller printed on invoices; the address's lines are separated by "|".
    seller_name: str = "Fieldsales"
    seller_address: str = ""
    seller_tax_id: str = ""
    # How often the outbox worker looks for due messages; 0 turns the worker off.
    outbox_poll_seconds: float = 1.0
    # How long a worker's claim on a message lasts; a worker that died loses it after.
    outbox_claim_seconds: int = 120
    # A webhook or e-mail is retried for this long, then marked failed.
    delivery_retry_hours: float = 24.0
    # An endpoint is paused after this many failed attempts in a row.
    webhook_pause_after_failures: int = 30
    # Delivered outbox messages (events and their deliveries) are deleted after this many
    # days, with their attempt logs; failed ones stay for an admin to replay. 0 keeps all.
    outbox_retention_days: float = 30.0
    # Let webhooks reach private, loopback and link-local addresses (every endpoint).
    webhooks_allow_private: bool = False
    # smtp://user:password@host:587 (STARTTLS) or smtps://...:465 (TLS); empty: e-mails
    # are kept for admins to read and never sent.
    smtp_url: str = ""
    smtp_username: str = ""
    smtp_password: str = ""
    mail_from: str = "fieldsales@localhost"
    # How long a customer's portal link works unless it is revoked first.
    portal_link_days: int = 90
    # The server's address as customers reach it (https://sales.example.com): quote and
    # order e-mails link to the portal under it. Empty: e-mails carry no portal link.
    public_url: str = ""
    # Portal link openings allowed per client address per minute (guessing is slow).
    portal_rate_limit: int = 20
    # Write transactions open at once per server process on PostgreSQL; the rest wait their
    # turn before they begin.
    pg_write_transactions: int = DEFAULT_PG_WRITE_TRANSACTIONS


def _load_or_create_secret(data_dir: Path) -> str:
    """A strong random secret kept in the data directory, created on first start.

    There is deliberately no built-in default: a default secret shipped in code would let
    anyone mint tokens for every installation that forgot to configure one.
    """
    path = data_dir / _SECRET_FILE
    if path.exists():
        value = path.read_text().strip()
        if len(value) >= 32:
            return value
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _non_negative(env: dict[str, str], name: str, default: int) -> int:
    value = int(env.get(name, str(default)))
    if value < 0:
        raise ValueError(f"{name} must be 0 or more")
    return value


def _flag(env: dict[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("FIELDSALES_DATA_DIR", "./data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url = env.get("FIELDSALES_DATABASE_URL") or (
        f"sqlite+aiosqlite:///{data_dir / 'fieldsales.db'}"
    )
    secret = env.get("FIELDSALES_SECRET_KEY") or _load_or_create_secret(data_dir)
    if len(secret) < 32:
        raise ValueError("FIELDSALES_SECRET_KEY must be at least 32 characters")
    hosts = tuple(h.strip() for h in env.get("FIELDSALES_ALLOWED_HOSTS", "*").split(",") if h)
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=secret,
        access_token_minutes=int(env.get("FIELDSALES_ACCESS_TOKEN_MINUTES", "15")),
        refresh_token_days=int(env.get("FIELDSALES_REFRESH_TOKEN_DAYS", "30")),
        login_rate_limit=int(env.get("FIELDSALES_LOGIN_RATE_LIMIT", "10")),
        forwarded_allow_ips=tuple(
            p.strip() for p in env.get("FIELDSALES_FORWARDED_ALLOW_IPS", "").split(",") if p.strip()
        ),
        secure_cookies=env.get("FIELDSALES_SECURE_COOKIES", "").strip().lower()
        in ("1", "true", "yes", "on"),
        max_body_bytes=int(env.get("FIELDSALES_MAX_BODY_BYTES", "1048576")),
        allowed_hosts=hosts or ("*",),
        log_level=env.get("FIELDSALES_LOG_LEVEL", "INFO"),
        quote_expiry_interval_seconds=int(
            env.get("FIELDSALES_QUOTE_EXPIRY_INTERVAL_SECONDS", "3600")
        ),
        import_batch_rows=max(1, int(env.get("FIELDSALES_IMPORT_BATCH_ROWS", "100"))),
        default_credit_limit_cents=_non_negative(
            env, "FIELDSALES_DEFAULT_CREDIT_LIMIT_CENTS", 500_000
        ),
        seller_name=env.get("FIELDSALES_SELLER_NAME", "Fieldsales"),
        seller_address=env.get("FIELDSALES_SELLER_ADDRESS", ""),
        seller_tax_id=env.get("FIELDSALES_SELLER_TAX_ID", ""),
        outbox_poll_seconds=float(env.get("FIELDSALES_OUTBOX_POLL_SECONDS", "1")),
        outbox_claim_seconds=int(env.get("FIELDSALES_OUTBOX_CLAIM_SECONDS", "120")),
        delivery_retry_hours=float(env.get("FIELDSALES_DELIVERY_RETRY_HOURS", "24")),
        webhook_pause_after_failures=max(
            1, int(env.get("FIELDSALES_WEBHOOK_PAUSE_AFTER_FAILURES", "30"))
        ),
        outbox_retention_days=max(0.0, float(env.get("FIELDSALES_OUTBOX_RETENTION_DAYS", "30"))),
        webhooks_allow_private=_flag(env, "FIELDSALES_WEBHOOKS_ALLOW_PRIVATE"),
        smtp_url=env.get("FIELDSALES_SMTP_URL", ""),
        smtp_username=env.get("FIELDSALES_SMTP_USERNAME", ""),
        smtp_password=env.get("FIELDSALES_SMTP_PASSWORD", ""),
        mail_from=env.get("FIELDSALES_MAIL_FROM", "fieldsales@localhost"),
        portal_link_days=max(1, int(env.get("FIELDSALES_PORTAL_LINK_DAYS", "90"))),
        public_url=env.get("FIELDSALES_PUBLIC_URL", "").rstrip("/"),
        portal_rate_limit=max(1, int(env.get("FIELDSALES_PORTAL_RATE_LIMIT", "20"))),
        pg_write_transactions=max(
            1,
            int(env.get("FIELDSALES_PG_WRITE_TRANSACTIONS", str(DEFAULT_PG_WRITE_TRANSACTIONS))),
        ),
    )
