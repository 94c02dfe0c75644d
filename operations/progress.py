"""Progress of a run as it happens: the stages report here; a CLI run shows it (a rich display
on a terminal, plain timed lines otherwise); runs nobody watches (the daemon) report nowhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO


class ProgressDisplay(Protocol):
    def stage(self, name: str) -> None: ...
    def note(self, text: str) -> None: ...
    def advance(self, done: int, total: int) -> None: ...
    def close(self) -> None: ...


_display: ProgressDisplay | None = None


def stage(name: str) -> None:
    """A stage of the run begins (ingest, dbt build, audit, publish, exports, report)."""
    if _display:
        _display.stage(name)


def note(text: str) -> None:
    """One thing done within the stage, e.g. a file loaded with its rows."""
    if _display:
        _display.note(text)


def advance(done: int, total: int) -> None:
    """Units of the stage done so far, e.g. dbt nodes built and tested of all selected."""
    if _display:
        _display.advance(done, total)


@contextmanager
def showing(display: ProgressDisplay | None) -> Iterator[None]:
    global _display
    _display = display
    try:
        yield
    finally:
        _display = None
        if display:
            display.close()


class PlainProgress:
    """One line per stage and per note with the time since the run started: for logs and cron."""

    def __init__(self, out: TextIO):
        self.out, self.started = out, time.monotonic()
        self._shown_tenth = -1

    def _line(self, text: str) -> None:
        self.out.write(f"[{time.monotonic() - self.started:6.1f}s] {text}\n")
        self.out.flush()

    def stage(self, name: str) -> None:
        self._shown_tenth = -1
        self._line(name)

    def note(self, text: str) -> None:
        self._line(f"  {text}")

    def advance(self, done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if tenth > self._shown_tenth:  # a line per tenth, not per node
            self._shown_tenth = tenth
            self._line(f"  {done} of {total} done")

    def close(self) -> None:
        pass


class RichProgress:
    """A live line per stage with a bar, count and elapsed time, on a terminal."""

    def __init__(self, out: TextIO):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=out),
            # dbt's own output goes to the run's log file, never into this display.
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.task = None

    def _finish_stage(self) -> None:
        if self.task is not None:
            task = self.progress.tasks[self.task]
            self.progress.update(self.task, total=task.total or 1, completed=task.total or 1)
            self.progress.stop_task(self.task)

    def stage(self, name: str) -> None:
        if self.task is None:
            self.progress.start()  # not before the run starts: a refused run shows nothing
        self._finish_stage()
        self.task = self.progress.add_task(name, total=None)

    def note(self, text: str) -> None:
        self.progress.console.print(f"  {text}", markup=False, highlight=False)

    def advance(self, done: int, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.task is not None:
            self._finish_stage()
            self.progress.stop()


def progress_display(out: TextIO, quiet: bool) -> ProgressDisplay | None:
    if quiet:
        return None
    return RichProgress(out) if out.isatty() else PlainProgress(out)
