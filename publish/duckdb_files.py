"""What every stage that writes a DuckDB file needs: connections that keep to the run's memory
budget, durable writes, files that change in one rename, and string literals safely quoted for
the few SQL texts that cannot bind a value."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class DuckDBResources:
    """What DuckDB may use in one process of a run (dangol.yaml `duckdb:`, whose schema has the
    defaults): past `memory_limit` it spills to `temp_directory`, which is in the home's
    owner-only build folder because spilled pages hold personal data."""

    memory_limit: str
    threads: int
    temp_directory: Path

    def settings(self) -> dict[str, str]:
        return {
            "memory_limit": self.memory_limit,
            "threads": str(self.threads),
            "temp_directory": str(self.temp_directory),
        }


def connect(
    database: Path | str, resources: DuckDBResources | None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """The one way the pipeline opens DuckDB; `resources` None only outside a run (status,
    rollback), where DuckDB's own defaults serve a few small reads."""
    if resources is None:
        return duckdb.connect(str(database), read_only=read_only)
    make_spill_folder(resources.temp_directory)
    return duckdb.connect(str(database), read_only=read_only, config=resources.settings())


def make_spill_folder(folder: Path) -> None:
    """Owner-only, it and its parent: DuckDB would make only the last folder, as it spills."""
    for level in (folder.parent, folder):
        level.mkdir(mode=0o700, parents=True, exist_ok=True)


def fsync(path: Path) -> None:
    """Flush a file or a folder (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_by_copy(source: Path, target: Path, mode: int | None = None) -> None:
    """Copy `source` over `target` so that `target` changes in one rename, never partly."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(source, partial)
    if mode is not None:
        partial.chmod(mode)
    fsync(partial)
    os.replace(partial, target)
    fsync(target.parent)


def sql_string(value: str) -> str:
    """A SQL string literal, for paths in ATTACH / read_csv / COPY, which take no parameters."""
    return "'" + value.replace("'", "''") + "'"
