"""The marketer's report, rendered the way a marketer opens it: in a real browser (Debian's
headless Chromium, installed by `make browser`), from a real pipeline run's warehouse."""

import re
import struct
import subprocess
import zlib
from pathlib import Path

import duckdb
import pytest

from activation.report import write_marketing_report
from orchestration.config import DangolHome
from tests.conftest import UntrustedRelease

pytestmark = pytest.mark.e2e
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
CHARTS = {
    "segments", "exclusions", "rfm", "pareto", "cohort", "funnel", "flywheel", "lifecycle",
    "membership",
}  # fmt: skip


@pytest.fixture(scope="module")
def home(untrusted_release: UntrustedRelease) -> DangolHome:
    """The run over the fixture exports (ad stats and membership events included, so every
    chart has data to draw) that tests/e2e/test_untrusted_text.py also reads: one run for both."""
    assert Path(untrusted_release.outcome.marketing_report).exists()
    return untrusted_release.home


def browse(report: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CHROMIUM, "--enable-logging=stderr", "--v=0", *options, report.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def charts(dom: str) -> dict[str, str]:
    """Each chart's section of the rendered DOM, by its data-chart key."""
    return dict(re.findall(r'<section[^>]*data-chart="(\w+)"[^>]*>(.*?)</section>', dom, re.S))


def png_pixels(png: bytes) -> bytes:
    """The decompressed image data of a PNG (enough to tell a blank page from a drawn one)."""
    position, data = 8, b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        if kind == b"IDAT":
            data += png[position + 8 : position + 8 + length]
        position += 12 + length
    return zlib.decompress(data)


def report_path(home: DangolHome) -> Path:
    return sorted((home.reports_dir / "marketing").glob("*.html"))[-1]


def test_every_chart_draws_in_a_real_browser_and_nothing_is_fetched(home: DangolHome):
    report = report_path(home)
    page = report.read_text(encoding="utf-8")
    rendered = browse(report, "--dump-dom")
    drawn = charts(rendered.stdout)

    assert set(drawn) == CHARTS | {"backtest"}
    for key in CHARTS:
        assert drawn[key].count('class="mark"') >= 1, key
    # The fixture exports are too few buyers to carry the CLV model: the panel says so.
    assert "이번 릴리스에는 고객 가치 예측이 없습니다: too few buyers" in drawn["backtest"]
    # Self-contained: no script, nothing loaded from anywhere, no console errors.
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page)
    assert "CONSOLE" not in rendered.stderr and "Uncaught" not in rendered.stderr
    assert 'lang="ko"' in page and "단골 마케팅 리포트" in page


def test_the_screenshot_is_not_blank(home: DangolHome, tmp_path: Path):
    shot = tmp_path / "report.png"
    browse(report_path(home), "--window-size=1280,2200", f"--screenshot={shot}")

    pixels = png_pixels(shot.read_bytes())
    assert len(set(pixels)) > 64  # text, bars and heatmap shades, not one flat colour


def test_english_labels_work(home: DangolHome, tmp_path: Path):
    with duckdb.connect(str(home.published_db), read_only=True) as con:
        stages = dict(
            con.execute(
                "select flywheel_stage, count(*) from marts.flywheel_stages group by all"
            ).fetchall()
        )
    manifests = sorted(home.exports_dir.glob("*/manifest.json"))
    report = write_marketing_report(
        home.published_db, manifests, tmp_path / "en.html", language="en"
    )

    drawn = charts(browse(report, "--dump-dom").stdout)
    assert set(drawn) == CHARTS | {"backtest"}
    assert "No predicted customer value in this release: too few buyers" in drawn["backtest"]
    # One bar per stage, an empty stage included, each titled with its published count.
    assert drawn["flywheel"].count('class="mark"') == 5
    assert f"<title>Adoption: {stages.get('adoption', 0):,}</title>" in drawn["flywheel"]
    assert "Customers per flywheel stage" in drawn["flywheel"]
    assert "Membership join rate by first product category" in drawn["membership"]
