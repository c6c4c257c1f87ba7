"""Settings come from the environment; a missing secret is generated once and kept."""

from __future__ import annotations

import stat

import pytest

from server.config import load_settings


def test_without_a_configured_secret_one_is_generated_and_kept(tmp_path):
    env = {"FIELDSALES_DATA_DIR": str(tmp_path)}
    first = load_settings(env)
    second = load_settings(env)
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    secret_file = tmp_path / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    other = load_settings({"FIELDSALES_DATA_DIR": str(tmp_path / "elsewhere")})
    assert other.secret_key != first.secret_key


def test_defaults_to_a_sqlite_file_in_the_data_directory(tmp_path):
    settings = load_settings({"FIELDSALES_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'fieldsales.db'}"


def test_environment_overrides_are_honoured(tmp_path):
    settings = load_settings(
        {
            "FIELDSALES_DATA_DIR": str(tmp_path),
            "FIELDSALES_SECRET_KEY": "k" * 40,
            "FIELDSALES_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "FIELDSALES_LOGIN_RATE_LIMIT": "3",
            "FIELDSALES_PORTAL_LINK_DAYS": "30",
            "FIELDSALES_PORTAL_RATE_LIMIT": "5",
            "FIELDSALES_PG_WRITE_TRANSACTIONS": "8",
        }
    )
    assert settings.pg_write_transactions == 8
    assert settings.secret_key == "k" * 40 and settings.database_url.startswith("postgresql")
    assert settings.login_rate_limit == 3
    assert settings.portal_link_days == 30 and settings.portal_rate_limit == 5
    assert not (tmp_path / "secret_key").exists()


def test_postgresql_keeps_four_write_transactions_open_at_least_one(tmp_path):
    assert load_settings({"FIELDSALES_DATA_DIR": str(tmp_path)}).pg_write_transactions == 4
    none = load_settings(
        {"FIELDSALES_DATA_DIR": str(tmp_path), "FIELDSALES_PG_WRITE_TRANSACTIONS": "0"}
    )
    assert none.pg_write_transactions == 1


def test_a_short_secret_is_refused(tmp_path):
    with pytest.raises(ValueError):
        load_settings({"FIELDSALES_DATA_DIR": str(tmp_path), "FIELDSALES_SECRET_KEY": "short"})


def test_no_proxy_is_trusted_unless_named_and_secure_cookies_can_be_forced(tmp_path):
    plain = load_settings({"FIELDSALES_DATA_DIR": str(tmp_path)})
    assert plain.forwarded_allow_ips == () and plain.secure_cookies is False
    behind = load_settings(
        {
            "FIELDSALES_DATA_DIR": str(tmp_path),
            "FIELDSALES_FORWARDED_ALLOW_IPS": "10.0.0.2, 10.1.0.0/16",
            "FIELDSALES_SECURE_COOKIES": "1",
        }
    )
    assert (
        behind.forwarded_allow_ips == ("10.0.0.2", "10.1.0.0/16") and behind.secure_cookies is True
    )


def test_the_default_credit_limit_comes_from_the_environment_and_is_never_negative(tmp_path):
    base = {"FIELDSALES_DATA_DIR": str(tmp_path), "FIELDSALES_SECRET_KEY": "k" * 40}
    assert load_settings(base).default_credit_limit_cents == 500_000
    assert (
        load_settings(
            {**base, "FIELDSALES_DEFAULT_CREDIT_LIMIT_CENTS": "0"}
        ).default_credit_limit_cents
        == 0
    )
    with pytest.raises(ValueError):
        load_settings({**base, "FIELDSALES_DEFAULT_CREDIT_LIMIT_CENTS": "-1"})


def test_the_outbox_keeps_delivered_messages_thirty_days_unless_told_otherwise(tmp_path):
    base = {"FIELDSALES_DATA_DIR": str(tmp_path), "FIELDSALES_SECRET_KEY": "k" * 40}
    assert load_settings(base).outbox_retention_days == 30
    assert (
        load_settings({**base, "FIELDSALES_OUTBOX_RETENTION_DAYS": "7.5"}).outbox_retention_days
        == 7.5
    )
    # Zero (or less) keeps everything.
    assert (
        load_settings({**base, "FIELDSALES_OUTBOX_RETENTION_DAYS": "-3"}).outbox_retention_days == 0
    )
