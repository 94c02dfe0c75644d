"""`dangol-dbt` asks dbt's logs whether they keep an event before dbt makes it into lines
(orchestration/dbt_process.py): the same lines are written, and nothing is made to be dropped."""

import io
import json
import re

import pytest
from dbt_common.events import event_manager as dbt_events
from dbt_common.events.base_types import EventLevel
from dbt_common.events.event_manager import EventManager
from dbt_common.events.logger import LineFormat, LoggerConfig
from dbt_common.events.types import Note, PrintEvent

from orchestration.dbt_process import write_only_lines_a_log_keeps

DEBUG, INFO = EventLevel.DEBUG, EventLevel.INFO


def fire_every_level(manager: EventManager) -> None:
    for level in (DEBUG, INFO, EventLevel.WARN):
        manager.fire_event(Note(msg=f"a {level.value} note"), level=level)
    manager.fire_event(PrintEvent(msg="printed"), level=DEBUG)


def logs_at(json_level: EventLevel, text_level: EventLevel, callback=None):
    """What a JSON log and a text log at these levels write (but the time), the events each
    log made into a line, the events made into messages and those the callback heard."""
    manager = EventManager()
    json_out, text_out = io.StringIO(), io.StringIO()
    for name, line_format, level, stream in (
        ("json", LineFormat.Json, json_level, json_out),
        ("text", LineFormat.PlainText, text_level, text_out),
    ):
        manager.add_logger(
            LoggerConfig(name=name, line_format=line_format, level=level, output_stream=stream)
        )
    heard: list[str] = []
    if callback:
        manager.add_callback(lambda msg: heard.append(msg.info.msg))
    formatted: dict[str, list[str]] = {"json": [], "text": []}
    for log in manager.loggers:
        create_line = log.create_line
        log.create_line = lambda msg, create_line=create_line, name=log.name: (
            formatted[name].append(msg.info.msg) or create_line(msg)
        )
    made: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        make = dbt_events.msg_from_base_event
        patch.setattr(
            dbt_events,
            "msg_from_base_event",
            lambda event, level=None: made.append(event.message()) or make(event, level),
        )
        fire_every_level(manager)
    json_lines = [json.loads(line)["info"] for line in json_out.getvalue().splitlines()]
    text_lines = [
        re.sub(r"^\d\d:\d\d:\d\d\s+", "", line) for line in text_out.getvalue().splitlines()
    ]
    written = ([(info["level"], info["msg"]) for info in json_lines], text_lines)
    return written, formatted, made, heard


def test_dbts_logs_write_the_same_lines_without_making_the_ones_they_drop():
    cases = [(INFO, INFO, False), (INFO, DEBUG, False), (DEBUG, DEBUG, False), (INFO, INFO, True)]
    before = {case: logs_at(*case) for case in cases}

    write_only_lines_a_log_keeps()
    write_only_lines_a_log_keeps()  # once is enough; a second call changes nothing
    after = {case: logs_at(*case) for case in cases}

    for case in cases:
        assert after[case][0] == before[case][0], case  # the same lines in both logs
        assert after[case][3] == before[case][3], case  # a callback hears every event
    written, formatted, made, _ = after[(INFO, INFO, False)]
    # A print event always shows, whatever its level.
    assert written[0] == [("info", "a info note"), ("warn", "a warn note"), ("debug", "printed")]
    assert written[1] == ["a info note", "a warn note", "printed"]
    # Before, both logs made every event into a line; now a debug event no log keeps is not
    # even made into a message.
    assert before[(INFO, INFO, False)][1]["json"].count("a debug note") == 1
    assert (
        "a debug note" not in made and "a debug note" not in formatted["json"] + formatted["text"]
    )
    # Kept by the text log only: made into its line, not into the JSON log's.
    _, formatted, made, _ = after[(INFO, DEBUG, False)]
    assert "a debug note" in made and "a debug note" in formatted["text"]
    assert "a debug note" not in formatted["json"]
    # Heard by a callback of its own: made, and heard.
    _, _, made, heard = after[(INFO, INFO, True)]
    assert "a debug note" in made and "a debug note" in heard
