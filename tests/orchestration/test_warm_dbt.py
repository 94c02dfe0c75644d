"""A run's dbt commands run in forks of one warm dbt (orchestration/warm_dbt.py): the output and
exit status are dbt's own, `dangol-dbt` itself never imports dbt, and nothing outlives the run."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestration.warm_dbt import FOLDER_PREFIX, SERVER_ENV, SOCKET_NAME, warm_dbt
from tests.conftest import process_gone

REPO = Path(__file__).resolve().parents[2]


def dangol_dbt(*args: str) -> tuple[int, str, str, bool]:
    """Exit code, stdout and stderr of dangol-dbt, and whether that process imported dbt."""
    done = subprocess.run(
        # dangol-dbt's own module, as its console script runs it, telling what it imports.
        [sys.executable, "-X", "importtime", "-m", "orchestration.dbt_process", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    imports = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    stderr = "\n".join(line for line in done.stderr.splitlines() if line not in imports)
    imported_dbt = any(line.rsplit("|", 1)[-1].strip() == "dbt.cli.main" for line in imports)
    return done.returncode, done.stdout, stderr, imported_dbt


def test_a_command_runs_in_a_fork_with_dbts_own_output_and_exit_status(monkeypatch):
    monkeypatch.delenv(SERVER_ENV, raising=False)
    alone = dangol_dbt("build", "--help")  # not --version: it asks PyPI for the latest
    alone_failing = dangol_dbt("build", "--no-such-option")

    with warm_dbt():
        warm = dangol_dbt("build", "--help")
        warm_failing = dangol_dbt("build", "--no-such-option")

    assert warm[:2] == alone[:2]
    assert alone[0] == 0 and "--full-refresh" in alone[1]
    assert warm_failing[0] == alone_failing[0] == 2
    assert "No such option" in warm_failing[2]
    # Alone it imports dbt; handed over, the warm process had done it.
    assert alone[3] and alone_failing[3]
    assert not warm[3] and not warm_failing[3]


WARM_UP = """
from dbt_common.clients.jinja import template_cache
from orchestration.warm_dbt import _compile_templates, _warm_up

macros = _warm_up()
print(len(macros), macros[0].package_name, macros[-1].package_name)
while macros:
    _compile_templates(macros)
print(len(template_cache.file_cache))
"""


def test_the_warm_up_still_finds_what_it_warms():
    """It is only a head start and says nothing when a dbt upgrade moves what it names; here
    it must find all of it, in a process of its own (it fills dbt's class-level caches), and
    compile every macro of the last parse into dbt's template cache, the project's first."""
    done = subprocess.run(
        [sys.executable, "-c", WARM_UP], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found, compiled = done.stdout.splitlines()
    count, first, last = found.split()
    assert int(count) > 500 and (first, last) == ("dangol", "dbt")
    assert int(compiled) > 500  # one template a distinct macro source


def _warm_children(pid: int, address: Path | None = None) -> list[int]:
    """The warm dbt processes a process started (the one listening at `address`: a test
    process holds one more for the tests' own dbt commands, tests/conftest.py)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            listens = address is None or str(address).encode() in command
            if parent == pid and b"orchestration.warm_dbt" in command and listens:
                found.append(int(entry.name))
    return found


def test_the_warm_dbt_ends_with_its_run_even_a_killed_one(monkeypatch):
    with warm_dbt():
        address = Path(os.environ[SERVER_ENV])
        (warm,) = _warm_children(os.getpid(), address) or [None]
    # The block ended: so did the process.
    assert warm is not None and process_gone(warm, within=1.0)
    assert not address.exists() and not address.parent.exists()
    assert SERVER_ENV not in os.environ

    # A run's process killed with SIGKILL cannot end it: the pipe it held open does.
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from orchestration.warm_dbt import warm_dbt\n"
            "with warm_dbt():\n    print('ready', flush=True); time.sleep(600)",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert run.stdout.readline().strip() == "ready"
    (warm,) = _warm_children(run.pid)
    # python -m orchestration.warm_dbt ADDRESS FD
    address = Path(Path(f"/proc/{warm}/cmdline").read_bytes().split(b"\0")[3].decode())
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert process_gone(warm)
    # Nor its socket's folder, which the killed run could not remove.
    assert address.name == SOCKET_NAME and not address.parent.exists()


def test_a_run_removes_the_folders_of_warm_dbts_killed_with_their_whole_run(
    tmp_path: Path, monkeypatch
):
    """A process group killed at once (the fault test's failpoints) kills the warm dbt too, and
    its socket's folder stays: the next run removes it, never a live one or one just made."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed, live, starting, old = (tmp_path / f"{FOLDER_PREFIX}{n}" for n in "klso")
    for folder in (killed, live, starting, old):
        folder.mkdir()
    bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound.bind(str(killed / SOCKET_NAME))
    bound.close()  # its file stays, nothing listens: what a killed warm dbt leaves
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(live / SOCKET_NAME))
    listener.listen()
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))  # no socket, and long past binding one
    try:
        with warm_dbt():
            made = Path(os.environ[SERVER_ENV]).parent
            assert made.parent == tmp_path
            assert sorted(tmp_path.iterdir()) == sorted([live, starting, made])
    finally:
        listener.close()
