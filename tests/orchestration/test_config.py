import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestration.config import DEFAULT_CONFIG, ConfigError, load_config


def write_config(tmp_path: Path, change) -> Path:
    document = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "dangol.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_config_is_valid():
    config = load_config(DEFAULT_CONFIG)

    assert config.timezone == "Asia/Seoul"
    assert config.dbt_vars()["customer_key_salt"] == config.identity.customer_key_salt
    assert config.dbt_vars()["expected_purchase_cycle_days"] == 60
    assert config.dbt_vars()["lapse_multiplier"] == 2
    assert config.dbt_vars()["experience_categories"] == ["trial"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["rfm"].update(as_of="yesterday"), "rfm.as_of"),
        (lambda d: d.update(timezone="Seoul/Gangnam"), "timezone: Value error, unknown timezone"),
        (lambda d: d["segments"][0].update(rfm_segments=["VIPs"]), "segments.0.rfm_segments"),
        (
            lambda d: d["segments"][0].update(where={"rfm_segment": ["At Risk", "VIPs"]}),
            "segments[0].where.rfm_segment: unknown value 'VIPs'; known: Champions,",
        ),
        (
            lambda d: d["segments"][0].update(where={"loyalty_level": "Gold"}),
            "segments[0].where.loyalty_level: unknown column; known:",
        ),
        (
            lambda d: d["segments"][0].update(where={"membership_status": "Gold+"}),
            "segments[0].where.membership_status: unknown value 'Gold+'; known: member,",
        ),
        (
            lambda d: d["segments"][0].update(where={"is_lapsed": "yes"}),
            "segments[0].where.is_lapsed: expects true or false, got 'yes'",
        ),
        (
            lambda d: d["segments"][0].update(where={"days_since_first_order": {"from": 14}}),
            "segments[0].where.days_since_first_order: a range is one of {between, at_least,",
        ),
        (
            lambda d: d["segments"][0].update(where={"rfm_segment": {"between": ["A", "B"]}}),
            "segments[0].where.rfm_segment: between needs a number column",
        ),
        (
            lambda d: d["segments"][0].update(where={"recency_days": {"between": [60, 14]}}),
            "low is above high",
        ),
        (
            lambda d: d["segments"][0].update(where=None, any_of=[{"is_lapsed": True}, {"x": 1}]),
            "segments[0].any_of[1].x: unknown column",
        ),
        (lambda d: d["segments"][0].update(any_of=[{"is_lapsed": True}]), "exactly one"),
        (lambda d: d.update(segment_playbook={"vip": {"enabled": False}}), "unknown playbook"),
        (lambda d: d["segments"][0].update(name="advocates"), "repeated: ['advocates']"),
        (lambda d: d["report"].update(language="ja"), "report.language"),
        (lambda d: d["consent"].update(max_consent_age_days=0), "consent.max_consent_age_days"),
        (lambda d: d["segments"][0].update(channel="fax"), "segments.0.channel"),
        (lambda d: d["publish"].update(keep_release=3), "publish.keep_release"),
        (
            lambda d: d["loyalty"].update(expected_purchase_cycle_days=0),
            "loyalty.expected_purchase_cycle_days",
        ),
        (lambda d: d["loyalty"].update(lapse_multiplier=-1), "loyalty.lapse_multiplier"),
        (
            lambda d: d["kpis"].update(repeat_rate_windows_days=[90, 30]),
            "kpis.repeat_rate_windows_days: Value error, list distinct day counts in ascending",
        ),
        (
            lambda d: d["kpis"].update(membership_effect_horizons_days=[]),
            "kpis.membership_effect_horizons_days",
        ),
        (lambda d: d["kpis"].update(adoption_window_days=0), "kpis.adoption_window_days"),
        (lambda d: d["loyalty"].update(lapse_multipler=3), "loyalty.lapse_multipler"),
        (lambda d: d["segments"].append(dict(d["segments"][0])), "repeated"),
        (lambda d: d["identity"].update(customer_key_salt="x'; drop"), "customer_key_salt"),
        (
            lambda d: d["products"].update(experience_categories=["trial'); drop"]),
            "products.experience_categories.0",
        ),
        (
            lambda d: d["loyalty"]["loyal_signals"].update(newsletter_opens=2),
            "loyalty.loyal_signals.newsletter_opens",
        ),
        (
            lambda d: d["loyalty"]["loyal_signals"].update(reviews=0),
            "loyalty.loyal_signals.reviews",
        ),
        (lambda d: d["loyalty"].update(min_loyal_signals=7), "min_loyal_signals is 7"),
        (lambda d: d["loyalty"]["tiers"].reverse(), "loyalty.tiers"),
        # Settings whose meaning changed say what replaced them.
        (
            lambda d: d["loyalty"]["loyal_signals"].update(coupon_uses=1),
            "loyalty.loyal_signals: Value error, coupon_uses is no longer a loyalty signal",
        ),
        (
            lambda d: d["loyalty"].update(repeat_window_days=90),
            "repeat_window_days is gone: a repeat buyer has two or more purchase days",
        ),
        (
            lambda d: d["loyalty"]["tiers"][0].update(min_net_lifetime_value=1),
            "min_net_lifetime_value is now min_trailing_net_revenue",
        ),
        (
            lambda d: d["loyalty"].update(at_risk_multiplier=2, lapse_multiplier=2),
            "at_risk_multiplier (2.0) must be below lapse_multiplier (2.0)",
        ),
        (lambda d: d["loyalty"].update(vip_top_share=0), "loyalty.vip_top_share"),
        (lambda d: d["rfm"].update(score_bins=1), "rfm.score_bins"),
        (
            lambda d: d["rfm"].update(thresholds={"frequency": [3, 2, 5, 8]}),
            "thresholds.frequency: give 4 ascending",
        ),
        (lambda d: d["rfm"].update(thresholds={"loyalty": [1, 2, 3, 4]}), "rfm.thresholds.loyalty"),
        (lambda d: d["flywheel"].update(adoption_min_orders=1), "flywheel.adoption_min_orders"),
        (
            lambda d: d["identity"].update(max_contact_points_per_identifier=0),
            "identity.max_contact_points_per_identifier",
        ),
        (
            lambda d: d.update(duckdb={"memory_limit": "80%"}),
            "duckdb.memory_limit: Value error, give an amount such as 1.5GB",
        ),
        (lambda d: d.update(duckdb={"threads": 0}), "duckdb.threads"),
    ],
)
def test_a_bad_value_is_refused_naming_the_file_and_key(tmp_path: Path, change, named: str):
    path = write_config(tmp_path, change)

    with pytest.raises(ConfigError) as error:
        load_config(path)

    assert str(path) in str(error.value)
    assert named in str(error.value)


def test_the_cli_refuses_a_bad_config_before_any_work(tmp_path: Path):
    path = write_config(tmp_path, lambda d: d["rfm"].update(as_of="yesterday"))
    dangol = Path(sys.executable).with_name("dangol")

    result = subprocess.run(
        [str(dangol), "run", "--home", str(tmp_path / "home"), "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert "rfm.as_of" in result.stderr
    assert not (tmp_path / "home" / "build").exists()


def test_ingest_settings_come_from_the_config_and_the_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def change(document):
        document["ingest"] = {"max_reject_rate": 0.1, "excel_password": "from-the-file"}

    config = load_config(write_config(tmp_path, change))
    monkeypatch.delenv("DANGOL_EXCEL_PASSWORD", raising=False)
    assert config.ingest_settings().max_reject_rate == 0.1
    assert config.ingest_settings().excel_password == "from-the-file"
    assert "from-the-file" not in repr(config) + repr(config.ingest_settings())

    monkeypatch.setenv("DANGOL_EXCEL_PASSWORD", "from-the-env")
    assert config.ingest_settings().excel_password == "from-the-env"


def test_a_file_that_is_not_yaml_is_refused_quoting_the_line(tmp_path: Path):
    path = tmp_path / "dangol.yaml"
    path.write_text("timezone: Asia/Seoul\nrfm:\n  score_bins: [5\n  as_of: run_date\n", "utf-8")

    with pytest.raises(ConfigError) as error:
        load_config(path)

    message = str(error.value)
    assert message.startswith(f"{path}: not valid YAML")
    assert "line 3, column 15" in message and "score_bins: [5" in message  # the line, quoted


def test_a_reject_rate_above_one_is_refused_naming_the_key(tmp_path: Path):
    path = write_config(tmp_path, lambda d: d["ingest"].update(max_reject_rate=5))

    with pytest.raises(ConfigError, match=r"ingest\.max_reject_rate"):
        load_config(path)


def test_a_fixed_as_of_day_reaches_dbt_as_an_iso_day(tmp_path: Path):
    config = load_config(write_config(tmp_path, lambda d: d["rfm"].update(as_of="2026-03-31")))

    assert config.dbt_vars()["rfm_as_of"] == "2026-03-31"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda d: d.setdefault("clv", {}).update(
                churn_risk={"high_below_p_alive": 0.8, "medium_below_p_alive": 0.5}
            ),
            "clv.churn_risk: Value error, high_below_p_alive must be below medium_below_p_alive",
        ),
        (lambda d: d.setdefault("clv", {}).update(vip_basis="lifetime"), "clv.vip_basis"),
        (lambda d: d.setdefault("clv", {}).update(min_buyers=3), "clv.min_buyers"),
    ],
)
def test_a_bad_clv_setting_is_refused_naming_the_key(tmp_path: Path, change, named: str):
    with pytest.raises(ConfigError, match=named):
        load_config(write_config(tmp_path, change))
