"""The marketer's report from a small published warehouse: every panel, the RFM grid for any
number of score bins, and every value from data shown as text, never as markup."""

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape

from activation.report import render_report
from activation.report.queries import PARETO_POINTS, channel_funnels, pareto_points

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
MARKUP = '<script>alert("x")</script><b onmouseover="x">'
WAREHOUSE = """
create schema meta;
create table meta.release as select 'r-20260310' as release_id;
create schema marts;
create table marts.customer_rfm as
    select * from (values (10, 10), (10, 10), (7, 9), (6, 1), (1, 1), (3, 5)) t(r_score, fm_score);
create table marts.revenue_concentration as select * from (values
    (1, 0.25, 0.6), (2, 0.5, 0.85), (3, 0.75, 0.95), (4, 1.0, 1.0)
) t(customer_rank, cumulative_customer_share, cumulative_revenue_share);
create table marts.cohort_retention as select * from (values
    (date '2026-01-01', 0, 4, 1.0), (date '2026-01-01', 1, 4, 0.5), (date '2026-02-01', 0, 2, 1.0)
) t(cohort_month, months_since_first_purchase, cohort_size, retention_rate);
create table marts.channel_funnel_daily as select *, 'KRW' as currency from (values
    (getvariable('markup'), date '2026-03-01', 1000, 50, 40, 10, 5, 3, 100000.00, 250000.00),
    ('naver_search', date '2026-03-02', 2000, 40, 30, 6, 2, 1, 80000.00, 90000.00),
    ('kakao', date '2026-03-02', null, null, null, null, 1, 1, null, 20000.00)
) t(channel, activity_date, impressions, clicks, sessions, add_to_carts, orders_count,
    new_customers, cost_amount, net_revenue);
create table marts.flywheel_stages as
    select * from (values ('activation'), ('activation'), ('advocacy')) t(flywheel_stage);
create table marts.customer_ltv as
    select * from (values ('new'), ('lapsed'), ('lapsed'), ('reactivated')) t(lifecycle_status);
create table marts.membership_conversion as select * from (values
    ('all', '전체', 10, 4, 0.4, 12.5, 2.5, 80000.0, 1.2, 30000.0),
    (getvariable('markup'), getvariable('markup'), 6, 3, 0.5, 10.0, 3.0, 90000.0, 1.1, 25000.0)
) t(first_product_category, first_product_category_ko, first_time_buyers,
    joined_after_first_purchase, join_rate, median_days_to_join, member_purchases_after_joining,
    member_net_revenue_after_joining, non_member_repeat_purchases, non_member_repeat_net_revenue);
create table marts.membership_effect as select * from (values
    (90, 'all', 'all', 12, 40, 1.25, 0.5, 30000.00, 12000.00),
    (90, 'all', 'experience', 5, 20, 1.4, 0.4, 35000.00, 9000.00),
    (90, 'trial', 'experience', 5, 20, 1.4, 0.4, 35000.00, 9000.00)
) t(horizon_days, first_product_category, first_purchase_kind, members, comparable_non_members,
    member_purchase_days, non_member_purchase_days, member_net_revenue, non_member_net_revenue);
create table marts.clv_model_status as select true as predicted, null::varchar as reason,
    true as backtested, null::varchar as backtest_reason;
create table marts.clv_backtest as select * from (values
    (null, 20, 30.0, 25.0, 3000.00, 2500.00, 20.0), (1, 10, 5.0, 7.0, 500.00, 700.00, -28.6),
    (2, 10, 25.0, 18.0, 2500.00, 1800.00, 38.9)
) t(predicted_decile, customers, predicted_purchase_days, actual_purchase_days,
    predicted_revenue, actual_revenue, revenue_error_pct), (select date '2025-09-11' as cutoff_date,
    180 as holdout_days);
"""
MANIFEST = {
    "segments": {
        "vip": {
            "description": MARKUP,
            "channel": "kakao",
            "people": 3,
            "excluded": {"no_consent": 2, "suppressed": 1},
            "diff": {"added": 1, "removed": 0, "stayed": 2},
        }
    }
}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "dangol.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("set variable markup = ?", [MARKUP])
        con.execute(WAREHOUSE)
    return path


def panels(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section[^>]*data-chart="(\w+)"[^>]*>(.*?)</section>', page, re.S))


def rfm_cells(page: str) -> dict[str, str]:
    """Each drawn RFM cell's title (R / FM: customers)."""
    titles = re.findall(r"<title>(\d+) / (\d+): ([\d,]*)</title>", panels(page)["rfm"])
    return {f"{r}/{fm}": n for r, fm, n in titles}


def test_the_rfm_grid_shows_every_score_for_ten_bins(warehouse: Path):
    page = render_report(warehouse, [MANIFEST], "en", NOW, rfm_score_bins=10)

    cells = rfm_cells(page)
    assert len(cells) == 100  # a 10 x 10 grid
    assert {k: n for k, n in cells.items() if n} == {
        "10/10": "2",
        "7/9": "1",
        "6/1": "1",
        "1/1": "1",
        "3/5": "1",
    }


def test_the_rfm_grid_never_drops_a_score_above_the_configured_bins(warehouse: Path):
    """A release scored with more bins than dangol.yaml says now still shows every customer."""
    cells = rfm_cells(render_report(warehouse, [MANIFEST], "en", NOW, rfm_score_bins=5))

    assert len(cells) == 100 and cells["10/10"] == "2"


def test_the_rfm_grid_has_a_row_and_column_per_bin_even_where_nobody_scored(warehouse: Path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.customer_rfm where r_score > 4 or fm_score > 4")

    cells = rfm_cells(render_report(warehouse, [MANIFEST], "en", NOW, rfm_score_bins=5))

    assert len(cells) == 25 and cells["5/5"] == "" and cells["3/5"] == ""
    assert {k: n for k, n in cells.items() if n} == {"1/1": "1"}


def test_values_from_data_are_text_not_markup(warehouse: Path):
    page = render_report(warehouse, [MANIFEST], "ko", NOW)

    assert "<script" not in page and "<b " not in page
    escaped = str(escape(MARKUP))
    drawn = panels(page)
    assert escaped in drawn["segments"]  # a segment description
    assert escaped in drawn["funnel"]  # an ad channel's name
    assert escaped in drawn["membership"]  # a product category


def test_every_panel_draws_with_its_numbers(warehouse: Path):
    page = render_report(warehouse, [MANIFEST], "en", NOW)

    drawn = panels(page)
    assert list(drawn) == [
        "segments",
        "exclusions",
        "rfm",
        "pareto",
        "cohort",
        "funnel",
        "flywheel",
        "lifecycle",
        "membership",
        "backtest",
    ]
    assert all('class="mark"' in body for body in drawn.values())
    assert "<title>No consent: 2</title>" in drawn["exclusions"]
    assert "<title>Suppression list: 1</title>" in drawn["exclusions"]
    assert "Top 10% of customers bring 60% of revenue" in drawn["pareto"]
    assert "<title>2026-01 / 1: 50%</title>" in drawn["cohort"]
    # Each stage against the one before, all channels with ad stats together: 7 of 16 carts.
    assert "<title>Orders: 7  (43.8%)</title>" in drawn["funnel"]
    assert "<title>Activation: 2</title>" in drawn["flywheel"]
    assert "<title>Leads: 0</title>" in drawn["flywheel"]
    # Statuses in the glossary's order and words, with its definition under the chart.
    assert re.findall(r"<title>([^<]+)</title>", drawn["lifecycle"]) == [
        "New: 1",
        "Active: 0",
        "At risk: 0",
        "Lapsed: 2",
        "Reactivated: 1",
    ]
    assert "Where the buyer stands now against their purchase cycle" in drawn["lifecycle"]
    assert "The all-time Pareto view, lapsed customers included; not VIP." in drawn["pareto"]
    assert "<td>all</td><td>10</td><td>4</td><td>40.0%</td><td>12.5</td>" in drawn["membership"]
    # The effect of joining, all categories: everyone first, then by the first purchase.
    effects = re.findall(r"<tr><td>90 days</td>.*?</tr>", drawn["membership"])
    assert effects == [
        "<tr><td>90 days</td><td>All</td><td>12</td><td>40</td><td>1.25 / 30,000</td>"
        "<td>0.50 / 12,000</td></tr>",
        "<tr><td>90 days</td><td>Experience product</td><td>5</td><td>20</td><td>1.40 / 35,000</td>"
        "<td>0.40 / 9,000</td></tr>",
    ]
    assert "Only customers observed for all N days count." in drawn["membership"]
    # Predicted against actual net revenue per decile of predicted value, overall first.
    assert "<title>2 Predicted: 2,500</title>" in drawn["backtest"]
    assert "<title>2 Actual: 1,800</title>" in drawn["backtest"]
    assert (
        "<td>All</td><td>20</td><td>30</td><td>25</td><td>3,000</td><td>2,500</td>"
        in (drawn["backtest"])
    )


def test_the_funnel_never_adds_money_across_currencies(warehouse: Path):
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into marts.channel_funnel_daily values ('naver_search', date '2026-03-02',"
            " 500, 10, 8, 2, 1, 1, 100.00, 300.00, 'USD')"
        )
        funnels = {f.channel: f for f in channel_funnels(con)}

    usd, krw = funnels["naver_search (USD)"], funnels["naver_search (KRW)"]
    assert (usd.cost, usd.revenue) == (100, 300) and (krw.cost, krw.revenue) == (80000, 90000)


def test_the_pareto_curve_is_thinned_to_every_step_th_customer_and_the_last(warehouse: Path):
    customers = 100_003  # 500 customers a step: ranks 1, 501, ... 99,501, then the last
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create or replace table marts.revenue_concentration as"
            " select customer_rank, customer_rank / ? as cumulative_customer_share,"
            " sqrt(customer_rank / ?) as cumulative_revenue_share"
            " from range(1, ? + 1) t(customer_rank)",
            [customers, customers, customers],
        )
        points = pareto_points(con)

    step = customers // PARETO_POINTS
    ranks = [round(p.customer_share * customers) for p in points]
    assert ranks == [*range(1, customers + 1, step), customers]
    expected_shares = [(rank / customers) ** 0.5 for rank in ranks]
    assert [p.revenue_share for p in points] == pytest.approx(expected_shares)
    pareto = panels(render_report(warehouse, [MANIFEST], "en", NOW))["pareto"]
    # The first thinned customer past the top 10%: rank 10,001, sqrt(0.1) of revenue.
    assert "Top 10% of customers bring 32% of revenue" in pareto


def test_a_release_without_a_prediction_says_why(warehouse: Path):
    reason = "too few buyers: 12 (clv.min_buyers: 500)"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.clv_model_status set predicted = false, reason = ?", [reason])
        con.execute("delete from marts.clv_backtest")

    backtest = panels(render_report(warehouse, [MANIFEST], "en", NOW))["backtest"]

    assert f"No predicted customer value in this release: {reason}" in backtest
    assert 'class="mark"' not in backtest
