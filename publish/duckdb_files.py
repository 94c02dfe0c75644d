"""What every stage that writes a DuckDB file needs: durable writes, files that change in one
rename, and string literals safely quoted for the few SQL texts that cannot bind a value."""

import os
import shutil
from pathlib import Path


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
