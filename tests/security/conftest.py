"""Fixtures of the security suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar

from server.app import create_app
from server.config import Settings
from tests.conftest import TEST_SECRET


@pytest.fixture(scope="session")
def routes_app(tmp_path_factory: pytest.TempPathFactory) -> Litestar:
    """The app as wired, for reading its routes and request shapes; it serves nothing, so
    the tests that only inspect it run once, not once per database."""
    data_dir: Path = tmp_path_factory.mktemp("routes")
    return create_app(
        Settings(
            data_dir=data_dir,
            database_url=f"sqlite+aiosqlite:///{data_dir / 'unused.db'}",
            secret_key=TEST_SECRET,
        )
    )
