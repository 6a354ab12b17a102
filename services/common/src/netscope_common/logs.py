"""Structured logging (structlog): JSON lines by default, one configuration for every process."""

from __future__ import annotations

import logging
import sys

import structlog

from netscope_common.tracing import current_trace_id


def add_trace_id(
    _: structlog.typing.WrappedLogger, __: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Put the id of the trace in progress on the line (`trace_id`), so one slow call's lines can be found."""
    trace_id = current_trace_id()
    if trace_id:
        event["trace_id"] = trace_id
    return event


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route structlog and stdlib logging to stderr as JSON (or console) lines.

    Libraries' stdlib loggers (grpc, elastic_transport, uvicorn, ...) go through the same renderer, so with
    the json format every line of a process's log is one JSON object.
    """
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_trace_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A structlog logger bound to a component name."""
    return structlog.get_logger(name)
