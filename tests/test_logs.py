"""Log lines: JSON lines off a terminal (a file, a pipe, a container's log), text on one."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from accord.logs import configure_logging, request_id


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_each_line_is_one_json_object_with_the_request_id() -> None:
    stream = io.StringIO()
    configure_logging("info", "auto", stream)
    token = request_id.set("req-7")
    try:
        logging.getLogger("accord.test").warning("sent %s", "it", extra={"delivery": 12})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("accord.test").exception("failed")
    finally:
        request_id.reset(token)
    logging.getLogger("accord.test").info("outside any request")
    logging.getLogger("accord.test").debug("below the level")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3  # the traceback is inside its line, not lines of its own
    first, failed, outside = lines
    assert (first["level"], first["logger"], first["message"]) == (
        "warning",
        "accord.test",
        "sent it",
    )
    assert (first["request_id"], first["delivery"]) == ("req-7", 12)
    assert first["time"].endswith("+00:00")
    assert "ValueError: boom" in failed["exception"]
    assert "request_id" not in outside


def test_on_a_terminal_lines_are_text_for_people() -> None:
    stream = Terminal()
    configure_logging("info", "auto", stream)
    logging.getLogger("accord.test").warning("sent it", extra={"delivery": 12})
    line = stream.getvalue().rstrip("\n")
    assert line.endswith(" WARNING accord.test sent it delivery=12")
    assert not line.startswith("{")


def test_the_format_can_be_chosen_whatever_the_stream() -> None:
    stream = Terminal()
    configure_logging("info", "json", stream)
    logging.getLogger("accord.test").info("hello")
    assert json.loads(stream.getvalue())["message"] == "hello"


def test_lines_follow_standard_error_when_it_is_swapped_and_the_old_one_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("info", "json")
    first.close()  # e.g. a test runner's captured stderr, closed after its command
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("accord.test").info("still heard")
    assert json.loads(second.getvalue())["message"] == "still heard"
