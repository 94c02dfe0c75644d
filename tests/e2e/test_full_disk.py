"""A disk that fills up mid-run: the run stops, says so in one line, and publishes nothing.

The home is a real, tiny filesystem (tmpfs); mounting one needs root (CI runs as root)."""

import subprocess
from pathlib import Path

import pytest

from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.runner import run_pipeline

pytestmark = pytest.mark.e2e


@pytest.fixture
def tiny_disk(tmp_path: Path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_line_and_nothing_is_published(tiny_disk: Path, fixture_landing):
    home = DangolHome(root=tiny_disk / "home", landing=fixture_landing)

    outcome = run_pipeline(home, DEFAULT_CONFIG)

    assert not outcome.published
    full = [p for p in outcome.problems if "is full (No space left on device)" in p]
    assert len(full) == 1 and "\n" not in full[0], outcome.problems
    assert f"the disk holding {home.root} is full" in full[0]
    assert not home.published_db.exists()
