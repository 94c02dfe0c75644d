"""Ingest throughput on a large Shopify orders export beside DuckDB's own read_csv.

Not a test: run `make bench` (or this file with --size-mb) and read the numbers. The target is
at least half of DuckDB's throughput. The export is built once under /tmp (a generated sample,
its rows repeated up to the size asked), so only the first run pays for it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from ingest.landing import ingest_landing
from orchestration.config import IngestConfig
from sample_data.base_exports import write_sample_exports

SETTINGS = IngestConfig().settings()


def big_export(size_mb: int, cache: Path) -> Path:
    path = cache / f"orders_export_{size_mb}mb.csv"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        sample = write_sample_exports(
            Path(scratch), customers=50_000, seed=1, as_of=dt.date(2026, 3, 5)
        ).shop_orders
        header, body = sample.read_bytes().split(b"\n", 1)
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            out.write(header + b"\n")
            while out.tell() < size_mb << 20:
                out.write(body)
        partial.replace(path)
    return path


def timed(label: str, size: int, work) -> float:
    started = time.perf_counter()
    rows = work()
    seconds = time.perf_counter() - started
    print(f"{label:<34} {rows:>11,} rows  {seconds:7.2f} s  {size / seconds / 1e6:8.1f} MB/s")
    return size / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/dangol-bench"))
    args = parser.parse_args()
    export = big_export(args.size_mb, args.cache)
    size = export.stat().st_size
    print(f"{export} ({size / 1e6:,.0f} MB), DuckDB {duckdb.__version__}")

    with tempfile.TemporaryDirectory(dir=args.cache) as work:
        work = Path(work)

        def duckdb_read_csv() -> int:
            with duckdb.connect(str(work / "plain.duckdb")) as con:
                literal = "'" + str(export).replace("'", "''") + "'"
                con.execute(
                    f"create table orders as select * from read_csv({literal},"
                    " header = true, all_varchar = true)"
                )
                return con.execute("select count(*) from orders").fetchone()[0]

        def dangol_ingest() -> int:
            landing = work / "landing"
            (landing / "shop").mkdir(parents=True)
            # A hard link: the same bytes, without copying a gigabyte.
            (landing / "shop" / export.name).hardlink_to(export)
            with duckdb.connect(str(work / "dangol.duckdb")) as con:
                report = ingest_landing(con, landing, run_id="bench", settings=SETTINGS)
            shutil.rmtree(landing)
            return report.files[0].rows_loaded

        plain = timed("DuckDB read_csv into a table", size, duckdb_read_csv)
        ours = timed("dangol ingest_landing", size, dangol_ingest)
    print(f"ingest throughput is {ours / plain:.0%} of DuckDB's (target: at least 50%)")


if __name__ == "__main__":
    main()
