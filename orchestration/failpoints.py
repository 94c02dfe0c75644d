"""Fault injection for the crash tests: with DANGOL_FAILPOINT=<name>, the run is killed with
SIGKILL when it reaches that point, exactly as an OOM kill or a pulled plug would stop it."""

import os
import signal

FAILPOINTS = (
    "ingest.file_loaded",
    "transform.running",
    "audit.validated",
    "publish.release_written",
    "publish.activated",
)


def failpoint(name: str) -> None:
    assert name in FAILPOINTS, name
    if os.environ.get("DANGOL_FAILPOINT") != name:
        return
    # Leading its own process group (as the tests start it), the run takes dbt down with it.
    if os.getpgid(0) == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
