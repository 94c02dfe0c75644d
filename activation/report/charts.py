"""The report's SVG charts as geometry: where each bar, cell and line goes. The template
(templates/charts.svg.j2) draws them, so every label from data is escaped there."""

from __future__ import annotations

from dataclasses import dataclass

ACCENT = "#2f6fb3"
EMPTY_CELL = "#f6f7f9"


def blend(share: float) -> str:
    """Light to dark blue: 0 -> #eef4fb, 1 -> #1f4e8c."""
    share = max(0.0, min(1.0, share))
    low, high = (0xEE, 0xF4, 0xFB), (0x1F, 0x4E, 0x8C)
    return "#" + "".join(
        f"{round(a + (b - a) * share):02x}" for a, b in zip(low, high, strict=True)
    )


@dataclass(frozen=True)
class Bar:
    label: str
    note: str  # the text shown after the bar
    y: float
    length: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bars: list[Bar]


def bar_chart(
    items: list[tuple[str, float, str]], width: int = 560, label_width: int = 190
) -> BarChart | None:
    """Horizontal bars: (label, value, text shown after the bar); None when there are none."""
    if not items:
        return None
    row, top = 28, 6
    most = max(value for _, value, _ in items) or 1
    bar_room = width - label_width - 90
    bars = [
        Bar(label, note, top + index * row, max(2.0, bar_room * value / most))
        for index, (label, value, note) in enumerate(items)
    ]
    return BarChart(width, top * 2 + row * len(items), label_width, bars)


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    fill: str
    dark: bool  # white text on a dark cell
    title: str
    shown: str


@dataclass(frozen=True)
class AxisLabel:
    position: float
    text: str


@dataclass(frozen=True)
class Heatmap:
    width: float
    height: float
    left: int
    top: int
    cell_width: int
    cell_height: int
    axis_rows: str
    axis_columns: str
    row_labels: list[AxisLabel]
    column_labels: list[AxisLabel]
    cells: list[Cell]


def heatmap(
    row_labels: list[str],
    column_labels: list[str],
    cells: dict[tuple[int, int], tuple[float | None, str]],
    scale_max: float,
    axis_rows: str,
    axis_columns: str,
    cell_width: int = 56,
) -> Heatmap:
    """A grid of coloured cells: cells[(row, column)] = (value for the colour, text shown)."""
    left, top, cell_height = 96, 42, 30
    drawn = []
    for row, row_label in enumerate(row_labels):
        for column, column_label in enumerate(column_labels):
            value, shown = cells.get((row, column), (None, ""))
            share = None if value is None else value / (scale_max or 1)
            drawn.append(
                Cell(
                    x=left + column * cell_width,
                    y=top + row * cell_height,
                    fill=EMPTY_CELL if share is None else blend(share),
                    dark=share is not None and share > 0.55,
                    title=f"{row_label} / {column_label}: {shown}",
                    shown=shown,
                )
            )
    return Heatmap(
        width=left + cell_width * len(column_labels) + 10,
        height=top + cell_height * len(row_labels) + 6,
        left=left,
        top=top,
        cell_width=cell_width,
        cell_height=cell_height,
        axis_rows=axis_rows,
        axis_columns=axis_columns,
        row_labels=[AxisLabel(top + i * cell_height, t) for i, t in enumerate(row_labels)],
        column_labels=[
            AxisLabel(left + (i + 0.5) * cell_width, t) for i, t in enumerate(column_labels)
        ],
        cells=drawn,
    )


@dataclass(frozen=True)
class GridLine:
    y: float
    x: float
    share: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    plot: int
    grid: list[GridLine]
    diagonal: str
    curve: str
    x_label: str
    y_label: str


def line_chart(
    points: list[tuple[float, float]], x_label: str, y_label: str, width: int = 520
) -> LineChart:
    """A curve over [0, 1] x [0, 1] with the diagonal (everyone equal) for reference."""
    left, top, plot = 56, 14, 300
    right = width - 20

    def position(x: float, y: float) -> str:
        return f"{left + x * (right - left):.1f},{top + (1 - y) * plot:.1f}"

    return LineChart(
        width=width,
        height=top + plot + 46,
        left=left,
        right=right,
        top=top,
        plot=plot,
        grid=[
            GridLine(top + (1 - g) * plot, left + g * (right - left), g)
            for g in (0, 0.25, 0.5, 0.75, 1)
        ],
        diagonal=f"{position(0, 0)} {position(1, 1)}",
        curve=" ".join(position(x, y) for x, y in [(0.0, 0.0), *points]),
        x_label=x_label,
        y_label=y_label,
    )


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    baseline: float
    column_width: float
    columns: list[Column]
    group_labels: list[AxisLabel]
    legend: list[tuple[str, str]]  # (colour, label)
    axis_label: str


PAIR_COLOURS = (ACCENT, "#e3a33b")


def paired_columns(
    groups: list[tuple[str, float, float]],
    series: tuple[str, str],
    axis_label: str,
    shown: str = ",.0f",
    width: int = 860,
) -> ColumnChart | None:
    """Two columns side by side per group (e.g. predicted beside actual); None without groups."""
    if not groups:
        return None
    top, plot, left = 30, 220, 20
    slot = (width - left * 2) / len(groups)
    column_width = slot * 0.36
    most = max(max(a, b) for _, a, b in groups) or 1
    columns = []
    for index, (label, *values) in enumerate(groups):
        for side, (value, name, colour) in enumerate(
            zip(values, series, PAIR_COLOURS, strict=True)
        ):
            height = max(1.0, plot * value / most)
            columns.append(
                Column(
                    x=left + index * slot + slot * 0.12 + side * column_width,
                    y=top + plot - height,
                    height=height,
                    fill=colour,
                    title=f"{label} {name}: {format(value, shown)}",
                )
            )
    return ColumnChart(
        width=width,
        height=top + plot + 40,
        baseline=top + plot,
        column_width=column_width,
        columns=columns,
        group_labels=[
            AxisLabel(left + (i + 0.5) * slot, label) for i, (label, _, _) in enumerate(groups)
        ],
        legend=list(zip(PAIR_COLOURS, series, strict=True)),
        axis_label=axis_label,
    )
