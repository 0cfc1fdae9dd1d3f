# SPDX-License-Identifier: MIT
"""Status codes and the exception carrying the library's message."""
import enum


class Status(enum.IntEnum):
    """parn_status: values are permanent (include/parn.h)."""
    OK = 0
    E_INVALID_ARG = 1
    E_NOMEM = 2
    E_UNSUPPORTED = 3
    E_SHAPE = 4
    E_DEVICE = 5
    E_IO = 6
    E_FORMAT = 7
    E_STATE = 8
    E_BACKEND = 9
    E_INTERNAL = 10
    E_NOT_FOUND = 11
    E_ABI = 12
    AGAIN = 100
    EOF = 101


class ParnError(Exception):
    """A failing libparn call: .status (Status or int) and .message (parn_last_error)."""

    def __init__(self, status, message=""):
        try:
            status = Status(status)
        except ValueError:
            pass
        self.status = status
        self.message = message
        name = status.name if isinstance(status, Status) else str(status)
        super().__init__(f"{name}: {message}" if message else name)
