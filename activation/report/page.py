"""The report's panels from the queries' rows and the export manifests, rendered by the page
template (templates/marketing_report.html.j2) with autoescaping on."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path

import jinja2
import yaml

from activation import glossary
from activation.report import queries
from activation.report.charts import (
    ACCENT,
    BarChart,
    ColumnChart,
    Heatmap,
    LineChart,
    bar_chart,
    heatmap,
    line_chart,
    paired_columns,
)
from publish.duckdb_files import DuckDBResources, connect

FLYWHEEL_STAGES = tuple(v.name for v in glossary.term("flywheel_stage").values)
LIFECYCLE_STATUSES = tuple(v.name for v in glossary.term("lifecycle_status").values)
FUNNEL_STAGES = ("impressions", "clicks", "sessions", "add_to_carts", "orders")


@cache
def labels(language: str) -> dict[str, str]:
    """The report's own words (labels.yaml) and the glossary's names of metrics and statuses."""
    text = resources.files("activation.report").joinpath("labels.yaml").read_text("utf-8")
    words = yaml.safe_load(text)[language]
    terms = glossary.labels(language)
    restated = sorted(set(words) & set(terms))
    if restated:
        raise ValueError(f"labels.yaml restates the glossary's labels for {restated}")
    return {**words, **terms}


def definitions(language: str) -> dict[str, str]:
    """The glossary's one-line definition of each term, for the note under its chart."""
    return {t.name: t.summary(language) for t in glossary.terms()}


def shown(value: object, spec: str) -> str:
    """A number as the report shows it; '-' where there is nothing to show (no denominator)."""
    return "-" if value is None else format(value, spec)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if not denominator or numerator is None else numerator / denominator


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("activation.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["fmt"] = shown
    environment.globals["accent"] = ACCENT
    return environment


@dataclass(frozen=True)
class SegmentRow:
    name: str
    description: str
    channel: str
    people: int
    added: int
    removed: int
    stayed: int
    excluded: int
    why: str  # people excluded per reason


@dataclass(frozen=True)
class SegmentsPanel:
    chart: BarChart | None
    rows: list[SegmentRow]


def segments_panel(text: dict, manifest: dict | None) -> SegmentsPanel:
    segments = manifest["segments"] if manifest else {}
    rows = [
        SegmentRow(
            name=name,
            description=s["description"],
            channel=text.get(s["channel"], s["channel"]),
            people=s["people"],
            added=s["diff"].get("added", 0),
            removed=s["diff"].get("removed", 0),
            stayed=s["diff"].get("stayed", 0),
            excluded=sum(s["excluded"].values()),
            why=", ".join(f"{text.get(r, r)} {n:,}" for r, n in s["excluded"].items() if n),
        )
        for name, s in segments.items()
    ]
    chart = bar_chart(
        [(row.name, row.people, f"{row.people:,}") for row in rows], width=860, label_width=300
    )
    return SegmentsPanel(chart, rows)


def exclusions_chart(text: dict, manifest: dict | None) -> BarChart | None:
    totals: dict[str, int] = {}
    for segment in (manifest["segments"] if manifest else {}).values():
        for reason, count in segment["excluded"].items():
            totals[reason] = totals.get(reason, 0) + count
    return bar_chart([(text.get(r, r), n, f"{n:,}") for r, n in totals.items() if n])


def rfm_grid(text: dict, cells: list[queries.RfmCell], score_bins: int | None) -> Heatmap:
    """Recency score down the side (best on top), frequency-monetary score across, one row and
    column per score of rfm.score_bins (None: as far as the data's scores go); a score above
    the bins (a release scored with more) still gets its row and column."""
    bins = max([score_bins or 1] + [max(c.r_score, c.fm_score) for c in cells])
    return heatmap(
        [str(r) for r in range(bins, 0, -1)],
        [str(fm) for fm in range(1, bins + 1)],
        {(bins - c.r_score, c.fm_score - 1): (c.customers, f"{c.customers:,}") for c in cells},
        max((c.customers for c in cells), default=1),
        text["rfm_axis_r"],
        text["rfm_axis_fm"],
        cell_width=72 if bins <= 5 else max(40, 360 // bins),
    )


@dataclass(frozen=True)
class ParetoPanel:
    chart: LineChart | None
    notes: list[str] = field(default_factory=list)


def pareto_panel(text: dict, points: list[queries.ParetoPoint]) -> ParetoPanel:
    if not points:
        return ParetoPanel(None)
    curve = [(p.customer_share, p.revenue_share) for p in points]  # thinned by the query
    notes = []
    for pct in (10, 20, 30):
        share = next((y for x, y in curve if x >= pct / 100), curve[-1][1])
        notes.append(text["top_share"].format(pct=pct, share=f"{share:.0%}"))
    return ParetoPanel(line_chart(curve, text["pareto_x"], text["pareto_y"]), notes)


def cohort_grid(text: dict, cells: list[queries.CohortCell]) -> Heatmap | None:
    """Retention per first-purchase month and month since; the first column is the size."""
    months = sorted({c.cohort_month for c in cells})
    if not months:
        return None
    row = {month: index for index, month in enumerate(months)}
    grid = {
        (row[c.cohort_month], c.months_since_first_purchase): (
            float(c.retention_rate),
            f"{c.retention_rate:.0%}",
        )
        for c in cells
        if c.months_since_first_purchase > 0 and c.retention_rate is not None
    }
    sizes = {c.cohort_month: c.cohort_size for c in cells}
    scale = max((value for value, _ in grid.values()), default=1)
    grid |= {(row[month], 0): (0.0, f"{sizes[month]:,}") for month in months}
    return heatmap(
        [m.strftime("%Y-%m") for m in months],
        ["n"] + [str(i) for i in range(1, queries.COHORT_MONTHS)],
        grid,
        scale,
        text["cohort_month"],
        text["months_since"],
        cell_width=54,
    )


@dataclass(frozen=True)
class FunnelRow:
    channel: str
    counts: list[float]  # one per FUNNEL_STAGES
    ctr: float | None
    conversion: float | None
    cpc: float | None
    cac: float | None
    roas: float | None


@dataclass(frozen=True)
class FunnelPanel:
    period: str
    chart: BarChart
    rows: list[FunnelRow]


def funnel_panel(text: dict, funnels: list[queries.ChannelFunnel]) -> FunnelPanel | None:
    """Impressions to orders, all ad channels together and each on its own."""
    if not funnels:
        return None
    totals = [sum(getattr(f, stage) for f in funnels) for stage in FUNNEL_STAGES]
    # Each stage after the first with its conversion from the stage before.
    steps = [""] + [f"  ({shown(ratio(b, a), '.1%')})" for a, b in pairwise(totals)]
    bars = [
        (text[stage], total, f"{total:,.0f}{step}")
        for stage, total, step in zip(FUNNEL_STAGES, totals, steps, strict=True)
    ]
    rows = [
        FunnelRow(
            channel=f.channel,
            counts=[getattr(f, stage) for stage in FUNNEL_STAGES],
            ctr=ratio(f.clicks, f.impressions),
            conversion=ratio(f.orders, f.clicks),
            cpc=ratio(f.cost, f.clicks),
            cac=ratio(f.cost, f.new_customers),
            roas=ratio(f.revenue, f.cost),
        )
        for f in funnels
    ]
    period = text["funnel_period"].format(
        days=queries.FUNNEL_DAYS,
        start=min(f.first_date for f in funnels),
        end=max(f.last_date for f in funnels),
    )
    return FunnelPanel(period, bar_chart(bars, width=860, label_width=200), rows)


def bars_in_order(text: dict, order: tuple[str, ...], counts: dict[str, int]) -> BarChart | None:
    """One bar per value in the glossary's order, an empty one included."""
    return bar_chart([(text[v], counts.get(v, 0), f"{counts.get(v, 0):,}") for v in order])


def flywheel_chart(text: dict, stages: list[queries.FlywheelStage]) -> BarChart | None:
    return bars_in_order(text, FLYWHEEL_STAGES, {s.flywheel_stage: s.customers for s in stages})


def lifecycle_chart(text: dict, statuses: list[queries.LifecycleStatus]) -> BarChart | None:
    counts = {s.lifecycle_status: s.customers for s in statuses}
    return bars_in_order(text, LIFECYCLE_STATUSES, counts)


@dataclass(frozen=True)
class MembershipPanel:
    chart: BarChart
    rows: list[tuple[str, queries.MembershipConversion]]  # (category as shown, its row)
    effects: list[queries.MembershipEffect]


def membership_panel(
    language: str,
    conversions: list[queries.MembershipConversion],
    effects: list[queries.MembershipEffect],
) -> MembershipPanel | None:
    """Join rate after the experience purchase per first category, and what joining changed."""
    if not conversions:
        return None
    rows = [(c.category_ko if language == "ko" else c.category, c) for c in conversions]
    bars = [
        (
            label,
            float(c.join_rate or 0),
            f"{shown(c.join_rate, '.1%')} ({c.joined:,}/{c.first_time_buyers:,})",
        )
        for label, c in rows
    ]
    return MembershipPanel(bar_chart(bars, width=860, label_width=200), rows, effects)


@dataclass(frozen=True)
class BacktestPanel:
    """How well the predicted value predicts: the model refitted up to a cut-off, its
    predictions for the days after against what customers did; or why there is none."""

    note: str
    chart: ColumnChart | None
    overall: queries.BacktestRow | None
    deciles: list[queries.BacktestRow] = field(default_factory=list)


def backtest_panel(
    text: dict, status: queries.ClvStatus | None, rows: list[queries.BacktestRow]
) -> BacktestPanel:
    if status is None or not status.predicted:
        reason = status.reason if status else text["no_data"]
        return BacktestPanel(text["clv_not_predicted"].format(reason=reason), None, None)
    if not rows:
        return BacktestPanel(text["clv_not_backtested"].format(reason=status.backtest_reason),
                             None, None)  # fmt: skip
    overall, deciles = rows[0], rows[1:]
    note = text["backtest_period"].format(cutoff=overall.cutoff_date, days=overall.holdout_days)
    chart = paired_columns(
        [
            (str(row.predicted_decile), float(row.predicted_revenue), float(row.actual_revenue))
            for row in deciles
        ],
        (text["predicted"], text["actual"]),
        text["backtest_axis"],
    )
    return BacktestPanel(note, chart, overall, deciles)


def render_report(
    published_db: Path,
    manifests: list[dict],
    language: str,
    now: dt.datetime,
    rfm_score_bins: int | None = None,
    duckdb_resources: DuckDBResources | None = None,
) -> str:
    text = labels(language)
    manifest = manifests[-1] if manifests else None
    with connect(published_db, duckdb_resources, read_only=True) as con:
        page = {
            "release": queries.release_id(con),
            "rfm": rfm_grid(text, queries.rfm_cells(con), rfm_score_bins),
            "pareto": pareto_panel(text, queries.pareto_points(con)),
            "cohort": cohort_grid(text, queries.cohort_cells(con)),
            "funnel": funnel_panel(text, queries.channel_funnels(con)),
            "flywheel": flywheel_chart(text, queries.flywheel_stages(con)),
            "lifecycle": lifecycle_chart(text, queries.lifecycle_statuses(con)),
            "membership": membership_panel(
                language, queries.membership_conversions(con), queries.membership_effects(con)
            ),
            "backtest": backtest_panel(text, queries.clv_status(con), queries.clv_backtest(con)),
        }
    return (
        _environment()
        .get_template("marketing_report.html.j2")
        .render(
            language=language,
            text=text,
            definitions=definitions(language),
            generated=f"{now:%Y-%m-%d %H:%M}",
            segments=segments_panel(text, manifest),
            exclusions=exclusions_chart(text, manifest),
            funnel_stages=list(FUNNEL_STAGES),
            **page,
        )
    )


def write_marketing_report(
    published_db: Path,
    manifest_files: list[Path],
    target: Path,
    language: str,
    rfm_score_bins: int | None = None,
    duckdb_resources: DuckDBResources | None = None,
) -> Path:
    """Render the report from the published marts and the newest export manifests."""
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in manifest_files[-2:]]
    target.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    html = render_report(published_db, manifests, language, now, rfm_score_bins, duckdb_resources)
    target.write_text(html, encoding="utf-8")
    return target
