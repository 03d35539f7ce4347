"""The database URLs people write, and the drivers each client gets."""

from __future__ import annotations

import pytest

from workflows.database_url import audit_url, system_url


@pytest.mark.parametrize(
    ("written", "audit", "system"),
    [
        ("sqlite:///rel.db", "sqlite+aiosqlite:///rel.db", "sqlite:///dbos.sqlite"),
        ("sqlite:////abs/a.db", "sqlite+aiosqlite:////abs/a.db", "sqlite:///dbos.sqlite"),
        ("sqlite+aiosqlite:///a.db", "sqlite+aiosqlite:///a.db", "sqlite:///dbos.sqlite"),
        (
            "postgres://u:p@h:5433/d",
            "postgresql+asyncpg://u:p@h:5433/d",
            "postgresql+psycopg://u:p@h:5433/d",
        ),
        ("postgresql://u@h/d", "postgresql+asyncpg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+asyncpg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d", "postgresql+psycopg://u@h/d"),
        (
            "postgresql://u@h/d?sslmode=require",
            "postgresql+asyncpg://u@h/d?ssl=require",
            "postgresql+psycopg://u@h/d?sslmode=require",
        ),
    ],
)
def test_each_client_gets_its_driver(written: str, audit: str, system: str) -> None:
    assert audit_url(written) == audit
    assert system_url(written, "dbos.sqlite") == system
    assert system_url(audit, "dbos.sqlite") == system


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("mysql://u@h/d", "unsupported database 'mysql'"),
        ("postgresql+pg8000://u@h/d", "unsupported driver 'pg8000' for postgresql"),
        ("://", "not a database URL"),
        ("sqlite:///:memory:", "names no file"),
    ],
)
def test_unusable_urls_say_why(written: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        audit_url(written)


def test_the_password_is_never_in_the_message() -> None:
    with pytest.raises(ValueError) as refused:
        audit_url("mysql://u:hunter2@h/d")
    assert "hunter2" not in str(refused.value)
