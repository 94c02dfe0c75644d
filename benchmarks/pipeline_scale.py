"""A whole `dangol run` at 1M and 10M Shopify order lines beside a plain DuckDB floor.

Not a test: `make bench` runs it and prints one table. The floor is a plain DuckDB script doing
the core of the same work on the same file (read the CSV, fold lines into orders with refunds,
aggregate customers, score RFM), run one after the other on the same machine, so the ratio
holds on any machine. Beside it, the same script followed by nothing but the writes a pipeline
that publishes its order lines cannot skip (a fact, its release copy, its Parquet snapshot): a
reference for the goal of the full run, which leaves room for little more. Exports are
generated once under the cache folder (deterministic: the same sizes give the same bytes) and
hard-linked into each run's landing folder.

Each `dangol run` is a fresh process with its own home and a persistent DAGSTER_HOME, so the
slowest steps are read back from Dagster's own event log (steps, and dbt models by their
execution time); peak memory is the largest resident size of the run's whole process tree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.serve import prepare_dagster_home

LINES_PER_CUSTOMER = 30  # the generator: about one customer per 30 lines
HISTORY_START = dt.date(2024, 1, 1)
HISTORY_END = dt.date(2026, 11, 30)  # the daily file lands the day after
STATUSES = """
    case
        when status_roll < 93 then 'paid'
        when status_roll < 96 then 'refunded'
        when status_roll < 98 then 'partially_refunded'
        else 'voided'
    end
"""


def write_shopify_orders(
    path: Path, first_order: int, orders: int, customers: int, start: dt.date, days: int
) -> None:
    """A Shopify admin orders export: 1 to 5 lines an order, order fields on the first line."""
    partial = path.with_suffix(".partial")
    seconds = days * 86_400
    with duckdb.connect() as con:
        con.execute(f"""
            copy (
                with orders as (
                    select
                        order_no,
                        cast(hash(order_no, 'customer') % {customers} as bigint) as customer_no,
                        cast(1 + hash(order_no, 'lines') % 5 as bigint) as line_count,
                        timestamp '{start}' + to_seconds(
                            cast(hash(order_no, 'time') % {seconds} as bigint)
                        ) as created_at,
                        hash(order_no, 'status') % 100 as status_roll,
                        hash(order_no, 'discount') % 10 = 0 as discounted
                    from range({first_order}, {first_order + orders}) as t(order_no)
                ),
                lines as (
                    select
                        orders.*,
                        line_no,
                        cast(1 + hash(order_no, line_no, 'qty') % 3 // 2 as integer) as quantity,
                        cast(5000 + 1000 * (hash(order_no, line_no, 'price') % 40) as double)
                            as price,
                        hash(order_no, line_no, 'product') % 60 as product_no
                    from orders, range(line_count) as l(line_no)
                ),
                priced as (
                    select
                        *,
                        sum(quantity * price) over (partition by order_no) as subtotal,
                        {STATUSES} as status
                    from lines
                ),
                amounts as (
                    select
                        *,
                        case when discounted then round(subtotal * 0.1) else 0 end as discount
                    from priced
                )
                select
                    '#' || (1000 + order_no) as "Name",
                    'customer' || customer_no || '@example.com' as "Email",
                    case when line_no = 0 then status end as "Financial Status",
                    case when line_no = 0 and status <> 'voided'
                        then strftime(created_at, '%Y-%m-%d %H:%M:%S +0900') end as "Paid at",
                    case when line_no = 0 then 'KRW' end as "Currency",
                    case when line_no = 0 then printf('%.2f', subtotal - discount) end
                        as "Subtotal",
                    case when line_no = 0 then printf('%.2f', discount) end
                        as "Discount Amount",
                    strftime(created_at, '%Y-%m-%d %H:%M:%S +0900') as "Created at",
                    quantity as "Lineitem quantity",
                    'Product ' || product_no as "Lineitem name",
                    printf('%.2f', price) as "Lineitem price",
                    'DG-' || lpad(cast(product_no as varchar), 4, '0') as "Lineitem sku",
                    case when line_no = 0 and status = 'voided'
                        then strftime(created_at + interval 1 hour, '%Y-%m-%d %H:%M:%S +0900')
                    end as "Cancelled at",
                    case when line_no = 0 then printf('%.2f', case status
                        when 'refunded' then subtotal - discount
                        when 'partially_refunded' then price
                        else 0 end) end as "Refunded Amount",
                    case when line_no = 0 then 5400000000000 + order_no end as "Id"
                from amounts
                order by order_no, line_no
            ) to '{partial}' (header, quote '"')
        """)
    partial.replace(path)


@dataclass
class Dataset:
    lines: int
    history: Path
    daily: Path


def dataset(lines: int, cache: Path) -> Dataset:
    """The history export at this size and a daily file of 0.1% new lines the day after."""
    folder = cache / f"{lines}_lines"
    history, daily = folder / "orders_export_history.csv", folder / "orders_export_daily.csv"
    folder.mkdir(parents=True, exist_ok=True)
    orders = lines // 3  # 1 to 5 lines an order: 3 on average
    customers = max(lines // LINES_PER_CUSTOMER, 1)
    if not history.exists():
        days = (HISTORY_END - HISTORY_START).days
        write_shopify_orders(history, 0, orders, customers, HISTORY_START, days)
    if not daily.exists():
        # Mostly returning customers: the daily orders draw from the same customer pool.
        next_day = HISTORY_END + dt.timedelta(days=1)
        write_shopify_orders(daily, orders, max(orders // 1000, 1), customers, next_day, 1)
    return Dataset(lines, history, daily)


def plain_duckdb_floor(export: Path, work: Path) -> float:
    """The core of the work in one plain DuckDB script: the floor a pipeline is measured by."""
    started = time.perf_counter()
    literal = "'" + str(export).replace("'", "''") + "'"
    with duckdb.connect(str(work / "floor.duckdb")) as con:
        con.execute(f"""
            create table order_lines as
            select * from read_csv({literal}, header = true, all_varchar = true);

            create table orders as
            select
                "Name" as order_name,
                any_value("Email") as email,
                max("Financial Status") as status,
                max(strptime("Created at", '%Y-%m-%d %H:%M:%S %z')) as ordered_at,
                sum(cast("Lineitem quantity" as integer) * cast("Lineitem price" as decimal(18, 2)))
                    as merchandise,
                max(cast("Discount Amount" as decimal(18, 2))) as discount,
                max(cast("Refunded Amount" as decimal(18, 2))) as refunded
            from order_lines
            group by "Name";

            create table customers as
            select
                email,
                max(ordered_at) as last_ordered_at,
                count(*) as frequency,
                sum(merchandise - discount - refunded) as monetary
            from orders
            where status in ('paid', 'partially_refunded')
            group by email;

            create table customer_rfm as
            select
                *,
                ntile(5) over (order by last_ordered_at) as recency_score,
                ntile(5) over (order by frequency) as frequency_score,
                ntile(5) over (order by monetary) as monetary_score
            from customers;
        """)
    return time.perf_counter() - started


@dataclass
class LeanMeasure:
    """The floor plus the writes a pipeline that publishes its order lines cannot skip."""

    floor: float
    fact: float  # every line once, typed, with its order's customer, date and status
    release: float  # that fact copied into a release file BI tools with DuckDB 1.0 open
    parquet: float  # and into a Parquet snapshot by month, for tools that cannot read DuckDB

    @property
    def seconds(self) -> float:
        return self.floor + self.fact + self.release + self.parquet


def lean_pipeline(export: Path, work: Path) -> LeanMeasure:
    """How long a pipeline doing nothing but the floor's work and writing its order lines once
    into the build, once into a release and once into Parquet would take, without a fixed cost
    (no identities, attribution, other marts, tests, audit, segments, exports or report): the
    least any pipeline with Dangol's kind of release can do, beside the goal of the full run."""
    floor = plain_duckdb_floor(export, work)
    with duckdb.connect(str(work / "floor.duckdb")) as con:
        started = time.perf_counter()
        # The customer pseudonymised, as a BI-facing table must have it; the line numbered by
        # its place in the file (the cheapest key there is).
        con.execute("""
            create table order_lines_fact as
            select
                orders.order_name as order_id,
                lines.rowid as order_line_id,
                md5(coalesce(orders.email, '')) as customer_id,
                orders.ordered_at,
                cast(orders.ordered_at as date) as ordered_date,
                orders.status as order_status,
                lines."Lineitem name" as product_name,
                lines."Lineitem sku" as product_sku,
                cast(lines."Lineitem quantity" as integer) as quantity,
                cast(lines."Lineitem quantity" as integer)
                    * cast(lines."Lineitem price" as decimal(18, 2)) as gross_amount
            from order_lines as lines
            join orders on orders.order_name = lines."Name"
        """)
        fact = time.perf_counter() - started
        # As the release writes its tables (publish.releases): in no particular order, into the
        # file format of publish.duckdb_storage_version's default.
        con.execute("set preserve_insertion_order = false")
        con.execute("set partitioned_write_flush_threshold = 20000")
        started = time.perf_counter()
        release = str(work / "lean_release.duckdb").replace("'", "''")
        con.execute(f"attach '{release}' as release (storage_version 'v1.0.0')")
        con.execute("create table release.order_lines_fact as from order_lines_fact")
        con.execute("checkpoint release")
        copied = time.perf_counter() - started
        started = time.perf_counter()
        snapshot = str(work / "lean_parquet").replace("'", "''")
        con.execute(f"""
            copy (
                select *, strftime(ordered_date, '%Y-%m') as ordered_month
                from release.order_lines_fact
            ) to '{snapshot}' (format parquet, partition_by (ordered_month))
        """)
        parquet = time.perf_counter() - started
    return LeanMeasure(floor, fact, copied, parquet)


def _process_tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            statm = Path(entry.path, "statm").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(pid)
        rss[pid] = int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE")
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += rss.get(pid, 0)
        pending.extend(children.get(pid, []))
    return total


@dataclass
class RunMeasure:
    seconds: float
    peak_bytes: int
    slowest: list[tuple[str, float]] = field(default_factory=list)
    published: bool = True


def dangol_run(home: Path, landing: Path) -> RunMeasure:
    dagster_home = home / "dagster"
    prepare_dagster_home(dagster_home)  # the storage `dangol serve` sets up: SQLite, this folder
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home)}
    newest_before = _newest_run_id(dagster_home)
    command = [
        *(str(Path(sys.executable).with_name("dangol")), "run"),
        *("--home", str(home), "--landing", str(landing)),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, _process_tree_rss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        print(output.decode(errors="replace")[-3000:], file=sys.stderr)
    # A run with nothing new starts no Dagster run: it has no steps, not the last run's.
    slowest = _slowest_steps(dagster_home) if _newest_run_id(dagster_home) != newest_before else []
    return RunMeasure(seconds, peak, slowest, published=process.returncode == 0)


def _newest_run_id(dagster_home: Path) -> str | None:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        return runs[0].run_id if runs else None


def _slowest_steps(dagster_home: Path, count: int = 5) -> list[tuple[str, float]]:
    """The five slowest of the newest run's steps and dbt models, from Dagster's event log."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return []
        durations: dict[str, float] = {}
        started: dict[str, float] = {}
        for entry in instance.all_logs(runs[0].run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                started[event.step_key] = entry.timestamp
            elif (
                event.event_type
                in (
                    dg.DagsterEventType.STEP_SUCCESS,
                    dg.DagsterEventType.STEP_FAILURE,
                )
                and event.step_key in started
            ):
                durations[f"step {event.step_key}"] = entry.timestamp - started[event.step_key]
            elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                materialization = event.event_specific_data.materialization
                seconds = materialization.metadata.get("Execution Duration")
                if seconds is not None:
                    name = materialization.asset_key.path[-1]
                    durations[f"dbt {name}"] = float(seconds.value)
    return sorted(durations.items(), key=lambda item: -item[1])[:count]


@dataclass
class SizeMeasures:
    floor: float
    full: RunMeasure
    daily: RunMeasure
    nothing_new: RunMeasure
    lean: LeanMeasure | None = None


@dataclass
class Goals:
    """The issue's goals, each said met or not with the numbers of this benchmark run."""

    demo: RunMeasure | None = None
    sizes: dict[int, SizeMeasures] = field(default_factory=dict)

    def verdicts(self) -> list[str]:
        lines = []

        def judge(met: bool, text: str) -> None:
            lines.append(f"- {'met' if met else 'NOT met'}: {text}")

        if self.demo:
            judge(self.demo.seconds <= 25, f"demo run {self.demo.seconds:.1f} s (at most 25 s)")
        for size, m in self.sizes.items():
            limit = 2 * m.floor + 20
            judge(
                m.full.seconds <= limit,
                f"full run at {size:,} lines {m.full.seconds:.1f} s"
                f" (at most 2 x floor + 20 s = {limit:.1f} s)",
            )
            share = m.daily.seconds / m.full.seconds
            daily = f"daily run at {size:,} lines {share:.0%} of a full run"
            # The goal is a daily file on the largest history (10M lines); on a smaller one the
            # fixed cost of a run is most of both runs, which says nothing of the daily's cost.
            if size == max(self.sizes):
                judge(share <= 0.3, f"{daily} (30%)")
            else:
                lines.append(f"- not a goal: {daily} (the goal is the largest history's)")
            if m.lean:
                # Not a goal: what the goal leaves room for, measured in the same run.
                lines.append(
                    f"- for reference: at {size:,} lines the floor and nothing but its order lines"
                    f" written (fact, release, Parquet) take {m.lean.seconds:.1f} s, before any"
                    f" fixed cost; the full run's goal is {limit:.1f} s"
                )
            judge(
                m.nothing_new.seconds <= 5,
                f"nothing new at {size:,} lines {m.nothing_new.seconds:.1f} s (seconds)",
            )
        if self.sizes:
            largest = max(self.sizes)
            peak = max(m.full.peak_bytes for m in self.sizes.values())
            judge(peak <= 4 * 2**30, f"peak memory up to {largest:,} lines {_gib(peak)} (4 GiB)")
        if len(self.sizes) > 1 and self.demo:
            small, large = min(self.sizes), max(self.sizes)
            fixed = self.demo.seconds
            growth = (self.sizes[large].full.seconds - fixed) / max(
                self.sizes[small].full.seconds - fixed, 1e-9
            )
            allowed = 1.1 * large / small
            judge(
                growth <= allowed,
                f"growth from {small:,} to {large:,} lines after the fixed cost (the demo run)"
                f" {growth:.1f}x (at most {allowed:.0f}x)",
            )
        return lines


def _gib(size: int) -> str:
    return f"{size / 2**30:.1f} GiB"


def _row(label: str, floor: float | None, run: RunMeasure) -> str:
    ratio = f"{run.seconds / floor:.1f}x" if floor else "-"
    floor_text = f"{floor:.1f} s" if floor else "-"
    verdict = "" if run.published else " (did not publish)"
    return (
        f"| {label} | {floor_text} | {run.seconds:.1f} s{verdict} | {ratio}"
        f" | {_gib(run.peak_bytes)} | "
        + "; ".join(f"{name} {seconds:.0f} s" for name, seconds in run.slowest)
        + " |"
    )


def _lean_row(label: str, lean: LeanMeasure) -> str:
    return (
        f"| {label}: the floor, then only its order lines written (no fixed cost)"
        f" | {lean.floor:.1f} s | {lean.seconds:.1f} s | {lean.seconds / lean.floor:.1f}x | -"
        f" | the fact {lean.fact:.0f} s; its release copy {lean.release:.0f} s;"
        f" its Parquet {lean.parquet:.0f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--cache", type=Path, default=Path("/tmp/dangol-bench"))
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()

    rows, goals = [], Goals()
    with tempfile.TemporaryDirectory(dir=args.cache.parent) as scratch:
        scratch = Path(scratch)
        if not args.skip_demo:
            home = scratch / "demo"
            subprocess.run(
                [str(Path(sys.executable).with_name("dangol")), "demo-data",
                 "--out", str(home / "landing")],
                check=True, capture_output=True,
            )  # fmt: skip
            goals.demo = dangol_run(home, home / "landing")
            rows.append(_row("demo", None, goals.demo))
        for lines in args.lines:
            data = dataset(lines, args.cache)
            size = data.history.stat().st_size
            label = f"{lines:,} lines ({size / 1e6:,.0f} MB)"
            work = scratch / f"{lines}"
            work.mkdir()
            lean = lean_pipeline(data.history, work)
            floor = lean.floor
            landing = work / "landing"
            (landing / "shop").mkdir(parents=True)
            (landing / "shop" / data.history.name).hardlink_to(data.history)
            full = dangol_run(work / "home", landing)
            rows.append(_lean_row(label, lean))
            rows.append(_row(label, floor, full))
            (landing / "shop" / data.daily.name).hardlink_to(data.daily)
            daily = dangol_run(work / "home", landing)
            share = f"{daily.seconds / full.seconds:.0%} of the full run"
            rows.append(_row(f"{label} + a 0.1% daily file ({share})", None, daily))
            unchanged = dangol_run(work / "home", landing)
            rows.append(_row(f"{label}, nothing new", None, unchanged))
            (work / "floor.duckdb").unlink()
            (work / "lean_release.duckdb").unlink()
            shutil.rmtree(work / "lean_parquet")
            goals.sizes[lines] = SizeMeasures(floor, full, daily, unchanged, lean)

    cpu = os.cpu_count()
    print(f"\n{dt.date.today()}, {cpu} cores, DuckDB {duckdb.__version__}\n")
    print("| data | plain DuckDB | `dangol run` | ratio | peak memory | five slowest steps |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\nIssue 13's goals:")
    print("\n".join(goals.verdicts()))


if __name__ == "__main__":
    main()
