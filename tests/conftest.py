import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config):
    # Test modules load the Dagster definitions, which read the dbt manifest: a plain
    # `pytest` after a model changed must not test a stale one (make does this too).
    from orchestration.manifest import ensure_dbt_manifest

    ensure_dbt_manifest()


@pytest.fixture
def fixture_landing(tmp_path: Path) -> Path:
    """A private copy of the small real-layout exports, safe to add files to."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES / "landing", landing)
    return landing


EXPORTS = FIXTURES / "exports"
SMARTSTORE_PASSWORD = "dangol-fixture-pw"  # tests/fixtures/make_exports.py


@pytest.fixture
def empty_landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    for family in ("shop", "crm", "sns"):
        (landing / family).mkdir(parents=True)
    return landing
