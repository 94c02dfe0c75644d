"""Progress: a live display on a terminal, timed plain lines otherwise, nothing when quiet."""

import io

from operations import progress
from operations.progress import PlainProgress, RichProgress, progress_display


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def show_a_run(display) -> None:
    with progress.showing(display):
        progress.stage("Ingest: new landing files")
        progress.note("shop/orders_export_1.csv: 7 rows loaded, 0 rejected")
        progress.stage("dbt build: models and tests")
        for done in range(1, 208):
            progress.advance(done, 207)
        progress.stage("Publish: the release BI tools read")


def test_a_terminal_gets_a_live_bar_per_stage_with_its_count():
    out = Terminal()
    display = progress_display(out, quiet=False)

    show_a_run(display)

    assert isinstance(display, RichProgress)
    shown = out.getvalue()
    assert "dbt build: models and tests" in shown and "207/207" in shown
    assert "shop/orders_export_1.csv: 7 rows loaded, 0 rejected" in shown


def test_a_log_gets_one_timed_line_per_step_and_a_line_per_tenth_of_the_build():
    out = io.StringIO()
    display = progress_display(out, quiet=False)

    show_a_run(display)

    assert isinstance(display, PlainProgress)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("s] Ingest: new landing files") and lines[0].startswith("[")
    assert sum("of 207 done" in line for line in lines) == 11  # 0/10 .. 10/10, not 207 lines
    assert lines[-1].endswith("] Publish: the release BI tools read")


def test_quiet_shows_nothing_and_stages_report_nowhere_without_a_display():
    assert progress_display(Terminal(), quiet=True) is None
    progress.stage("Ingest: new landing files")  # the daemon's runs: no display, no error
