"""A dbt that has done its imports before a run needs it: each dbt command forks from it.

dagster-dbt starts `dangol-dbt` as a new process for each dbt command, and a run has two. Each
paid about 2.5 s of dbt's imports (3,000 modules) before its first node, on the run's critical
path. A run now starts one warm process as it begins (`warm_dbt`, held by the dbt resource for
the run); it imports dbt while the run ingests its files, on the machine's other core, and waits.
`dangol-dbt` stays the command dagster-dbt starts, with the same arguments, output and exit
status, but hands its command over: it sends its arguments, folder, environment and standard
streams (the file descriptors themselves) over a Unix socket, the warm process forks, and the
fork runs the command as the process would have. The hand-over is all or nothing, and anything
that fails before the fork leaves `dangol-dbt` to run dbt itself, as before.

Nothing outlives its owner: the warm process ends when the run's process ends (it watches a pipe
only that process holds open, so even SIGKILL ends it), a fork is killed when its warm process
ends, and a fork whose `dangol-dbt` went away (killed by Dagster or by the next run) is killed.
Signals `dangol-dbt` receives (Dagster interrupts dbt with SIGINT) are passed on to the fork.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import inspect
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

SERVER_ENV = "DANGOL_WARM_DBT"  # the socket a run's warm dbt listens on
FOLDER_PREFIX = "dangol-dbt-"  # its socket's folder, in the temporary directory
SOCKET_NAME = "socket"  # the one file in that folder
STREAMS = (0, 1, 2)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


# -- the run's side -------------------------------------------------------------------------------


@contextlib.contextmanager
def warm_dbt() -> Iterator[None]:
    """For the `with` block: a warm dbt, named to every `dangol-dbt` started meanwhile. Only a
    head start: when it cannot start (no temporary folder, say), each command imports dbt."""
    _remove_stale_folders()
    try:
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))  # short: socket paths are limited
    except OSError as error:
        logging.getLogger(__name__).warning(f"No warm dbt for this run: {error}")
        yield
        return
    address = folder / SOCKET_NAME
    # The warm process's end of the pipe reads end-of-file when this process is gone.
    alive_read, alive_write = os.pipe()
    os.set_inheritable(alive_read, True)
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.warm_dbt", str(address), str(alive_read)],
        pass_fds=(alive_read,),
        # A fork's streams are its dangol-dbt's; the warm process itself says nothing, unless
        # it cannot listen (stderr), and then each dangol-dbt runs dbt itself.
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    os.close(alive_read)
    # It listens about 0.1 s after it starts (before its imports): a dbt command started sooner
    # would not find it and import dbt itself.
    deadline = time.monotonic() + 5
    while not address.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    before = os.environ.get(SERVER_ENV)
    os.environ[SERVER_ENV] = str(address)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SERVER_ENV, None)
        else:
            os.environ[SERVER_ENV] = before
        os.close(alive_write)  # the warm process ends its forks and exits
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # The warm process removes them as it ends; a run killed before it could is cleaned here.
        _remove_socket_folder(folder)


def _remove_socket_folder(folder: Path) -> None:
    """A warm dbt's folder and its socket; nothing else, so a folder that is not one stays."""
    with contextlib.suppress(OSError):
        (folder / SOCKET_NAME).unlink(missing_ok=True)
        folder.rmdir()


def _remove_stale_folders(grace_seconds: float = 60.0) -> None:
    """Folders of warm dbts that were killed with their whole run (a process group killed at
    once: nothing was left to remove them). A folder is stale when it is this user's and
    nothing listens on its socket (Linux lists bound sockets in /proc/net/unix), or, without a
    socket, when it is older than a warm process takes to bind one."""
    try:
        listening = {
            fields[-1]
            for line in Path("/proc/net/unix").read_text().splitlines()[1:]
            if len(fields := line.split()) == 8
        }
    except OSError:
        return  # no /proc/net/unix: leave them
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        with contextlib.suppress(OSError):
            info = folder.lstat()
            if info.st_uid != os.geteuid() or not folder.is_dir() or folder.is_symlink():
                continue
            socket_path = folder / SOCKET_NAME
            if socket_path.exists():
                stale = str(socket_path) not in listening
            else:
                stale = time.time() - info.st_mtime > grace_seconds
            if stale:
                _remove_socket_folder(folder)


# -- dangol-dbt's side ----------------------------------------------------------------------------


def hand_over(argv: list[str], cwd: str, env: dict[str, str]) -> int | None:
    """Run the command in a fork of the warm dbt; None when there is none to take it."""
    address = env.get(SERVER_ENV)
    if not address:
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(address)
        request = json.dumps({"argv": argv, "cwd": cwd, "env": env}).encode()
        socket.send_fds(connection, [len(request).to_bytes(8, "big") + request], list(STREAMS))
        reply = connection.makefile("r", encoding="utf-8")
        pid = int(reply.readline())
    except (OSError, ValueError):
        connection.close()
        return None  # nothing was forked: run dbt here
    # From here on the fork owns the command: its exit status is this process's.
    for name in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(name, lambda number, _frame: _signal_fork(pid, number))
    line = reply.readline()
    return int(line) if line.strip() else 1  # the warm process died: say the command failed


def _signal_fork(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


# -- the warm process -----------------------------------------------------------------------------


def serve(address: str, alive: int) -> None:
    # Ctrl-C in a terminal reaches every process of the run: the run's own process decides, and
    # ends this one by closing the pipe. A fork takes SIGINT as dbt does (_run_command).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Listening first: a dbt command that comes before the imports are done waits for them,
    # rather than paying for a second import beside them.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address)
        listener.listen()
    except OSError as error:  # a socket path longer than the system allows, say
        print(
            f"dangol: no warm dbt at {address} ({error}); each dbt command imports dbt",
            file=sys.stderr,
        )
        sys.exit(1)
    # Everything dbt imports for a build on DuckDB, before the first command comes.
    for module in ("dbt.cli.main", "dbt.task.build", "dbt.adapters.duckdb"):
        importlib.import_module(module)
    from orchestration.dbt_process import write_only_lines_a_log_keeps

    write_only_lines_a_log_keeps()  # the forks inherit it
    macros = _warm_up() or []
    gc.freeze()  # see dbt_process.py: none of these objects is ever garbage
    forks: dict[int, socket.socket] = {}  # pid -> the connection of its dangol-dbt
    try:
        while True:
            waiting = 0 if macros else 0.1  # while macros are left, compile when nothing comes
            ready, _, _ = select.select([alive, listener, *forks.values()], [], [], waiting)
            if not ready and macros:
                _compile_templates(macros)
                continue
            if alive in ready:
                return  # the run's process closed its end: it is done or gone
            if listener in ready:
                connection, _ = listener.accept()
                pid = _fork_command(connection, [listener, *forks.values()], alive)
                if pid is not None:
                    forks[pid] = connection
            for pid, connection in list(forks.items()):
                if connection in ready:  # its dangol-dbt went away: so does the fork
                    _signal_fork(pid, signal.SIGKILL)
                finished, status = os.waitpid(pid, os.WNOHANG)
                if finished:
                    with contextlib.suppress(OSError):
                        connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
                    connection.close()
                    del forks[pid]
    finally:
        for pid in forks:
            _signal_fork(pid, signal.SIGKILL)
        for pid in forks:
            os.waitpid(pid, 0)
        # Its socket and folder go with it: a run killed with SIGKILL cannot remove them, and
        # each such run left a folder in the temporary directory.
        _remove_socket_folder(Path(address).parent)


def _warm_up() -> list | None:
    """What every dbt command otherwise does afresh, once: dbt's config classes build their JSON
    schemas, and mashumaro compiles each class's decoder the first time it decodes one (the
    manifest's nodes, from the last parse) and its encoder the first time it encodes one (the
    parse's flat graph of every node). About 1.5-2 s of each command, on the demo; the encoders,
    the schemas of the run's config and of the selectors file, and inspect's map of modules to
    files (dbt's adapter looks up where each behaviour flag is defined) were another ~0.2 s (a
    one-model build handed over: 0.96-1.18 -> 0.78-0.98 s, four alternated runs of four).
    Returns the macros whose templates are left to compile (_compile_templates); None when the
    warm-up no longer finds what it names (a dbt upgrade)."""
    try:
        from dbt.adapters.duckdb.credentials import DuckDBCredentials
        from dbt.contracts.graph.manifest import Manifest
        from dbt.contracts.project import Configuration, PackageConfig, Project, ProjectFlags
        from dbt.contracts.selection import SelectorFile
        from dbt.parser.manifest import extended_mashumuro_decoder

        from orchestration.manifest import DBT_PROJECT_DIR

        for config in (
            ProjectFlags,
            Project,
            PackageConfig,
            Configuration,
            SelectorFile,
            DuckDBCredentials,
        ):
            config.json_schema()
        # inspect.getmodule maps every loaded module's file once, then looks names up.
        inspect.getmodule(inspect.currentframe())
        parse = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"  # `make`'s
        if not parse.exists():
            return []
        manifest = Manifest.from_msgpack(parse.read_bytes(), decoder=extended_mashumuro_decoder)
        manifest.build_flat_graph()
    except Exception:  # only a head start: each command does all of this itself if need be
        return None
    # The project's own macros first, then the adapter's, then dbt's: the order a build needs
    # them most, for a command that comes before all are compiled.
    order = {"dangol": 0, "dbt_duckdb": 1}
    return sorted(manifest.macros.values(), key=lambda macro: order.get(macro.package_name, 2))


def _compile_templates(macros: list, batch: int = 20) -> None:
    """Compiles the templates of the next few macros into dbt's template cache, which each fork
    inherits. A dbt command compiles each macro it calls the first time it calls it (its
    Jinja source into Python code): ~0.7 s of dbt's own time in a build of the test fixtures,
    in each of a run's commands; all 602 take ~1.9 s here, a batch at a time while nothing else
    comes. A template is what the command itself would compile: the same dbt function, keyed
    by the macro's source; one that fails to compile is left to fail in the command."""
    from dbt_common.clients.jinja import template_cache

    for _ in range(min(batch, len(macros))):
        macro = macros.pop(0)
        with contextlib.suppress(Exception):
            template_cache.get_node_template(macro)


def _fork_command(connection: socket.socket, others: list[socket.socket], alive: int) -> int | None:
    fds: list[int] = []
    try:
        header, fds, _, _ = socket.recv_fds(connection, 8, len(STREAMS))
        size = int.from_bytes(header, "big")
        body = b""
        while len(body) < size:
            chunk = connection.recv(size - len(body))
            if not chunk:
                raise OSError("dangol-dbt went away before its command arrived")
            body += chunk
        request = json.loads(body)
        if len(fds) != len(STREAMS):
            raise OSError("dangol-dbt sent no standard streams")
    except (OSError, ValueError):
        for fd in fds:
            os.close(fd)
        connection.close()
        return None
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:
        for held in (*others, connection):
            held.close()
        os.close(alive)
        os._exit(_run_command(request, fds))
    for fd in fds:
        os.close(fd)
    try:
        connection.sendall(f"{pid}\n".encode())
    except OSError:  # its dangol-dbt is gone: nobody waits for this command
        _signal_fork(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        connection.close()
        return None
    return pid


def _run_command(request: dict, fds: list[int]) -> int:
    """In the fork: become the process dangol-dbt would have started, and run its command."""
    die_with_parent()
    for name in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(name, signal.default_int_handler if name == signal.SIGINT else signal.SIG_DFL)
    for fd, stream in zip(fds, STREAMS, strict=True):
        os.dup2(fd, stream)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    from dbt.cli.main import cli

    try:
        cli()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    except BaseException:
        logging.getLogger(__name__).exception("dbt failed in a fork of the warm dbt")
        code = 1
    # What a process's normal exit does: dbt's exit handlers (closing DuckDB), flushed streams.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


def die_with_parent() -> None:
    """A fork must not go on writing the build (or reading it) after its parent was killed."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:
        os._exit(1)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
