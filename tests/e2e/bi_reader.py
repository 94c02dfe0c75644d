"""A BI client reading the published warehouse in a loop, as a dashboard would.

Usage: bi_reader.py MODE DB OUT STOP. MODE is duckdb (a new connection per read), held (one
connection for the whole time), sqlalchemy (duckdb-engine, as Superset uses) or cli (the
DuckDB command-line tool). Writes one JSON line per read to OUT until the file STOP exists.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

# Revenue by order and by customer must agree inside one snapshot: a mix of two releases,
# or a half-copied table, would break it.
SNAPSHOT = """
    select
        (select release_id from meta.release) as release_id,
        (select count(*) from marts.fct_orders) as orders,
        (select sum(net_amount) from marts.fct_orders)
            = (select sum(net_revenue) from marts.dim_customers) as consistent
"""


def reader(mode: str, db: str):
    if mode == "duckdb":
        import duckdb

        def read():
            with duckdb.connect(db, read_only=True) as con:
                return con.execute(SNAPSHOT).fetchone()

        return read
    if mode == "held":
        import duckdb

        con = duckdb.connect(db, read_only=True)
        return lambda: con.execute(SNAPSHOT).fetchone()
    if mode == "sqlalchemy":
        import sqlalchemy as sa

        # No pool, as Superset connects: a pooled connection keeps reading the release it
        # opened (whole and consistent, but old) until the pool recycles it.
        engine = sa.create_engine(
            f"duckdb:///{db}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool
        )

        def read():
            with engine.connect() as con:
                return tuple(con.execute(sa.text(SNAPSHOT)).one())

        return read
    if mode == "cli":
        cli = str(Path(sys.executable).with_name("duckdb"))

        def read():
            out = subprocess.run(
                [cli, "-readonly", "-csv", "-noheader", db, SNAPSHOT.replace("\n", " ")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            release_id, orders, consistent = out.split(",")
            return release_id, int(orders), consistent == "true"

        return read
    raise SystemExit(f"unknown mode {mode}")


def main(mode: str, db: str, out: str, stop: str) -> None:
    read, deadline = reader(mode, db), time.monotonic() + 300
    with open(out, "w", encoding="utf-8") as log:
        while not Path(stop).exists() and time.monotonic() < deadline:
            try:
                release_id, orders, consistent = read()
                record = {"release": release_id, "orders": orders, "consistent": bool(consistent)}
            except Exception as error:  # any error is a finding, recorded for the test
                record = {"error": f"{type(error).__name__}: {error}"}
            record["at"] = time.monotonic()
            log.write(json.dumps(record) + "\n")
            log.flush()
            # A dashboard's pace; tighter loops only take the run's CPU on a small machine.
            time.sleep(0.5)


if __name__ == "__main__":
    main(*sys.argv[1:])
