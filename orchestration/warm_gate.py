"""A quality gate that has imported great-expectations before the run needs it.

Importing great-expectations takes about 4 s (pydantic models built as it loads), and a run
paid it on its critical path, before its first step. `dangol run` now forks a gate process as
it starts (`warm_gate`, before its own imports of Dagster and dbt, with no thread yet); the
fork imports great-expectations on the machine's other core while the run imports the rest,
then waits. The two audits of the run (raw, then the models) run there: the run's process
sends `run_audit`'s arguments and reads back the report, plain data (data_quality/verdicts.py),
or the error the audit raised; the gate then builds the audit's Data Docs (about a second)
while the run goes on, and the run waits for them only as it ends. The suites are data as well
(data_quality/suites.py), so the run's own process never imports great-expectations. Where
there is no warm gate (a run the Dagster UI launched, a test calling the pipeline in its own
process), the audit runs in the process that asks for it, as before.

Nothing outlives its owner: the gate is killed when the process that forked it ends (even by
SIGKILL), and exits when that process closes its end of the socket.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING

from orchestration.warm_dbt import die_with_parent

if TYPE_CHECKING:
    from data_quality.verdicts import AuditReport

_gate: _Gate | None = None


class RemoteTraceback(Exception):
    """Where the audit raised, in the gate's process (as concurrent.futures shows a worker's)."""

    def __str__(self) -> str:
        return self.args[0]


class _Gate:
    """The run's end of the socket. Each audit is answered twice: its report (or its error),
    then, once the gate has built them, whether its Data Docs were written."""

    def __init__(self, pid: int, connection: socket.socket) -> None:
        self.pid = pid
        self.connection = connection
        self.lock = threading.Lock()
        self.data_docs_pending = False

    def ask(self, arguments: dict) -> AuditReport:
        with self.lock:
            self._wait_for_data_docs()
            _send(self.connection, arguments)
            answer = _receive(self.connection)
            self.data_docs_pending = answer is not None
        if answer is None:
            _, status = os.waitpid(self.pid, 0)
            raise RuntimeError(
                "The quality gate's process ended without an answer"
                f" (exit status {os.waitstatus_to_exitcode(status)})"
            )
        kind, value, where = answer
        if kind == "report":
            return value
        raise value from RemoteTraceback(where)

    def wait_for_data_docs(self) -> None:
        with self.lock:
            self._wait_for_data_docs()

    def _wait_for_data_docs(self) -> None:
        if not self.data_docs_pending:
            return
        self.data_docs_pending = False
        answer = _receive(self.connection)
        problem = "the gate's process ended" if answer is None else answer[1]
        if problem:  # the verdicts stand; the report for people is missing
            print(f"dangol: quality Data Docs not written: {problem}", file=sys.stderr)

    def stop(self) -> None:
        self.connection.close()  # an idle gate reads end-of-file and exits
        # One still auditing (the run was interrupted while it waited) stops now: its one write,
        # the checks the order facts passed, is a DuckDB transaction in a build nobody publishes.
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


@contextlib.contextmanager
def warm_gate() -> Iterator[None]:
    """For the `with` block: audits run in a gate forked now. Enter it before importing
    Dagster or dbt. A head start only: where a fork is unsafe (threads running) or fails, the
    audits run in this process."""
    global _gate
    if _gate is not None or threading.active_count() > 1 or not hasattr(os, "fork"):
        yield
        return
    ours, theirs = socket.socketpair()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the fork would write out this process's buffered output again
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        yield
        return
    if pid == 0:
        ours.close()
        status = 1
        try:
            _serve(theirs)
            status = 0
        finally:
            os._exit(status)  # never this process's exit handlers: they are the run's
    theirs.close()
    _gate = _Gate(pid, ours)
    try:
        yield
        _gate.wait_for_data_docs()  # the run's outcome names them: they exist when it ends
    finally:
        _gate.stop()
        _gate = None


def run_audit(**arguments) -> AuditReport:
    """data_quality.gate.run_audit, in the warm gate when there is one."""
    if _gate is not None:
        return _gate.ask(arguments)
    from data_quality.gate import run_audit as audit_here

    return audit_here(**arguments)


def _serve(connection: socket.socket) -> None:
    die_with_parent()
    # Ctrl-C reaches every process of the run: the run's own process decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The run's standard output is its progress display and its log file, not the gate's.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        from data_quality.gate import run_audit as audit
    except BaseException as error:  # said to each audit that comes, as it would have raised
        failed_import = error
    else:
        failed_import = None
    while (arguments := _receive(connection)) is not None:
        answered = False

        def answer_now(report: AuditReport) -> None:
            nonlocal answered
            _send(connection, ("report", report, ""))
            answered = True  # the run goes on while the Data Docs are built

        data_docs_problem = None
        try:
            if failed_import:
                raise failed_import
            audit(**arguments, report_ready=answer_now)
        except Exception as error:
            if answered:
                data_docs_problem = f"{type(error).__name__}: {error}"
            else:
                _send(connection, ("error", _portable(error), traceback.format_exc()))
        _send(connection, ("data docs", data_docs_problem, ""))


def _portable(error: Exception) -> Exception:
    """The error itself when it survives pickling both ways, else its message."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _send(connection: socket.socket, value) -> None:
    data = pickle.dumps(value)
    connection.sendall(len(data).to_bytes(8, "big") + data)


def _receive(connection: socket.socket):
    """The next value, or None when the other end is gone."""
    header = _read_exactly(connection, 8)
    if header is None:
        return None
    data = _read_exactly(connection, int.from_bytes(header, "big"))
    return None if data is None else pickle.loads(data)


def _read_exactly(connection: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        try:
            chunk = connection.recv(min(left, 1 << 20))
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
