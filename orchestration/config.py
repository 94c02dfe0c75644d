"""The one project config file (dangol.yaml) and the home folder layout, validated up front."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from activation.glossary import term as glossary_term
from activation.segments import CHANNELS, PLAYBOOK, RESPONSES, SegmentRule, segment_rules
from ingest.presets import SOURCE_FAMILIES
from publish.duckdb_files import DuckDBResources

if TYPE_CHECKING:
    from customer_value.clv import ClvSettings
    from data_quality.suites import QualityThresholds
    from ingest.landing import IngestSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "dangol.yaml"
EXCEL_PASSWORD_ENV = "DANGOL_EXCEL_PASSWORD"
ENV_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(ValueError):
    """A user-fixable problem in dangol.yaml; the message names the file and key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _replaced(values: Any, key: str, instead: str) -> Any:
    """A setting that was removed or changed meaning: say what replaced it, not 'extra input'."""
    if isinstance(values, dict) and key in values:
        raise ValueError(f"{key} {instead}")
    return values


class IdentityConfig(_Strict):
    customer_key_salt: str = Field(pattern=r"^[A-Za-z0-9_.-]{8,}$")
    # An email, phone or SNS handle seen with more other emails and phones than this is shared
    # (a shop's placeholder for guest checkouts) and joins nobody.
    max_contact_points_per_identifier: int = Field(default=5, ge=1, le=1000)


class RfmThresholds(_Strict):
    """Fixed cut points per dimension, ascending, score_bins - 1 of them; unset: quantiles."""

    recency_days: list[int] | None = None
    frequency: list[int] | None = None
    monetary: list[float] | None = None


class RfmConfig(_Strict):
    # The day recency (and the predicted-value model) is measured from: the newest order, the
    # run's day, or a fixed day, which reproduces a past state exactly.
    as_of: Literal["latest_order", "run_date"] | date = "latest_order"
    # Scores run 1..score_bins (5: quintiles); segment names read them rescaled to 1..5.
    score_bins: int = Field(default=5, ge=2, le=10)
    thresholds: RfmThresholds = RfmThresholds()

    @model_validator(mode="after")
    def _cut_points_fit_the_bins(self) -> RfmConfig:
        for dimension, cuts in self.thresholds.model_dump().items():
            if cuts is None:
                continue
            if len(cuts) != self.score_bins - 1 or cuts != sorted(set(cuts)):
                raise ValueError(
                    f"thresholds.{dimension}: give {self.score_bins - 1} ascending, distinct cut "
                    f"points for score_bins {self.score_bins}, got {cuts}"
                )
        return self

    def dbt_vars(self) -> dict[str, object]:
        cuts = {name: c for name, c in self.thresholds.model_dump().items() if c is not None}
        as_of = self.as_of.isoformat() if isinstance(self.as_of, date) else self.as_of
        return {"rfm_as_of": as_of, "rfm_score_bins": self.score_bins, "rfm_thresholds": cuts}


class LoyalSignals(_Strict):
    """How much of each kind of engagement counts as one loyalty signal; null leaves it out."""

    membership: int | None = Field(default=1, ge=1)
    sns_interactions: int | None = Field(default=3, ge=1)
    referrals: int | None = Field(default=1, ge=1)
    reviews: int | None = Field(default=1, ge=1)
    campaign_clicks: int | None = Field(default=2, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _coupons_are_not_loyalty(cls, values: Any) -> Any:
        return _replaced(
            values,
            "coupon_uses",
            "is no longer a loyalty signal: coupon use shows price sensitivity "
            "(customer_loyalty.is_discount_driven), never loyalty; remove it",
        )

    def thresholds(self) -> dict[str, int]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


class LoyaltyTier(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    label: str = Field(min_length=1)
    # Net revenue over the trailing loyalty.vip_trailing_days, not all time: tiers demote.
    min_trailing_net_revenue: float = Field(ge=0)

    @model_validator(mode="before")
    @classmethod
    def _renamed_floor(cls, values: Any) -> Any:
        return _replaced(
            values,
            "min_net_lifetime_value",
            "is now min_trailing_net_revenue: tiers rank net revenue over the last "
            "loyalty.vip_trailing_days days, so a customer who stops buying moves down",
        )


DEFAULT_TIERS = (
    LoyaltyTier(name="platinum", label="플래티넘", min_trailing_net_revenue=500_000),
    LoyaltyTier(name="gold", label="골드", min_trailing_net_revenue=200_000),
    LoyaltyTier(name="silver", label="실버", min_trailing_net_revenue=50_000),
    LoyaltyTier(name="basic", label="일반", min_trailing_net_revenue=0),
)


class LoyaltyConfig(_Strict):
    # Days a regular customer usually takes to buy again (repurchase cycle, 재구매 주기).
    expected_purchase_cycle_days: int = Field(default=60, ge=1, le=3650)
    # Lifecycle status (customer_ltv.lifecycle_status): a customer's cycle is the longer of the
    # brand's and their own average gap between purchase days, once they have this many.
    own_rhythm_min_purchase_days: int = Field(default=3, ge=2, le=100)
    # At risk after this many of their cycles without a purchase, lapsed after lapse_multiplier.
    at_risk_multiplier: float = Field(default=1, gt=0, le=100)
    lapse_multiplier: float = Field(default=2, gt=0, le=100)
    loyal_signals: LoyalSignals = LoyalSignals()
    # A loyal customer (단골 고객) is a repeat buyer, not discount-driven, with this many signals.
    min_loyal_signals: int = Field(default=1, ge=1)
    # Discount-driven: more than this share of their purchases carried a discount ...
    discount_driven_order_share: float = Field(default=0.5, gt=0, le=1)
    # ... or discounts took at least this share of their gross spend.
    discount_driven_gross_share: float = Field(default=0.2, gt=0, le=1)
    # A review is positive (advocacy) at this rating or above, where the export has ratings.
    positive_review_min_rating: float = Field(default=4, ge=0, le=10)
    # VIP (is_vip) and tiers rank net revenue over this many trailing days, lapsed customers
    # left out; the all-time Pareto (revenue_concentration.is_top_decile) stays as it is.
    vip_trailing_days: int = Field(default=365, ge=1, le=3650)
    # VIP: this share of the customers who are not lapsed, by that trailing revenue.
    vip_top_share: float = Field(default=0.1, gt=0, le=1)
    tiers: list[LoyaltyTier] = Field(default=list(DEFAULT_TIERS), min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _repeat_is_purchase_days(cls, values: Any) -> Any:
        return _replaced(
            values,
            "repeat_window_days",
            "is gone: a repeat buyer has two or more purchase days (marts.fct_purchase_days), "
            "whatever the gap; remove it",
        )

    @model_validator(mode="after")
    def _at_risk_before_lapsed(self) -> LoyaltyConfig:
        if self.at_risk_multiplier >= self.lapse_multiplier:
            raise ValueError(
                f"at_risk_multiplier ({self.at_risk_multiplier}) must be below "
                f"lapse_multiplier ({self.lapse_multiplier}): a customer is at risk before lapsed"
            )
        return self

    @field_validator("tiers")
    @classmethod
    def _tiers_from_highest_to_zero(cls, tiers: list[LoyaltyTier]) -> list[LoyaltyTier]:
        floors = [t.min_trailing_net_revenue for t in tiers]
        if floors != sorted(set(floors), reverse=True) or floors[-1] != 0:
            raise ValueError(
                "list tiers from the highest min_trailing_net_revenue down, each lower than the "
                "one before, the last at 0 so every customer has a tier"
            )
        names = [t.name for t in tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique: {names}")
        return tiers

    @model_validator(mode="after")
    def _reachable_signal_count(self) -> LoyaltyConfig:
        counted = len(self.loyal_signals.thresholds())
        if self.min_loyal_signals > counted:
            raise ValueError(
                f"min_loyal_signals is {self.min_loyal_signals} but loyal_signals counts only "
                f"{counted} kinds of engagement"
            )
        return self


class FlywheelConfig(_Strict):
    """When a customer moves on to the next flywheel stage (flywheel_stages)."""

    # Stages are the highest reached, counted in purchase days (several orders on one day are
    # one); whether the customer is lapsed now is customer_ltv.lifecycle_status, not a stage.
    # Adoption (reached value): this many purchase days, or joining a membership after buying.
    adoption_min_orders: int = Field(default=2, ge=2)
    adoption_by_membership: bool = True
    # Retention: this many purchase days.
    retention_min_orders: int = Field(default=3, ge=2)
    # Advocacy: a buyer who referred this many friends or wrote this many positive reviews
    # (loyalty.positive_review_min_rating).
    advocacy_min_referrals: int = Field(default=1, ge=1)
    advocacy_min_reviews: int = Field(default=1, ge=1)


class ProductsConfig(_Strict):
    # Categories (dbt_project/seeds/product_categories.csv) of the experience (체험) products a
    # first-time buyer starts with.
    experience_categories: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")]] = [
        "trial"
    ]


def _ascending_days(days: list[int]) -> list[int]:
    if days != sorted(set(days)):
        raise ValueError(f"list distinct day counts in ascending order, got {days}")
    return days


DayCount = Annotated[int, Field(ge=1, le=3650)]


class KpisConfig(_Strict):
    """The shop KPIs' windows (repeat_purchase_rates, membership_effect, shop_kpis_monthly)."""

    # Repeat purchase rate (재구매율): a second purchase day within each of these many days of
    # the first.
    repeat_rate_windows_days: list[DayCount] = Field(default=[30, 60, 90, 180, 365], min_length=1)
    # Membership effect: purchase days and revenue this many days after joining, members
    # against comparable non-members.
    membership_effect_horizons_days: list[DayCount] = Field(default=[90, 180, 365], min_length=1)
    # Activation: a lead (seen before buying) who buys within this many days of first seen.
    lead_activation_window_days: DayCount = 30
    # Adoption: a new customer who reaches value within this many days of the first purchase.
    adoption_window_days: DayCount = 90

    _windows_ascending = field_validator(
        "repeat_rate_windows_days", "membership_effect_horizons_days"
    )(_ascending_days)

    def dbt_vars(self) -> dict[str, object]:
        return self.model_dump()


class PublishConfig(_Strict):
    keep_releases: int = Field(default=5, ge=1, le=100)
    duckdb_storage_version: str = Field(default="v1.0.0", pattern=r"^v\d+\.\d+\.\d+$")
    # Off: releases have no Parquet copy of the marts, for homes whose tools all read DuckDB.
    parquet_snapshot: bool = True


class ThresholdConfig(_Strict):
    limit: float = Field(ge=0)
    severity: Literal["error", "warn"] = "error"


class QualityConfig(_Strict):
    max_order_amount: float = Field(default=100_000_000, gt=0)
    max_line_quantity: int = Field(default=1_000, gt=0)
    max_days_since_last_order: ThresholdConfig = ThresholdConfig(limit=7, severity="warn")
    max_order_count_drop_pct: ThresholdConfig = ThresholdConfig(limit=1)
    max_net_revenue_swing_pct: ThresholdConfig = ThresholdConfig(limit=50)
    max_segment_share_jump_pct_points: ThresholdConfig = ThresholdConfig(limit=20, severity="warn")

    def thresholds(self, rfm_score_bins: int) -> QualityThresholds:
        # Imported here: the CLI loads the config without paying great-expectations' import.
        from data_quality.suites import QualityThresholds, Threshold

        return QualityThresholds(
            rfm_score_bins=rfm_score_bins,
            max_order_amount=self.max_order_amount,
            max_line_quantity=self.max_line_quantity,
            **{
                name: Threshold(
                    limit=getattr(self, name).limit, severity=getattr(self, name).severity
                )
                for name in (
                    "max_days_since_last_order",
                    "max_order_count_drop_pct",
                    "max_net_revenue_swing_pct",
                    "max_segment_share_jump_pct_points",
                )
            },
        )


class IngestConfig(_Strict):
    # Above this share of unreadable rows a file is quarantined whole instead of loaded.
    max_reject_rate: float = Field(default=0.05, ge=0, le=1)
    # Phone numbers without a country code are read as this country's (ISO 3166 code).
    phone_region: str = Field(default="KR", pattern=r"^[A-Z]{2}$")
    # Password of protected Excel exports (SmartStore). Prefer the DANGOL_EXCEL_PASSWORD
    # environment variable, which wins; SecretStr keeps it out of reprs and logs.
    excel_password: SecretStr | None = None
    # Hostile or broken files are quarantined before they can exhaust memory or time:
    # a header or sheet wider than this many columns,
    max_columns: int = Field(default=1_000, ge=10, le=16_384)
    # a CSV row (a line, quoted fields and all) longer than this many bytes,
    max_row_bytes: int = Field(default=2_000_000, ge=1_000, le=100_000_000)
    # a workbook that unzips to more than this many bytes (a zip bomb),
    max_unzipped_workbook_bytes: int = Field(default=1_000_000_000, ge=1_000_000)
    # a sheet whose used range spans more cells than this (rows x columns to its farthest
    # filled cell: the reader allocates the empty ones between too).
    max_sheet_cells: int = Field(default=20_000_000, ge=1_000)

    def settings(self) -> IngestSettings:
        from ingest.formats import FileLimits
        from ingest.landing import IngestSettings

        password = os.environ.get(EXCEL_PASSWORD_ENV) or (
            self.excel_password.get_secret_value() if self.excel_password else None
        )
        return IngestSettings(
            max_reject_rate=self.max_reject_rate,
            excel_password=password,
            phone_region=self.phone_region,
            limits=FileLimits(
                max_columns=self.max_columns,
                max_row_bytes=self.max_row_bytes,
                max_unzipped_workbook_bytes=self.max_unzipped_workbook_bytes,
                max_sheet_cells=self.max_sheet_cells,
            ),
        )


class DuckDBConfig(_Strict):
    """What DuckDB may use in each process of a run; past `memory_limit` it spills to
    <home>/build/spill instead of growing. dbt's DuckDB works while the pipeline's process
    waits on it, so a run peaks near the limit plus both processes' Python (about 1 GiB)."""

    # Per process, in DuckDB's units. 2.5GB: a 10M-line run peaks near 3.3 GiB; below about
    # 1.5GB the identity graph (int_customer_identities), which cannot spill, runs out.
    memory_limit: str = "2.5GB"
    # Worker threads per process; unset: one per core.
    threads: int | None = Field(default=None, ge=1, le=1024)

    @field_validator("memory_limit")
    @classmethod
    def _an_amount_of_memory(cls, memory_limit: str) -> str:
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*[KMGT]i?B", memory_limit):
            raise ValueError(f"give an amount such as 1.5GB or 1536MiB, got {memory_limit!r}")
        return memory_limit

    def resources(self, temp_directory: Path) -> DuckDBResources:
        return DuckDBResources(
            memory_limit=self.memory_limit,
            threads=self.threads or os.cpu_count() or 1,
            temp_directory=temp_directory,
        )

    def dbt_vars(self) -> dict[str, object]:
        """dbt's own DuckDB (profiles.yml `settings:`); its spill folder comes from the run."""
        resources = self.resources(Path())
        return {"duckdb_memory_limit": resources.memory_limit, "duckdb_threads": resources.threads}


class SegmentConfig(_Strict):
    """A brand's own segment: who (a filter over mart columns, never SQL) and on which channel."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    description: str
    channel: Literal[CHANNELS]
    # All these `column: value` conditions hold (see activation/segments.py for the language).
    where: dict[str, Any] | None = None
    # Or: one of these blocks of conditions holds.
    any_of: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    # Only people who also consented to messages between 21:00 and 08:00.
    night_sending: bool = False

    @model_validator(mode="after")
    def _one_filter(self) -> SegmentConfig:
        if (self.where is None) == (self.any_of is None):
            raise ValueError("give the audience as either `where:` or `any_of:` (exactly one)")
        return self


class PlaybookSegmentConfig(_Strict):
    enabled: bool = True
    channel: Literal[CHANNELS] | None = None
    night_sending: bool = False


class ConsentConfig(_Strict):
    # Korean law asks senders to re-confirm consent every two years; older consent is excluded.
    max_consent_age_days: int = Field(default=730, ge=1, le=3650)
    exclude_expired_consent: bool = True
    # Article 50(1)1: people who bought within six months may get ads for similar goods without
    # an opt-in. Off by default: a brand turns it on only after its lawyer agrees.
    recent_buyer_exception: bool = False
    recent_buyer_exception_days: int = Field(default=183, ge=1, le=366)
    # Emails and phone numbers never to contact, whatever their consent: a CSV (any encoding
    # ingest reads) or XLSX with an email and/or phone column, loaded each run. Relative paths
    # are under the Dangol home.
    suppression_list: str = "suppression.csv"


class AttributionWindowDays(_Strict):
    """Days after a message in which the recipient's purchase counts as its response."""

    email: int = Field(default=5, ge=1, le=90)
    sms: int = Field(default=1, ge=1, le=90)
    kakao: int = Field(default=1, ge=1, le=90)


class CampaignsConfig(_Strict):
    # campaign_response: an order is the response to the last message (of any campaign) the
    # customer was sent within its channel's window before it.
    attribution_window_days: AttributionWindowDays = AttributionWindowDays()


class ExportsConfig(_Strict):
    # Segment lists hold personal data: delete export runs older than this many days.
    retention_days: int = Field(default=30, ge=1, le=3650)


class ChurnRiskConfig(_Strict):
    """customer_clv.churn_risk from p_alive: high below the first cut point, medium below the
    second, low from there on."""

    high_below_p_alive: float = Field(default=0.3, gt=0, lt=1)
    medium_below_p_alive: float = Field(default=0.7, gt=0, lt=1)

    @model_validator(mode="after")
    def _ascending(self) -> ChurnRiskConfig:
        if self.high_below_p_alive >= self.medium_below_p_alive:
            raise ValueError("high_below_p_alive must be below medium_below_p_alive")
        return self


class ClvConfig(_Strict):
    """The predicted-value model (customer_value/): BG/NBD and Gamma-Gamma on purchase days."""

    # Future net revenue is discounted at this annual rate in predicted_clv_365d.
    annual_discount_rate: float = Field(default=0.10, ge=0, le=1)
    churn_risk: ChurnRiskConfig = ChurnRiskConfig()
    # Below these the data cannot carry a model: no prediction, and the gate says why.
    # Klaviyo's published floor: 500 buyers, 180 days of orders.
    min_buyers: int = Field(default=500, ge=10)
    min_repeat_buyers: int = Field(default=50, ge=10)
    min_history_days: int = Field(default=180, ge=30)
    # The backtest refits on the history up to as-of minus this many days and predicts them.
    backtest_holdout_days: int = Field(default=180, ge=7, le=3650)
    # VIP (the vip_top_decile segment) by trailing revenue (customer_loyalty.is_vip) or by the
    # predicted next-year value. Trailing by default: it needs no model, so every brand gets a
    # VIP list from its first run; a model needs clv.min_buyers and min_history_days.
    vip_basis: Literal["predicted_clv", "trailing_revenue"] = "trailing_revenue"

    def settings(self) -> ClvSettings:
        from customer_value.clv import ClvSettings

        return ClvSettings(
            annual_discount_rate=self.annual_discount_rate,
            high_churn_risk_below_p_alive=self.churn_risk.high_below_p_alive,
            medium_churn_risk_below_p_alive=self.churn_risk.medium_below_p_alive,
            min_buyers=self.min_buyers,
            min_repeat_buyers=self.min_repeat_buyers,
            min_history_days=self.min_history_days,
            backtest_holdout_days=self.backtest_holdout_days,
        )


class ReportConfig(_Strict):
    language: Literal["ko", "en"] = "ko"


class AlertsConfig(_Strict):
    # Where a run's alert goes: Apprise URLs (mailto://, slack://, msteams://, json:// ...).
    # `${NAME}` in a URL is read from the environment when sending: secrets stay out of here.
    destinations: list[str] = []

    def urls(self) -> list[str]:
        """The destinations with their `${NAME}` placeholders filled from the environment."""
        urls = []
        for index, url in enumerate(self.destinations):
            missing = [name for name in ENV_PLACEHOLDER.findall(url) if name not in os.environ]
            if missing:
                raise ConfigError(
                    f"alerts.destinations[{index}]: environment variable {missing[0]} is not set"
                    " (export it where dangol runs, or remove the destination)"
                )
            urls.append(ENV_PLACEHOLDER.sub(lambda match: os.environ[match.group(1)], url))
        return urls


class FreshnessConfig(_Strict):
    # A source family is stale when no new file of it was loaded within this many days;
    # a family left out here is never stale.
    max_days_without_new_file: dict[Literal[SOURCE_FAMILIES], int] = {
        "shop": 2,
        "crm": 7,
        "sns": 7,
    }

    @field_validator("max_days_without_new_file")
    @classmethod
    def _positive_days(cls, days: dict[str, int]) -> dict[str, int]:
        if any(value < 1 for value in days.values()):
            raise ValueError(f"give each family at least 1 day, got {days}")
        return days


class HousekeepingConfig(_Strict):
    # After each run, build files of finished runs, dbt artifacts, logs and Data Docs older than
    # this many days are removed; the releases publish.keep_releases keeps never are.
    keep_days: int = Field(default=14, ge=1, le=3650)


class AutomationConfig(_Strict):
    # How often the daemon looks for new files in the landing folder.
    landing_sensor_interval_seconds: int = Field(default=60, ge=5, le=86_400)


class DangolConfig(_Strict):
    timezone: str = "Asia/Seoul"
    default_currency: str = Field(default="KRW", pattern=r"^[A-Z]{3}$")
    identity: IdentityConfig
    rfm: RfmConfig = RfmConfig()
    loyalty: LoyaltyConfig = LoyaltyConfig()
    products: ProductsConfig = ProductsConfig()
    flywheel: FlywheelConfig = FlywheelConfig()
    kpis: KpisConfig = KpisConfig()
    publish: PublishConfig = PublishConfig()
    quality: QualityConfig = QualityConfig()
    ingest: IngestConfig = IngestConfig()
    segments: list[SegmentConfig] = []
    # The loyalty playbook's built-in segments (activation/segments.py), each on by default.
    segment_playbook: dict[str, PlaybookSegmentConfig] = {}
    consent: ConsentConfig = ConsentConfig()
    campaigns: CampaignsConfig = CampaignsConfig()
    exports: ExportsConfig = ExportsConfig()
    report: ReportConfig = ReportConfig()
    alerts: AlertsConfig = AlertsConfig()
    freshness: FreshnessConfig = FreshnessConfig()
    housekeeping: HousekeepingConfig = HousekeepingConfig()
    automation: AutomationConfig = AutomationConfig()
    clv: ClvConfig = ClvConfig()
    duckdb: DuckDBConfig = DuckDBConfig()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, timezone: str) -> str:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {timezone!r} (use an IANA name)") from None
        return timezone

    @field_validator("segments")
    @classmethod
    def _unique_segment_names(cls, segments: list[SegmentConfig]) -> list[SegmentConfig]:
        names = [s.name for s in segments] + [p.name for p in PLAYBOOK]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"segment names must be unique (playbook too); repeated: {duplicates}")
        return segments

    @field_validator("segment_playbook")
    @classmethod
    def _known_playbook_segments(
        cls, playbook: dict[str, PlaybookSegmentConfig]
    ) -> dict[str, PlaybookSegmentConfig]:
        unknown = sorted(set(playbook) - {p.name for p in PLAYBOOK})
        if unknown:
            raise ValueError(
                f"unknown playbook segment {unknown}; known: {', '.join(p.name for p in PLAYBOOK)}"
            )
        return playbook

    def segment_rules(self) -> tuple[list[SegmentRule], list[str]]:
        """Every enabled segment, playbook first, with the key path of each filter problem."""
        return segment_rules(self.segment_playbook, self.segments, self.clv.vip_basis)

    def suppression_list_path(self, home: Path) -> Path:
        return home / self.consent.suppression_list

    def dbt_vars(self) -> dict[str, object]:
        """The settings dbt models read with var(): business rules stay in SQL, values here."""
        return {
            "timezone": self.timezone,
            "default_currency": self.default_currency,
            # Not settings: the channel and campaign response vocabularies (activation.segments),
            # for dbt's tests, and
            # the flywheel stages' labels from the glossary (activation/glossary.yaml).
            "channels": list(CHANNELS),
            "campaign_responses": list(RESPONSES),
            "flywheel_stage_labels": {
                value.name: value.label_ko for value in glossary_term("flywheel_stage").values
            },
            "customer_key_salt": self.identity.customer_key_salt,
            "max_contact_points_per_identifier": (self.identity.max_contact_points_per_identifier),
            **self.rfm.dbt_vars(),
            "phone_region": self.ingest.phone_region,
            "expected_purchase_cycle_days": self.loyalty.expected_purchase_cycle_days,
            "lapse_multiplier": self.loyalty.lapse_multiplier,
            "max_consent_age_days": self.consent.max_consent_age_days,
            "exclude_expired_consent": self.consent.exclude_expired_consent,
            "recent_buyer_exception": self.consent.recent_buyer_exception,
            "recent_buyer_exception_days": self.consent.recent_buyer_exception_days,
            "experience_categories": list(self.products.experience_categories),
            "own_rhythm_min_purchase_days": self.loyalty.own_rhythm_min_purchase_days,
            "at_risk_multiplier": self.loyalty.at_risk_multiplier,
            "loyal_signals": self.loyalty.loyal_signals.thresholds(),
            "min_loyal_signals": self.loyalty.min_loyal_signals,
            "discount_driven_order_share": self.loyalty.discount_driven_order_share,
            "discount_driven_gross_share": self.loyalty.discount_driven_gross_share,
            "positive_review_min_rating": self.loyalty.positive_review_min_rating,
            "vip_trailing_days": self.loyalty.vip_trailing_days,
            "vip_top_share": self.loyalty.vip_top_share,
            "loyalty_tiers": [tier.model_dump() for tier in self.loyalty.tiers],
            **{f"flywheel_{name}": value for name, value in self.flywheel.model_dump().items()},
            **self.kpis.dbt_vars(),
            "campaign_attribution_window_days": (
                self.campaigns.attribution_window_days.model_dump()
            ),
            "clv_backtest_holdout_days": self.clv.backtest_holdout_days,
        }

    def ingest_settings(self) -> IngestSettings:
        return self.ingest.settings()

    def duckdb_resources(self, home: DangolHome) -> DuckDBResources:
        """The DuckDB budget of the pipeline's own process in a run of `home`."""
        return self.duckdb.resources(home.duckdb_spill_dir / "pipeline")


def _parse_yaml(text: str):
    """A run's steps each read dangol.yaml (each step stands alone, in the UI too): PyYAML's own
    parser took 25 ms a read, libyaml's (in PyYAML's wheels) 2 ms. A file libyaml rejects is
    parsed again by PyYAML's, whose error quotes the line and points at the column."""
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return yaml.safe_load(text)


def config_path(path: Path | str | None = None) -> Path:
    return Path(path or os.environ.get("DANGOL_CONFIG") or DEFAULT_CONFIG).resolve()


def load_config(path: Path | str | None = None) -> DangolConfig:
    path = config_path(path)
    try:
        raw = _parse_yaml(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file (set --config or DANGOL_CONFIG)") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    try:
        config = DangolConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None
    _, problems = config.segment_rules()
    if problems:
        raise ConfigError(f"{path}: {'; '.join(problems)}")
    return config


@dataclass(frozen=True)
class DangolHome:
    """Where a Dangol installation keeps its files. Only `warehouse/` is meant for BI tools."""

    root: Path
    landing: Path

    @classmethod
    def resolve(cls, home: Path | str | None = None, landing: Path | str | None = None):
        root = Path(home or os.environ.get("DANGOL_HOME") or ".dangol").resolve()
        landing = Path(landing or os.environ.get("DANGOL_LANDING") or root / "landing").resolve()
        return cls(root=root, landing=landing)

    @property
    def state_db(self) -> Path:
        """Raw tables, ingest ledger and models of the last run that published."""
        return self.root / "state" / "pipeline.duckdb"

    @property
    def good_run_file(self) -> Path:
        """The last run that succeeded and its inputs: a run with the same inputs is skipped."""
        return self.root / "state" / "last_good_run.json"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def duckdb_spill_dir(self) -> Path:
        """Where DuckDB spills past its memory limit (pages of the build: personal data); a
        folder per process, removed at the end of every run."""
        return self.build_dir / "spill"

    @property
    def build_db(self) -> Path:
        """The running run's copy of the state plus its new files; discarded if the run fails.

        The same path for every run: dbt parses the project again whenever its profile (this
        path) changes. publish/builds.py says which run owns it and stops a dbt left behind.
        """
        return self.build_dir / "pipeline.duckdb"

    @property
    def restricted_db(self) -> Path:
        """Contact points and consent, for the export stage only; owner-only, never published."""
        return self.root / "restricted" / "contacts.duckdb"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def published_db(self) -> Path:
        return self.warehouse_dir / "dangol.duckdb"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def lock_file(self) -> Path:
        return self.root / "run.lock"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def last_run_file(self) -> Path:
        """The last run's outcome, which `dangol status` reads."""
        return self.logs_dir / "last_run.json"

    @property
    def dbt_artifacts_dir(self) -> Path:
        return self.root / "dbt"

    def dbt_target(self, run_id: str) -> Path:
        """dbt's artifacts and log of one run: in the home, never in the code checkout."""
        return self.dbt_artifacts_dir / run_id

    @property
    def dbt_parse_cache(self) -> Path:
        """dbt's parse of the project, kept from run to run (orchestration/defs/transform.py)."""
        return self.dbt_artifacts_dir / "partial_parse.msgpack"
