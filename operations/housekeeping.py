"""What runs leave behind is removed once older than `housekeeping.keep_days`: build files of
finished runs, dbt artifacts, logs and Data Docs; what DuckDB spilled to disk goes at the end of
every run. Releases are publish's to prune, never ours."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.config import DangolHome


def _older_than(path: Path, cutoff: float) -> bool:
    try:
        return path.lstat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def remove_old_run_files(
    home: DangolHome, keep_days: int, current_run_id: str, now: dt.datetime | None = None
) -> list[Path]:
    """Removes and returns what is older than `keep_days`; the current run's files stay, its
    spill folder (pages of the build, personal data) does not: the run is over."""
    cutoff = ((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=keep_days)).timestamp()
    removed = []
    if home.duckdb_spill_dir.is_dir():
        shutil.rmtree(home.duckdb_spill_dir, ignore_errors=True)
        removed.append(home.duckdb_spill_dir)
    candidates = [
        *(home.build_dir.glob("*") if home.build_dir.is_dir() else []),
        *(home.dbt_artifacts_dir.glob("*") if home.dbt_artifacts_dir.is_dir() else []),
        *((home.reports_dir / "quality").glob("*") if home.reports_dir.is_dir() else []),
        *(home.logs_dir.glob("*") if home.logs_dir.is_dir() else []),
    ]
    for path in candidates:
        if current_run_id in path.name or not _older_than(path, cutoff):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
