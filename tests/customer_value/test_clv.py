"""No prediction from data that cannot carry the model, and the reason in a marketer's words."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from customer_value.clv import (
    Summary,
    _days_until_one_expected_purchase,
    expected_purchases_by_day,
    fit,
    predict,
)
from customer_value.models import _distinct_rows, bg_nbd_log_likelihood
from orchestration.config import ClvConfig

SETTINGS = ClvConfig().settings()


def summary(customers: int, seed: int = 3, same_spend: bool = False) -> pd.DataFrame:
    """A purchase-day summary drawn from the BG/NBD story (rate ~ Gamma, dropout ~ Beta)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 730, customers)
    rate, dropout = rng.gamma(0.6, 1 / 80, customers), rng.beta(0.8, 2.4, customers)
    now, last = np.zeros(customers), np.zeros(customers)
    repeat, alive = np.zeros(customers, dtype=int), np.ones(customers, dtype=bool)
    while alive.any():
        now[alive] += rng.exponential(1 / rate[alive])
        alive &= now < tenure
        repeat[alive] += 1
        last[alive] = now[alive]
        alive[alive] = rng.random(alive.sum()) >= dropout[alive]
    spend = np.full(customers, 30_000.0) if same_spend else rng.gamma(4.0, 8_000.0, customers)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(customers)],
            "as_of_date": dt.date(2026, 6, 30),
            "repeat_purchase_days": repeat,
            "recency_days": (tenure - np.floor(last)).astype(int),
            "tenure_days": tenure,
            "average_repeat_order_value": np.where(repeat > 0, spend, np.nan),
            # No history before a backtest cut-off.
            **dict.fromkeys(
                [
                    "cutoff_date",
                    "cutoff_repeat_purchase_days",
                    "cutoff_recency_days",
                    "cutoff_tenure_days",
                    "cutoff_average_repeat_order_value",
                    "holdout_purchase_days",
                    "holdout_net_revenue",
                ],
                np.nan,
            ),
        }
    )


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (summary(120), "too few buyers: 120 (clv.min_buyers: 500)"),
        (summary(800).assign(tenure_days=lambda f: f["tenure_days"] % 90),
         "too little history: 89 days"),
        # Everyone spends the same: no spread across customers for Gamma-Gamma to fit.
        (summary(800, same_spend=True), "parameters outside sane bounds"),
    ],
)  # fmt: skip
def test_data_that_cannot_carry_the_model_gets_no_prediction_and_a_reason(frame, reason):
    frame = frame.assign(recency_days=np.minimum(frame["recency_days"], frame["tenure_days"]))

    result = predict(frame, SETTINGS)

    assert not result.predicted
    assert reason in result.reason
    assert result.customer_clv.empty and result.model_fit.empty and result.backtest.empty
    status = result.status().iloc[0]
    assert (status["predicted"], status["reason"]) == (False, result.reason)


def test_enough_buyers_get_a_prediction_each():
    result = predict(summary(800), SETTINGS)

    assert result.predicted, result.reason
    assert len(result.customer_clv) == 800
    assert result.customer_clv["p_alive"].between(0, 1).all()
    assert result.backtest_reason == "backtest: too few buyers: 0 (clv.min_buyers: 500)"


def test_distinct_buyer_rows_are_numpys_in_the_same_order_with_their_counts():
    """The BG/NBD sum runs over distinct (x, t_x, T) rows in this order: the same rows and
    order as np.unique's keep every fit exactly as it was."""
    rng = np.random.default_rng(11)
    for customers in (1, 7, 5_000):
        columns = (
            rng.integers(0, 4, customers).astype(float),
            rng.integers(0, 30, customers) / 7,
            rng.integers(0, 9, customers) / 7,
        )

        rows, counts = _distinct_rows(*columns)

        expected, expected_counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
        assert np.array_equal(np.column_stack(rows), expected)
        assert np.array_equal(counts, expected_counts)


@pytest.mark.parametrize("parameters", [(0.243, 4.414, 0.793, 2.426), (2.0, 0.5, 3.0, 0.8)])
def test_the_bg_nbd_likelihoods_gradient_is_its_slope(parameters):
    # The fit follows the likelihood's own gradient (one evaluation a step): it must be the
    # slope a central difference measures, in every log-parameter.
    frame = summary(3_000)
    x = frame["repeat_purchase_days"].to_numpy(dtype=float)
    T = frame["tenure_days"].to_numpy(dtype=float) / 7
    t_x = T - frame["recency_days"].to_numpy(dtype=float) / 7
    triples, counts = _distinct_rows(x, t_x, T)
    log_likelihood = bg_nbd_log_likelihood(*triples, counts)
    at = np.log(parameters)

    value, gradient = log_likelihood(at, gradient=True)

    step = 1e-6
    measured = [
        (log_likelihood(at + step * unit) - log_likelihood(at - step * unit)) / (2 * step)
        for unit in np.eye(len(at))
    ]
    assert value == pytest.approx(log_likelihood(at))
    assert gradient == pytest.approx(measured, rel=1e-5, abs=1e-3)


def test_the_next_order_date_is_the_first_week_expected_purchases_reach_one():
    # Found by halving the weekly grid: the same day as walking every week of it, down to
    # regulars who buy again within the first week.
    drawn = summary(5_000, seed=11)
    models = fit(Summary.from_frame(drawn), SETTINGS)
    regulars = drawn.head(3).assign(repeat_purchase_days=60, tenure_days=90, recency_days=1)
    buyers = Summary.from_frame(pd.concat([drawn, regulars], ignore_index=True))
    grid = np.append(np.arange(7.0, 365.0, 7.0), 365.0)
    walked = expected_purchases_by_day(models, buyers, grid)
    within_horizon = walked[:, -1]

    days = _days_until_one_expected_purchase(models, buyers, within_horizon)

    searched = within_horizon >= 1.0
    assert 0 < searched.sum() < len(searched)  # some customers reach one, some do not
    assert np.isnan(days[~searched]).all()
    assert (days[-3:] <= 7).all()
    for row in np.flatnonzero(searched):
        first = int(np.argmax(walked[row] >= 1.0))
        before_day, before = (grid[first - 1], walked[row, first - 1]) if first else (0.0, 0.0)
        expected_day = np.ceil(
            before_day + (1 - before) / (walked[row, first] - before) * (grid[first] - before_day)
        )
        assert days[row] == expected_day
