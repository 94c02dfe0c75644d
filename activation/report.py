"""The marketer's report: one self-contained HTML file per run (inline CSS and SVG, no script,
nothing fetched), read from the published marts and the export manifests. No contact points:
only counts and shares, so the file can be mailed around the team.

A chart whose mart is not built yet shows a "not available yet" panel and lights up once the
mart is published.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

LABELS = {
    "ko": {
        "title": "단골 마케팅 리포트",
        "generated": "작성",
        "release": "데이터 릴리스",
        "segments": "세그먼트 규모와 지난 실행 대비 변화",
        "segment": "세그먼트",
        "channel": "채널",
        "people": "발송 가능 인원",
        "added": "신규",
        "removed": "제외",
        "stayed": "유지",
        "excluded": "발송 제외",
        "no_segments": "이번 실행에서 내보낸 세그먼트가 없습니다.",
        "exclusions": "발송 제외 사유",
        "rfm": "RFM 그리드 (고객 수)",
        "rfm_axis_r": "최근성 점수 R",
        "rfm_axis_fm": "구매 빈도·금액 점수 FM",
        "pareto": "매출 파레토 곡선",
        "pareto_x": "고객 누적 비율 (매출 순)",
        "pareto_y": "매출 누적 비율",
        "top_share": "상위 {pct}% 고객이 매출의 {share}",
        "cohort": "코호트 리텐션 (첫 구매 월 기준 재구매율)",
        "cohort_month": "첫 구매 월",
        "months_since": "경과 개월",
        "funnel": "채널 퍼널",
        "flywheel": "플라이휠 단계별 고객 수",
        "membership": "멤버십 전환",
        "not_available": "아직 준비되지 않았습니다: 마트 {table} 가 게시되면 표시됩니다.",
        "no_data": "데이터가 없습니다.",
        "no_consent": "수신 동의 없음",
        "no_contact": "연락처 없음",
        "unsubscribed": "수신 거부",
        "bounced": "반송",
        "consent_expired": "동의 2년 경과",
        "suppressed": "발송 금지 목록",
        "no_night_consent": "야간 수신 동의 없음",
        "activation": "활성화",
        "adoption": "정착",
        "retention": "유지",
        "advocacy": "추천",
        "email": "이메일",
        "sms": "문자",
        "kakao": "카카오",
        "lead": "잠재 고객",
        "funnel_period": "최근 {days}일 ({start} ~ {end}), 광고 채널별",
        "funnel_total": "전체 광고 채널",
        "impressions": "노출",
        "clicks": "클릭",
        "sessions": "방문",
        "add_to_carts": "장바구니",
        "orders": "주문",
        "ctr": "클릭률",
        "conversion": "클릭→주문",
        "cpc": "클릭당 비용",
        "cac": "신규 고객 획득 비용",
        "roas": "광고 수익률",
        "membership_rate": "첫 구매 상품군별 멤버십 가입률",
        "category": "첫 구매 상품군",
        "buyers": "첫 구매 고객",
        "joined": "가입",
        "join_rate": "가입률",
        "days_to_join": "가입까지 일수 (중앙값)",
        "member_after": "가입 후 구매 (멤버)",
        "non_member_after": "첫 구매 후 재구매 (비멤버)",
        "per_customer": "1인당 구매 수 / 순매출",
    },
    "en": {
        "title": "Dangol marketing report",
        "generated": "Generated",
        "release": "Data release",
        "segments": "Segment sizes and movement since the last run",
        "segment": "Segment",
        "channel": "Channel",
        "people": "Reachable people",
        "added": "Added",
        "removed": "Removed",
        "stayed": "Stayed",
        "excluded": "Excluded",
        "no_segments": "No segment was exported in this run.",
        "exclusions": "Why people were excluded",
        "rfm": "RFM grid (customers)",
        "rfm_axis_r": "Recency score R",
        "rfm_axis_fm": "Frequency-monetary score FM",
        "pareto": "Revenue Pareto curve",
        "pareto_x": "Cumulative share of customers (by revenue)",
        "pareto_y": "Cumulative share of revenue",
        "top_share": "Top {pct}% of customers bring {share} of revenue",
        "cohort": "Cohort retention (share buying again, by first-purchase month)",
        "cohort_month": "First purchase",
        "months_since": "Months since",
        "funnel": "Channel funnel",
        "flywheel": "Customers per flywheel stage",
        "membership": "Membership conversion",
        "not_available": "Not available yet: shown once the mart {table} is published.",
        "no_data": "No data.",
        "no_consent": "No consent",
        "no_contact": "No contact point",
        "unsubscribed": "Unsubscribed",
        "bounced": "Bounced",
        "consent_expired": "Consent over 2 years old",
        "suppressed": "Suppression list",
        "no_night_consent": "No night-time consent",
        "activation": "Activation",
        "adoption": "Adoption",
        "retention": "Retention",
        "advocacy": "Advocacy",
        "email": "Email",
        "sms": "SMS",
        "kakao": "Kakao",
        "lead": "Leads",
        "funnel_period": "Last {days} days ({start} to {end}), per ad channel",
        "funnel_total": "All ad channels",
        "impressions": "Impressions",
        "clicks": "Clicks",
        "sessions": "Sessions",
        "add_to_carts": "Add to carts",
        "orders": "Orders",
        "ctr": "CTR",
        "conversion": "Click to order",
        "cpc": "CPC",
        "cac": "CAC",
        "roas": "ROAS",
        "membership_rate": "Membership join rate by first product category",
        "category": "First purchase category",
        "buyers": "First-time buyers",
        "joined": "Joined",
        "join_rate": "Join rate",
        "days_to_join": "Days to join (median)",
        "member_after": "After joining (members)",
        "non_member_after": "After first purchase (non-members)",
        "per_customer": "Purchases / net revenue per customer",
    },
}
FLYWHEEL_STAGES = ("lead", "activation", "adoption", "retention", "advocacy")
# The funnel panel shows the recent window a marketer acts on, not all history.
FUNNEL_DAYS = 30
ACCENT = "#2f6fb3"
CSS = """
body{font-family:"NanumGothic","Noto Sans CJK KR","Apple SD Gothic Neo","Malgun Gothic",
sans-serif;margin:0;background:#f4f6f9;color:#1d2733}
header{background:#1f3b5c;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.8;font-size:13px}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:18px;
padding:20px 32px}
section{background:#fff;border-radius:10px;padding:16px 20px;box-shadow:0 1px 3px #0002}
section.wide{grid-column:1/-1}
h2{font-size:16px;margin:0 0 12px;color:#1f3b5c}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e3e8ef;text-align:right}
th:first-child,td:first-child{text-align:left}
th{color:#5b6b7d;font-weight:600}
.up{color:#1a7f45}.down{color:#b3261e}
.unavailable{border:2px dashed #c5cfdb;border-radius:8px;padding:28px;text-align:center;
color:#6b7b8d;background:#f8fafc}
.note{font-size:12px;color:#5b6b7d;margin:8px 0 0}
svg{display:block;max-width:100%;height:auto}
svg text{font-size:12px;fill:#3b4a5a}
"""


def _esc(value: object) -> str:
    return html.escape(str(value))


def _blend(share: float) -> str:
    """Light to dark blue: 0 -> #eef4fb, 1 -> #1f4e8c."""
    share = max(0.0, min(1.0, share))
    low, high = (0xEE, 0xF4, 0xFB), (0x1F, 0x4E, 0x8C)
    return "#" + "".join(
        f"{round(a + (b - a) * share):02x}" for a, b in zip(low, high, strict=True)
    )


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    body: str
    wide: bool = False

    def html(self) -> str:
        classes = "wide" if self.wide else ""
        return (
            f'<section class="{classes}" data-chart="{self.key}"><h2>{_esc(self.title)}</h2>'
            f"{self.body}</section>"
        )


def _no_data(text: dict) -> str:
    return f'<p class="note">{_esc(text["no_data"])}</p>'


def _unavailable(text: dict, table: str) -> str:
    return f'<div class="unavailable">{_esc(text["not_available"].format(table=table))}</div>'


def bar_chart(items: list[tuple[str, float, str]], width: int = 560, label_width: int = 190) -> str:
    """Horizontal bars: (label, value, text shown after the bar)."""
    if not items:
        return ""
    row, top = 28, 6
    most = max(value for _, value, _ in items) or 1
    bar_room = width - label_width - 90
    marks = []
    for index, (label, value, note) in enumerate(items):
        y = top + index * row
        length = max(2.0, bar_room * value / most)
        marks.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end">{_esc(label)}</text>'
            f'<rect class="mark" x="{label_width}" y="{y + 4}" width="{length:.1f}" height="18"'
            f' rx="3" fill="{ACCENT}"><title>{_esc(label)}: {_esc(note)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}">{_esc(note)}</text>'
        )
    height = top * 2 + row * len(items)
    return f'<svg width="{width}" viewBox="0 0 {width} {height}" role="img">{"".join(marks)}</svg>'


def heatmap(
    row_labels: list[str],
    column_labels: list[str],
    cells: dict[tuple[int, int], tuple[float, str]],
    scale_max: float,
    axis_rows: str,
    axis_columns: str,
    cell_width: int = 56,
) -> str:
    """A grid of coloured cells: cells[(row, column)] = (value for the colour, text shown)."""
    left, top, cell_height = 96, 42, 30
    width = left + cell_width * len(column_labels) + 10
    height = top + cell_height * len(row_labels) + 6
    parts = [
        f'<text x="{left + cell_width * len(column_labels) / 2}" y="14" text-anchor="middle"'
        f' font-weight="600">{_esc(axis_columns)}</text>',
        f'<text x="14" y="{top + cell_height * len(row_labels) / 2}" text-anchor="middle"'
        f' font-weight="600" transform="rotate(-90 14 {top + cell_height * len(row_labels) / 2})">'
        f"{_esc(axis_rows)}</text>",
    ]
    for column, label in enumerate(column_labels):
        x = left + column * cell_width + cell_width / 2
        parts.append(f'<text x="{x}" y="{top - 4}" text-anchor="middle">{_esc(label)}</text>')
    for row, label in enumerate(row_labels):
        y = top + row * cell_height
        parts.append(f'<text x="{left - 6}" y="{y + 19}" text-anchor="end">{_esc(label)}</text>')
        for column in range(len(column_labels)):
            value, shown = cells.get((row, column), (None, ""))
            x = left + column * cell_width
            fill = "#f6f7f9" if value is None else _blend(value / (scale_max or 1))
            dark = value is not None and value / (scale_max or 1) > 0.55
            parts.append(
                f'<rect class="mark" x="{x}" y="{y}" width="{cell_width - 2}"'
                f' height="{cell_height - 2}" rx="3" fill="{fill}">'
                f"<title>{_esc(label)} / {_esc(column_labels[column])}: {_esc(shown)}"
                "</title></rect>"
                f'<text x="{x + cell_width / 2 - 1}" y="{y + 19}" text-anchor="middle"'
                f' style="fill:{"#fff" if dark else "#1d2733"}">{_esc(shown)}</text>'
            )
    return f'<svg width="{width}" viewBox="0 0 {width} {height}" role="img">{"".join(parts)}</svg>'


def line_chart(
    points: list[tuple[float, float]], x_label: str, y_label: str, width: int = 520
) -> str:
    """A curve over [0, 1] x [0, 1] with the diagonal (everyone equal) for reference."""
    left, top, plot = 56, 14, 300
    height = top + plot + 46

    def position(x: float, y: float) -> str:
        return f"{left + x * (width - left - 20):.1f},{top + (1 - y) * plot:.1f}"

    grid = "".join(
        f'<line x1="{left}" x2="{width - 20}" y1="{top + (1 - g) * plot:.1f}"'
        f' y2="{top + (1 - g) * plot:.1f}" stroke="#e3e8ef"/>'
        f'<text x="{left - 6}" y="{top + (1 - g) * plot + 4:.1f}" text-anchor="end">{g:.0%}</text>'
        f'<text x="{left + g * (width - left - 20):.1f}" y="{top + plot + 16}"'
        f' text-anchor="middle">{g:.0%}</text>'
        for g in (0, 0.25, 0.5, 0.75, 1)
    )
    curve = " ".join(position(x, y) for x, y in [(0.0, 0.0), *points])
    return (
        f'<svg width="{width}" viewBox="0 0 {width} {height}" role="img">{grid}'
        f'<polyline points="{position(0, 0)} {position(1, 1)}" fill="none" stroke="#b8c4d2"'
        f' stroke-dasharray="4 4"/>'
        f'<polyline class="mark" points="{curve}" fill="none" stroke="{ACCENT}"'
        f' stroke-width="2.5"/>'
        f'<text x="{(left + width - 20) / 2}" y="{height - 8}" text-anchor="middle"'
        f' font-weight="600">{_esc(x_label)}</text>'
        f'<text x="12" y="{top + plot / 2}" text-anchor="middle" font-weight="600"'
        f' transform="rotate(-90 12 {top + plot / 2})">{_esc(y_label)}</text></svg>'
    )


def _mart_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'marts' and table_name = ?",
            [table],
        ).fetchone()[0]
    )


def _segments_chart(text: dict, manifests: list[dict]) -> Chart:
    current = manifests[-1] if manifests else {"segments": {}}
    segments = current["segments"]
    if not segments:
        body = f'<p class="note">{_esc(text["no_segments"])}</p>'
    else:
        bars = bar_chart(
            [(name, s["people"], f"{s['people']:,}") for name, s in segments.items()],
            width=860,
            label_width=300,
        )
        rows = []
        for name, s in segments.items():
            diff, excluded = s["diff"], sum(s["excluded"].values())
            why = ", ".join(f"{text.get(r, r)} {n:,}" for r, n in s["excluded"].items() if n)
            rows.append(
                f"<tr><td>{_esc(name)}<br><small>{_esc(s['description'])}</small></td>"
                f"<td>{_esc(text.get(s['channel'], s['channel']))}</td>"
                f"<td>{s['people']:,}</td>"
                f'<td class="up">+{diff.get("added", 0):,}</td>'
                f'<td class="down">&minus;{diff.get("removed", 0):,}</td>'
                f"<td>{diff.get('stayed', 0):,}</td>"
                f'<td title="{_esc(why)}">{excluded:,}</td></tr>'
            )
        header = "".join(
            f"<th>{_esc(text[k])}</th>"
            for k in ("segment", "channel", "people", "added", "removed", "stayed", "excluded")
        )
        body = f"{bars}<table><tr>{header}</tr>{''.join(rows)}</table>"
    return Chart("segments", text["segments"], body, wide=True)


def _exclusions_chart(text: dict, manifests: list[dict]) -> Chart:
    totals: dict[str, int] = {}
    for segment in (manifests[-1]["segments"] if manifests else {}).values():
        for reason, count in segment["excluded"].items():
            totals[reason] = totals.get(reason, 0) + count
    items = [(text.get(r, r), n, f"{n:,}") for r, n in totals.items() if n]
    body = bar_chart(items) if items else _no_data(text)
    return Chart("exclusions", text["exclusions"], body)


def _rfm_chart(text: dict, con: duckdb.DuckDBPyConnection) -> Chart:
    if not _mart_exists(con, "customer_rfm"):
        return Chart("rfm", text["rfm"], _unavailable(text, "customer_rfm"))
    counts = con.execute(
        "select r_score, fm_score, count(*), any_value(rfm_segment)"
        " from marts.customer_rfm group by all"
    ).fetchall()
    cells = {(5 - r, fm - 1): (n, f"{n:,}") for r, fm, n, _ in counts}
    most = max((n for *_, n, _ in counts), default=1)
    body = heatmap(
        [str(r) for r in range(5, 0, -1)],
        [str(fm) for fm in range(1, 6)],
        cells,
        most,
        text["rfm_axis_r"],
        text["rfm_axis_fm"],
        cell_width=72,
    )
    return Chart("rfm", text["rfm"], body)


def _pareto_chart(text: dict, con: duckdb.DuckDBPyConnection) -> Chart:
    if not _mart_exists(con, "revenue_concentration"):
        return Chart("pareto", text["pareto"], _unavailable(text, "revenue_concentration"))
    points = con.execute(
        "select cumulative_customer_share, cumulative_revenue_share"
        " from marts.revenue_concentration order by customer_rank"
    ).fetchall()
    if not points:
        return Chart("pareto", text["pareto"], _no_data(text))
    step = max(1, len(points) // 200)
    curve = [(float(x), float(y)) for x, y in points[::step]] + [tuple(map(float, points[-1]))]
    notes = []
    for pct in (10, 20, 30):
        share = next((y for x, y in curve if x >= pct / 100), curve[-1][1])
        notes.append(text["top_share"].format(pct=pct, share=f"{share:.0%}"))
    body = line_chart(curve, text["pareto_x"], text["pareto_y"])
    body += f'<p class="note">{" · ".join(_esc(n) for n in notes)}</p>'
    return Chart("pareto", text["pareto"], body)


def _cohort_chart(text: dict, con: duckdb.DuckDBPyConnection) -> Chart:
    if not _mart_exists(con, "cohort_retention"):
        return Chart("cohort", text["cohort"], _unavailable(text, "cohort_retention"), wide=True)
    rows = con.execute(
        "select cohort_month, months_since_first_purchase, retention_rate, cohort_size"
        " from marts.cohort_retention"
        " where cohort_month in (select distinct cohort_month from marts.cohort_retention"
        "   order by cohort_month desc limit 12)"
        " and months_since_first_purchase <= 11"
    ).fetchall()
    months = sorted({r[0] for r in rows})
    if not months:
        return Chart("cohort", text["cohort"], _no_data(text))
    sizes = {r[0]: r[3] for r in rows}
    cells = {
        (months.index(month), since): (float(rate), f"{rate:.0%}")
        for month, since, rate, _ in rows
        if since > 0 and rate is not None
    }
    for month in months:
        cells[(months.index(month), 0)] = (None, f"{sizes[month]:,}")
    body = heatmap(
        [m.strftime("%Y-%m") for m in months],
        ["n"] + [str(i) for i in range(1, 12)],
        {k: (v if v is not None else 0, s) for k, (v, s) in cells.items()},
        max((v for v, _ in cells.values() if v is not None), default=1),
        text["cohort_month"],
        text["months_since"],
        cell_width=54,
    )
    return Chart("cohort", text["cohort"], body, wide=True)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if not denominator or numerator is None else numerator / denominator


def _shown(value: float | None, form: str) -> str:
    return "-" if value is None else format(value, form)


def _funnel_chart(text: dict, con: duckdb.DuckDBPyConnection) -> Chart:
    """Impressions to orders per ad channel over the last FUNNEL_DAYS days of stats."""
    if not _mart_exists(con, "channel_funnel_daily"):
        return Chart("funnel", text["funnel"], _unavailable(text, "channel_funnel_daily"), True)
    rows = con.execute(
        f"""
        with recent as (
            select * from marts.channel_funnel_daily
            where impressions is not null and activity_date > (
                select max(activity_date) - interval {FUNNEL_DAYS} day
                from marts.channel_funnel_daily where impressions is not null
            )
        )
        select channel, min(activity_date), max(activity_date), sum(impressions),
            sum(clicks), sum(sessions), sum(add_to_carts), sum(orders_count),
            sum(new_customers), sum(cost_amount), sum(net_revenue)
        from recent group by channel order by sum(impressions) desc
        """
    ).fetchall()
    if not rows:
        return Chart("funnel", text["funnel"], _no_data(text), wide=True)
    stages = ("impressions", "clicks", "sessions", "add_to_carts", "orders")
    totals = [sum(float(r[i] or 0) for r in rows) for i in range(3, 11)]
    bars = bar_chart(
        [
            (
                text[stage],
                totals[i],
                f"{totals[i]:,.0f}  ({_shown(_ratio(totals[i], totals[i - 1]), '.1%')})",
            )
            if i
            else (text[stage], totals[i], f"{totals[i]:,.0f}")
            for i, stage in enumerate(stages)
        ],
        width=860,
        label_width=200,
    )
    header = "".join(
        f"<th>{_esc(text[k])}</th>"
        for k in ("channel", *stages, "ctr", "conversion", "cpc", "cac", "roas")
    )
    body_rows = []
    for channel, *_, impressions, clicks, sessions, carts, orders, new, cost, revenue in rows:
        cost, revenue = float(cost or 0), float(revenue or 0)
        body_rows.append(
            f"<tr><td>{_esc(channel)}</td>"
            + "".join(
                f"<td>{int(v or 0):,}</td>" for v in (impressions, clicks, sessions, carts, orders)
            )
            + f"<td>{_shown(_ratio(clicks, impressions), '.2%')}</td>"
            f"<td>{_shown(_ratio(orders, clicks), '.2%')}</td>"
            f"<td>{_shown(_ratio(cost, clicks), ',.0f')}</td>"
            f"<td>{_shown(_ratio(cost, new), ',.0f')}</td>"
            f"<td>{_shown(_ratio(revenue, cost), '.2f')}</td></tr>"
        )
    start = min(r[1] for r in rows)
    end = max(r[2] for r in rows)
    period = text["funnel_period"].format(days=FUNNEL_DAYS, start=start, end=end)
    body = (
        f'<p class="note">{_esc(period)} · {_esc(text["funnel_total"])}</p>{bars}'
        f"<table><tr>{header}</tr>{''.join(body_rows)}</table>"
    )
    return Chart("funnel", text["funnel"], body, wide=True)


def _membership_chart(text: dict, con: duckdb.DuckDBPyConnection) -> Chart:
    """Join rate after the experience purchase per first category, and what joining changed."""
    if not _mart_exists(con, "membership_conversion"):
        return Chart(
            "membership", text["membership"], _unavailable(text, "membership_conversion"), True
        )
    rows = con.execute(
        "select first_product_category, first_product_category_ko, first_time_buyers,"
        " joined_after_first_purchase, join_rate, median_days_to_join,"
        " member_purchases_after_joining, member_net_revenue_after_joining,"
        " non_member_repeat_purchases, non_member_repeat_net_revenue"
        " from marts.membership_conversion"
        " order by first_product_category = 'all' desc, first_time_buyers desc"
    ).fetchall()
    if not rows:
        return Chart("membership", text["membership"], _no_data(text), wide=True)
    label = 1 if text is LABELS["ko"] else 0
    bars = bar_chart(
        [(r[label], float(r[4] or 0), f"{_shown(r[4], '.1%')} ({r[3]:,}/{r[2]:,})") for r in rows],
        width=860,
        label_width=200,
    )
    header = (
        "".join(
            f"<th>{_esc(text[k])}</th>"
            for k in ("category", "buyers", "joined", "join_rate", "days_to_join")
        )
        + f"<th>{_esc(text['member_after'])}</th><th>{_esc(text['non_member_after'])}</th>"
    )
    body_rows = [
        f"<tr><td>{_esc(r[label])}</td><td>{r[2]:,}</td><td>{r[3]:,}</td>"
        f"<td>{_shown(r[4], '.1%')}</td><td>{_shown(r[5], ',')}</td>"
        f"<td>{_shown(r[6], '.2f')} / {_shown(r[7], ',.0f')}</td>"
        f"<td>{_shown(r[8], '.2f')} / {_shown(r[9], ',.0f')}</td></tr>"
        for r in rows
    ]
    body = (
        f'<p class="note">{_esc(text["membership_rate"])}</p>{bars}'
        f"<table><tr>{header}</tr>{''.join(body_rows)}</table>"
        f'<p class="note">{_esc(text["per_customer"])}</p>'
    )
    return Chart("membership", text["membership"], body, wide=True)


def _flywheel_chart(text: dict, con: duckdb.DuckDBPyConnection) -> Chart:
    if not _mart_exists(con, "flywheel_stages"):
        return Chart("flywheel", text["flywheel"], _unavailable(text, "flywheel_stages"))
    counts = dict(
        con.execute(
            "select flywheel_stage, count(*) from marts.flywheel_stages group by all"
        ).fetchall()
    )
    items = [(text[s], counts.get(s, 0), f"{counts.get(s, 0):,}") for s in FLYWHEEL_STAGES]
    return Chart("flywheel", text["flywheel"], bar_chart(items))


def render_report(
    published_db: Path, manifests: list[dict], language: str, now: dt.datetime
) -> str:
    text = LABELS[language]
    with duckdb.connect(str(published_db), read_only=True) as con:
        release = con.execute("select release_id from meta.release").fetchone()[0]
        charts = [
            _segments_chart(text, manifests),
            _exclusions_chart(text, manifests),
            _rfm_chart(text, con),
            _pareto_chart(text, con),
            _cohort_chart(text, con),
            _funnel_chart(text, con),
            _flywheel_chart(text, con),
            _membership_chart(text, con),
        ]
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{_esc(text['title'])}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_esc(text['title'])}</h1><p>{_esc(text['generated'])}"
        f" {now:%Y-%m-%d %H:%M} UTC · {_esc(text['release'])} {_esc(release)}</p></header>"
        f"<main>{''.join(chart.html() for chart in charts)}</main></body></html>"
    )


def write_marketing_report(
    published_db: Path, manifest_files: list[Path], target: Path, language: str = "ko"
) -> Path:
    """Render the report from the published marts and the newest export manifests."""
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in manifest_files[-2:]]
    target.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    target.write_text(render_report(published_db, manifests, language, now), encoding="utf-8")
    return target
