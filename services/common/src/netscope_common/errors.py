"""Domain errors that servicers raise; the kit maps them to gRPC status codes with actionable messages."""

from __future__ import annotations

from typing import ClassVar

import grpc


class ServiceError(Exception):
    """An error the caller can act on: the message says what was wrong and what is allowed."""

    code: ClassVar[grpc.StatusCode] = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(ServiceError):
    """A request field is malformed or out of range."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ServiceError):
    """The named object (table, host, device, alert, ...) does not exist."""

    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ServiceError):
    """The object to create exists already."""

    code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(ServiceError):
    """The caller may not do this."""

    code = grpc.StatusCode.PERMISSION_DENIED


class FailedPrecondition(ServiceError):
    """The system is not in a state that allows this request."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(ServiceError):
    """A size, memory or rate limit was hit."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Unavailable(ServiceError):
    """A backend does not answer; retrying later may work."""

    code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(ServiceError):
    """The work did not finish within its time limit."""

    code = grpc.StatusCode.DEADLINE_EXCEEDED
