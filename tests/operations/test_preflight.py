"""An operator's mistake fails loudly before any work: one line naming the path and the fix,
a non-zero exit, nothing published or created."""

from pathlib import Path

from typer.testing import CliRunner

from orchestration.cli import app


def dangol(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_landing_folder_that_does_not_exist_stops_the_run(tmp_path: Path):
    home = tmp_path / "home"

    result = dangol("run", "--home", home, "--landing", tmp_path / "nonexistent")

    assert result.exit_code == 2
    assert f"landing folder {tmp_path / 'nonexistent'} does not exist" in result.output
    assert len(result.output.strip().splitlines()) == 2  # the run's first line, then why
    assert not (home / "warehouse").exists()


def test_a_home_that_cannot_be_written_stops_the_run(tmp_path: Path, empty_landing: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = dangol("run", "--home", blocker / "home", "--landing", empty_landing)

    assert result.exit_code == 2
    assert f"Dangol home {blocker / 'home'} cannot be written" in result.output
    assert "--home" in result.output


def test_a_first_run_without_any_export_publishes_nothing_and_says_so(
    tmp_path: Path, empty_landing: Path
):
    home = tmp_path / "home"

    result = dangol("run", "--home", home, "--landing", empty_landing)

    assert result.exit_code == 2
    assert f"no export files in {empty_landing}" in result.output
    assert "nothing was published" in result.output
    assert not (home / "warehouse").exists() and not (home / "exports").exists()


def test_demo_data_into_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = dangol("demo-data", "--out", blocker / "exports", "--customers", 5)

    assert result.exit_code == 2
    assert result.output.strip() == (
        f"Not written: output folder {blocker / 'exports'} cannot be made or written (Not a"
        " directory): choose another --out, or create it and give the user running dangol"
        " write access"
    )
