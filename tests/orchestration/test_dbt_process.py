"""`dangol-dbt` asks each of dbt's logs whether it keeps an event before dbt formats the line
(orchestration/dbt_process.py): the same lines are written, and no line is made to be dropped."""

import io
import json
import re

from dbt_common.events.base_types import EventLevel
from dbt_common.events.event_manager import EventManager
from dbt_common.events.logger import LineFormat, LoggerConfig
from dbt_common.events.types import Note, PrintEvent

from orchestration.dbt_process import write_only_lines_a_log_keeps


def fire_every_level(manager: EventManager) -> None:
    for level in (EventLevel.DEBUG, EventLevel.INFO, EventLevel.WARN):
        manager.fire_event(Note(msg=f"a {level.value} note"), level=level)
    manager.fire_event(PrintEvent(msg="printed"), level=EventLevel.DEBUG)


def logs_at(level: EventLevel) -> tuple[list, list[str], list[str]]:
    """What a JSON log and a text log at `level` write (but the time), and the events
    formatted as lines."""
    manager = EventManager()
    json_out, text_out = io.StringIO(), io.StringIO()
    for name, line_format, stream in (
        ("json", LineFormat.Json, json_out),
        ("text", LineFormat.PlainText, text_out),
    ):
        manager.add_logger(
            LoggerConfig(name=name, line_format=line_format, level=level, output_stream=stream)
        )
    formatted: list[str] = []
    for log in manager.loggers:
        create_line = log.create_line
        log.create_line = lambda msg, create_line=create_line: (
            formatted.append(msg.info.msg) or create_line(msg)
        )
    fire_every_level(manager)
    json_lines = [json.loads(line)["info"] for line in json_out.getvalue().splitlines()]
    text_lines = [
        re.sub(r"^\d\d:\d\d:\d\d\s+", "", line) for line in text_out.getvalue().splitlines()
    ]
    return [(info["level"], info["msg"]) for info in json_lines], text_lines, formatted


def test_dbts_logs_write_the_same_lines_without_formatting_the_ones_they_drop():
    before = {level: logs_at(level) for level in (EventLevel.DEBUG, EventLevel.INFO)}

    write_only_lines_a_log_keeps()
    write_only_lines_a_log_keeps()  # once is enough; a second call changes nothing
    after = {level: logs_at(level) for level in (EventLevel.DEBUG, EventLevel.INFO)}

    for level in before:
        assert after[level][:2] == before[level][:2], level
    # A print event always shows; the debug log keeps everything.
    assert after[EventLevel.INFO][0] == [
        ("info", "a info note"),
        ("warn", "a warn note"),
        ("debug", "printed"),
    ]
    assert after[EventLevel.INFO][1] == ["a info note", "a warn note", "printed"]
    assert len(after[EventLevel.DEBUG][1]) == 4
    # Before, each log formatted all four events; now the info logs format only what they keep.
    assert before[EventLevel.INFO][2].count("a debug note") == 2
    assert after[EventLevel.INFO][2].count("a debug note") == 0
    assert after[EventLevel.DEBUG][2] == before[EventLevel.DEBUG][2]
