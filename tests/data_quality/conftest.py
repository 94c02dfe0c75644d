from pathlib import Path

import duckdb
import pytest

MARTS_DDL = """
create schema marts;
create table marts.fct_orders as select * from (values
    ('shopify-1', 'c1', timestamptz '2026-03-01 10:00:00+09', 'paid', 'KRW',
     10000.00::decimal(18,2), 9000.00::decimal(18,2), 1),
    ('shopify-2', 'c2', timestamptz '2026-03-02 10:00:00+09', 'refunded', 'KRW',
     5000.00::decimal(18,2), 0.00::decimal(18,2), 1)
) t(order_id, customer_id, ordered_at, status, currency, gross_amount, net_amount, items_count);
create table marts.dim_customers as select * from (values
    ('c1', 1, 9000.00::decimal(18,2)), ('c2', 0, 0.00::decimal(18,2))
) t(customer_id, orders_count, net_revenue);
create table marts.customer_rfm as select * from (values
    ('c1', 1, 5, 1, 3, 'New Customers')
) t(customer_id, frequency, r_score, f_score, m_score, rfm_segment);
create table marts.segment_members as select * from (values
    ('win_back', 'email', 'c1')
) t(segment_name, channel, customer_id);
create schema raw;
create table raw.crm_contacts as select 'minjun.kim@example.com' as email;
"""


@pytest.fixture
def build_db(tmp_path: Path) -> Path:
    """A small build warehouse whose marts pass every suite; tests break it on purpose."""
    path = tmp_path / "build.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(MARTS_DDL)
    return path
