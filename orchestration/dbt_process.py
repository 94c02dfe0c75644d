"""`dangol-dbt`: dbt's own command line, in a process tuned for one long command.

dbt imports about 3,000 modules before it runs a node. Python's garbage collector walks those
objects again in each full collection during the build and once more, everything at once, as the
process exits; none of them is ever garbage. Freezing them after import and at exit saved about
1 s of each dbt command on the demo (0.4 s of collections, 0.5 s of exit), and a run has two.
dbt's log file is plain text at info level unless DBT_LOG_FORMAT_FILE and DBT_LOG_LEVEL_FILE
say otherwise. At debug it also holds every query dbt runs and every connection it opens (12
lines a node, 11 times the bytes), and as JSON each line is converted a second time (stdout is
JSON already, for dagster-dbt). Sampled on the demo's build, logging took 20% of the dbt
process's time that way and 13% this way, 4 s less of 30 s sampled under the profiler. The SQL
each node ran is in the run's target folder (`run/`); `DBT_LOG_LEVEL_FILE=debug` brings the rest.
Arguments, output and exit status are dbt's own, but for one of dangol's: `--dangol-workdir DIR`
runs dbt in the build folder DIR. The profile names the build relative to it (BUILD_VARS in
orchestration/dbt_vars.py), so every home gives dbt the same vars and profile and dbt's parse
carries over; and the folder on the command line tells publish/builds.py whose dbt it is.
"""

import atexit
import gc
import os
import sys

from orchestration.warm_dbt import hand_over

WORKDIR_FLAG = "--dangol-workdir"


def write_only_lines_a_log_keeps() -> None:
    """dbt formats each event for each of its logs (stdout as JSON, the file as text) and only
    then lets Python's logging drop it below the log's level: every query a node runs fires two
    debug events, each turned into a JSON line and a text line that nothing keeps. Sampled on
    a build of the test fixtures, those lines were ~10% of the time dbt's worker threads held
    the GIL (its builds are bound by it); the models build's nodes took 11.0-11.9 s before and
    9.9-10.1 s after (alternated). The same test, asked before the line is made: what each log
    writes is unchanged (dbt_common's _Logger.write_line and send_to_logger). And a debug event
    that no log keeps, heard by no callback but dbt's own (which looks at behaviour-change
    warnings only), is not even made into a message (protobuf, ~5% of that time)."""
    from dbt.tracking import track_behavior_change_warn
    from dbt_common.events import logger as dbt_logs
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.event_manager import EventManager

    if getattr(dbt_logs._Logger.write_line, "dangol_level_first", False):
        return
    write_line, fire_event = dbt_logs._Logger.write_line, EventManager.fire_event
    # send_to_logger's mapping of dbt's levels; a print event is sent as an error.
    python_levels = {"test": 10, "debug": 10, "info": 20, "warn": 30, "error": 40}

    def write_kept_line(self, msg) -> None:
        level = "error" if dbt_logs._is_print_event(msg) else msg.info.level
        kept_by = self._python_logger
        if kept_by is None or kept_by.isEnabledFor(python_levels.get(level, 40)):
            write_line(self, msg)

    def fire_heard_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        unheard = (
            not force_warn_or_error_handling
            and (level or e.level_tag()) in (EventLevel.DEBUG, EventLevel.TEST)
            and type(e).__name__ not in dbt_logs.PRINT_EVENT_NAMES
            and all(callback is track_behavior_change_warn for callback in self.callbacks)
            and not any(
                log._python_logger is not None and log._python_logger.isEnabledFor(10)
                for log in self.loggers
            )
        )
        if not unheard:
            fire_event(self, e, level, node, force_warn_or_error_handling)

    write_kept_line.dangol_level_first = True
    dbt_logs._Logger.write_line = write_kept_line
    EventManager.fire_event = fire_heard_event


def main() -> None:
    atexit.register(gc.freeze)  # the last exit handler: the others are registered later
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    os.environ.setdefault("DBT_LOG_FORMAT_FILE", "text")
    # A file for people and grep: dbt colours a node's status inside the message text when
    # USE_COLORS is on, whatever USE_COLORS_FILE says, and stdout is JSON for dagster-dbt.
    os.environ.setdefault("DBT_USE_COLORS", "false")
    os.environ.setdefault("DBT_USE_COLORS_FILE", "false")
    if WORKDIR_FLAG in sys.argv:
        at = sys.argv.index(WORKDIR_FLAG)
        # dbt looks for the project and its profile in the folder it starts in, unless told.
        os.environ.setdefault("DBT_PROJECT_DIR", os.getcwd())
        os.environ.setdefault("DBT_PROFILES_DIR", os.getcwd())
        os.chdir(sys.argv[at + 1])
        del sys.argv[at : at + 2]
    # A run's warm dbt (orchestration/warm_dbt.py) has done the imports: it runs the command.
    handed_over = hand_over(sys.argv, os.getcwd(), dict(os.environ))
    if handed_over is not None:
        sys.exit(handed_over)
    from dbt.cli.main import cli

    write_only_lines_a_log_keeps()
    gc.freeze()
    sys.exit(cli())


if __name__ == "__main__":
    main()
