"""Fit and score the CLV models on 1,000,000 customers, beside a plain DuckDB query that builds
the same x, t_x, T summary from a purchase-day table.

Not a test: run `make bench-clv` and read the numbers. The target: fit + score within 60 s and
2 GiB on a 2-core machine. Customers are drawn from the BG/NBD process itself (purchase rate
~ Gamma, dropout ~ Beta, two years of first purchases), so the fit has a real optimum to find.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

import duckdb
import numpy as np
import pandas as pd

from customer_value.clv import Summary, fit, score
from orchestration.config import ClvConfig

AS_OF = pd.Timestamp("2026-06-30")
HISTORY_DAYS = 730
# Per week: purchase rate ~ Gamma(r, 1/alpha); dropout after each purchase ~ Beta(a, b).
R, ALPHA, A, B = 0.6, 12.0, 0.8, 2.4
# Spend per purchase day ~ Gamma(p, 1/nu), nu ~ Gamma(q, 1/gamma) per customer (won).
P, Q, GAMMA = 6.0, 4.0, 18_000.0


def purchase_days(customers: int, seed: int) -> pd.DataFrame:
    """One row per customer per purchase day, as marts.fct_purchase_days holds them."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, HISTORY_DAYS, customers).astype(float)
    rate = rng.gamma(R, 1 / ALPHA, customers) / 7  # purchases per day while alive
    dropout = rng.beta(A, B, customers)
    spend_scale = 1 / rng.gamma(Q, 1 / GAMMA, customers)
    ids, days = [np.arange(customers)], [np.floor(first)]
    now, alive = first.copy(), np.ones(customers, dtype=bool)
    while alive.any():
        now[alive] += rng.exponential(1 / rate[alive])
        alive &= now < HISTORY_DAYS
        ids.append(np.flatnonzero(alive))
        days.append(np.floor(now[alive]))
        alive[alive] = rng.random(alive.sum()) >= dropout[alive]
    table = pd.DataFrame({"customer_id": np.concatenate(ids), "day": np.concatenate(days)})
    table = table.drop_duplicates(["customer_id", "day"])  # several on one day: one occasion
    start = AS_OF - pd.Timedelta(days=HISTORY_DAYS - 1)
    return pd.DataFrame(
        {
            "customer_id": table["customer_id"].astype(str).radd("c"),
            "purchase_date": (start + pd.to_timedelta(table["day"], unit="D")).dt.date,
            "net_amount": np.round(rng.gamma(P, spend_scale[table["customer_id"].to_numpy()]), -2),
        }
    )


SUMMARY_QUERY = f"""
    with numbered as (
        select *, row_number() over (partition by customer_id order by purchase_date) as n
        from purchase_days
    )
    select customer_id,
        date '{AS_OF.date()}' as as_of_date,
        (count(*) - 1)::integer as repeat_purchase_days,
        date_diff('day', max(purchase_date), date '{AS_OF.date()}')::integer as recency_days,
        date_diff('day', min(purchase_date), date '{AS_OF.date()}')::integer as tenure_days,
        avg(net_amount) filter (where n > 1) as average_repeat_order_value
    from numbered group by customer_id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    days = purchase_days(args.customers, args.seed)
    print(f"generated {len(days):,} purchase days of {args.customers:,} customers "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    with duckdb.connect() as con:
        con.register("purchase_days_frame", days)
        con.execute("create table purchase_days as from purchase_days_frame")
        con.unregister("purchase_days_frame")
        del days
        started = time.perf_counter()
        con.execute(f"create table summary as {SUMMARY_QUERY}")
        query_seconds = time.perf_counter() - started
        summary_frame = con.execute("from summary").df()

    settings = ClvConfig().settings()
    tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = Summary.from_frame(summary_frame)
    models = fit(summary, settings)
    fitted = time.perf_counter()
    scored = score(models, summary, settings, AS_OF.date())
    model_seconds = time.perf_counter() - started
    model_cpu_seconds = time.process_time() - cpu_started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    purchases, spend = models.purchases, models.spend
    print(f"BG/NBD r={purchases.r:.3f} alpha={purchases.alpha:.2f} a={purchases.a:.3f} "
          f"b={purchases.b:.3f} (drawn from r={R} alpha={ALPHA} a={A} b={B}); "
          f"Gamma-Gamma p={spend.p:.2f} q={spend.q:.2f} gamma={spend.gamma:,.0f} "
          f"(drawn from p={P} q={Q} gamma={GAMMA:,.0f})")  # fmt: skip
    print(f"{len(scored):,} customers scored; mean predicted_clv_365d "
          f"{scored['predicted_clv_365d'].mean():,.0f}")  # fmt: skip
    print(f"DuckDB summary query (x, t_x, T, spend):  {query_seconds:6.2f} s")
    print(f"fit ({fitted - started:.1f} s) + score (CLV, next order date): {model_seconds:6.2f} s"
          f"  = {model_seconds / query_seconds:.0f}x the query "
          f"(CPU {model_cpu_seconds:.1f} s; load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"peak memory of fit + score (tracemalloc): {peak / 2**20:,.0f} MiB; "
          f"process peak RSS (data generation included): {rss:,.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
