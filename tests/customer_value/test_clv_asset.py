"""The CLV asset, for real, on the CDNOW 1/10 sample the BG/NBD paper fitted."""

import uuid
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest
from scipy.special import hyp2f1

from orchestration.config import DEFAULT_CONFIG, DangolHome
from orchestration.defs.customer_value import customer_value_model
from orchestration.defs.resources import DangolResource, RunLockResource
from publish.builds import start_build

CDNOW = Path(__file__).parents[1] / "fixtures" / "cdnow" / "calibration_purchase_days.csv"
PUBLISHED = {
    ("bg_nbd", "r"): 0.243,
    ("bg_nbd", "alpha"): 4.414,
    ("bg_nbd", "a"): 0.793,
    ("bg_nbd", "b"): 2.426,
    ("gamma_gamma", "p"): 6.25,
    ("gamma_gamma", "q"): 3.74,
    ("gamma_gamma", "gamma"): 15.44,
}
# marts.customer_purchase_summary as the dbt model defines it, from the fixture's purchase days
# (no backtest history: every CDNOW customer first bought in the first quarter of 1997).
SUMMARY = f"""
create schema marts;
create table marts.customer_purchase_summary as
with days as (
    select customer_id::varchar as customer_id, purchase_date,
        net_amount::decimal(18, 2) as net_amount,
        row_number() over (partition by customer_id order by purchase_date) as day_number
    from read_csv('{CDNOW}', types = {{'purchase_date': 'date'}})
)
select customer_id, date '1997-09-30' as as_of_date, count(*)::integer as purchase_days,
    (count(*) - 1)::integer as repeat_purchase_days,
    date_diff('day', max(purchase_date), date '1997-09-30')::integer as recency_days,
    date_diff('day', min(purchase_date), date '1997-09-30')::integer as tenure_days,
    avg(net_amount) filter (where day_number > 1)::decimal(18, 2) as average_repeat_order_value,
    date '1997-04-03' as cutoff_date, null::integer as cutoff_repeat_purchase_days,
    null::integer as cutoff_recency_days, null::integer as cutoff_tenure_days,
    null::decimal(18, 2) as cutoff_average_repeat_order_value,
    null::integer as holdout_purchase_days, null::decimal(18, 2) as holdout_net_revenue
from days group by customer_id
"""


@pytest.fixture(scope="module")
def cdnow_build(tmp_path_factory) -> tuple[DangolHome, str]:
    root = tmp_path_factory.mktemp("cdnow")
    home = DangolHome(root=root / "home", landing=root / "landing")
    run_id = str(uuid.uuid4())
    start_build(home.state_db, home.build_db, run_id)
    with duckdb.connect(str(home.build_db)) as con:
        con.execute(SUMMARY)
    defs = dg.Definitions(
        assets=[customer_value_model, dg.AssetSpec(["marts", "customer_purchase_summary"])],
        resources={
            "dangol": DangolResource(
                home=str(home.root), landing=str(home.landing), config_path=str(DEFAULT_CONFIG)
            ),
            "run_lock": RunLockResource(lock_file=str(home.lock_file)),
        },
    )
    # The asset finds the build warehouse by the run's id, as in a pipeline run.
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(run_id=run_id)
    assert result.success
    return home, run_id


def query(build: tuple[DangolHome, str], sql: str):
    home, _ = build
    with duckdb.connect(str(home.build_db), read_only=True) as con:
        return con.execute(sql).df()


def test_fit_lands_within_one_percent_of_the_published_parameters(cdnow_build):
    fit = query(cdnow_build, "select * from marts.clv_model_fit")
    fitted = {(row.model, row.parameter): row.value for row in fit.itertuples()}

    assert fitted.keys() == PUBLISHED.keys()
    for key, published in PUBLISHED.items():
        assert fitted[key] == pytest.approx(published, rel=0.01), key
    units = query(
        cdnow_build,
        "select distinct model, coalesce(time_unit, '-'), customers from marts.clv_model_fit",
    )
    # BG/NBD on every buyer in weeks; Gamma-Gamma (money) on the 946 who bought again.
    assert sorted(units.itertuples(index=False, name=None), key=str) == [
        ("bg_nbd", "week", 2357),
        ("gamma_gamma", "-", 946),
    ]
    # FHL 2005 report LL = -9582.4 for the BG/NBD on this sample.
    bg_nbd_ll = fit.loc[fit["model"] == "bg_nbd", "log_likelihood"].iloc[0]
    assert bg_nbd_ll == pytest.approx(-9582.4, abs=0.5)


def test_each_customer_gets_the_closed_form_p_alive_and_expected_purchases(cdnow_build):
    fit = query(cdnow_build, "select parameter, value from marts.clv_model_fit")
    r, alpha, a, b = (
        fit.set_index("parameter")["value"][name] for name in ["r", "alpha", "a", "b"]
    )
    clv = query(cdnow_build, "select * from marts.customer_clv order by customer_id")
    x = clv["repeat_purchase_days"].to_numpy(float)
    T = clv["tenure_days"].to_numpy(float) / 7
    t_x = T - clv["recency_days"].to_numpy(float) / 7

    # FHL 2005, equations 10 and (P(alive)) from "Computing P(alive) using the BG/NBD model".
    alive_odds = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0)
    p_alive = 1 / (1 + alive_odds)

    def expected(t):
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
        return (a + b + x - 1) / (a - 1) * body / (1 + alive_odds)

    assert len(clv) == 2357
    np.testing.assert_allclose(clv["p_alive"], p_alive, rtol=1e-9)
    np.testing.assert_allclose(clv["expected_purchases_90d"], expected(90 / 7), rtol=1e-9)
    np.testing.assert_allclose(clv["expected_purchases_365d"], expected(365 / 7), rtol=1e-9)
    # The paper's worked example: customer 1 (x=2, t_x=30.43, T=38.86), 39 weeks ahead: 1.226.
    one = (x == 2) & (np.round(t_x, 2) == 30.43) & (np.round(T, 2) == 38.86)
    assert expected(39)[one] == pytest.approx(1.226, abs=0.001)


def test_customer_values_are_plausible_and_say_no_backtest_without_history(cdnow_build):
    clv = query(cdnow_build, "select * from marts.customer_clv")
    status = query(cdnow_build, "select * from marts.clv_model_status")

    assert set(clv["churn_risk"]) == {"low", "medium", "high"}
    assert sorted(clv["predicted_clv_decile"].unique()) == list(range(1, 11))
    top = clv[clv["predicted_clv_decile"] == 10]["predicted_clv_365d"].astype(float)
    assert top.min() >= clv["predicted_clv_365d"].astype(float).quantile(0.89)
    # A next order expected within the year only where a full purchase is expected by then.
    dated = clv["expected_next_order_date"].notna()
    assert (clv.loc[dated, "expected_purchases_365d"] >= 1).all()
    assert (clv.loc[~dated, "expected_purchases_365d"] < 1).all()
    assert status["predicted"].item()
    assert "too few buyers: 0" in status["backtest_reason"].item()
    assert query(cdnow_build, "select count(*) as n from marts.clv_backtest")["n"].item() == 0
