"""BI tools reading the published warehouse before, during and after a run."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.runner import run_pipeline
from publish.releases import published_release_id
from tests.conftest import FIXTURES, copy_home

pytestmark = pytest.mark.e2e
READERS = ("duckdb", "held", "sqlalchemy", "cli")


def test_readers_never_error_never_see_a_mix_and_never_hold_up_the_run(
    fixture_release: DangolHome, tmp_path: Path
):
    home = copy_home(fixture_release, tmp_path)
    first_release_id = published_release_id(home.warehouse_dir)[0]
    shutil.copy(FIXTURES / "later_exports" / "shop" / "orders_export_2.csv", home.landing / "shop")
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("bi_reader.py")),
                mode,
                str(home.published_db),
                str(tmp_path / f"{mode}.jsonl"),
                str(stop),
            ]
        )
        for mode in READERS
    }
    time.sleep(3)  # every reader is connected and reading before the run starts

    second = run_pipeline(home, DEFAULT_CONFIG)
    time.sleep(3)  # and goes on reading after it
    stop.touch()
    for process in readers.values():
        assert process.wait(timeout=60) == 0

    assert second.published and second.release_id != first_release_id, second.problems
    orders_in = {first_release_id: 6, second.release_id: 7}
    for mode in READERS:
        reads = [json.loads(line) for line in (tmp_path / f"{mode}.jsonl").read_text().splitlines()]
        assert len(reads) > 3, mode
        assert [r for r in reads if "error" in r] == [], mode
        assert all(r["consistent"] for r in reads), mode
        assert all(orders_in[r["release"]] == r["orders"] for r in reads), mode
        assert reads[0]["release"] == first_release_id, mode
        # A held connection keeps its snapshot; every fresh connection ends on the new release.
        expected_last = first_release_id if mode == "held" else second.release_id
        assert reads[-1]["release"] == expected_last, mode
