"""Turning a failed run into one true line: what went wrong, where, and the exit code.

Every foreseeable failure (no space, read-only, permission, interrupted, lock held, a bad
warehouse file, overlapping folders) is named with its path and cause; anything else is
named by its type and message. The full traceback goes to the run's log file, whose path
the message gives.
"""

from __future__ import annotations

import errno
import os
import re
import signal

EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 2

_ERRNO_CAUSES = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a path component is not a folder",
    errno.EISDIR: "is a folder",
    errno.ELOOP: "is a symbolic link (not followed)",
    errno.EIO: "input/output error",
}
# DuckDB reports operating-system failures as text; the same causes, found in its messages.
_DUCKDB_CAUSES = (
    (re.compile(r"No space left on device|not enough space|Could not write all bytes", re.I),
     "no space left on the device"),
    (re.compile(r"Read-only file system", re.I), "read-only file system"),
    (re.compile(r"Permission denied", re.I), "permission denied"),
    (re.compile(r"Could not set lock on file", re.I), "the DuckDB file is open in another process"),
    (re.compile(r"not a valid DuckDB database file|Database file .* unsupported|file is not a", re.I),
     "not a DuckDB database file"),
    (re.compile(r"Out of Memory", re.I), "out of memory (lower FLIGHTDECK_DUCKDB_THREADS or raise the memory limit)"),
)  # fmt: skip
_QUOTED_PATH = re.compile(r"\"(/[^\"]+)\"|'(/[^']+)'")


class RunFailure(Exception):
    """A failure whose one-line description is already known (`details`: the full error, for the log)."""

    def __init__(self, message: str, details: str = ""):
        super().__init__(message)
        self.details = details


class Interrupted(BaseException):
    """The run received SIGINT or SIGTERM."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


_signals_seen: list[int] = []
_wakeup: list[int] = []


def raise_on_signals() -> None:
    """Make SIGTERM (and SIGINT) stop the run like an exception, so clean-up code runs, and remember
    which signal came: Dagster maps both to one interrupt while a job executes, but Python also
    writes every signal's number to a wake-up pipe, whoever handles it."""

    def handler(signum, _frame):
        raise Interrupted(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)
    _wakeup.append(read_end)


def signal_received() -> str | None:
    """The name of the last interrupting signal this process received, if any."""
    for read_end in _wakeup:
        try:
            _signals_seen.extend(os.read(read_end, 64))
        except BlockingIOError:
            pass
    names = [signal.Signals(n).name for n in _signals_seen if n in (signal.SIGTERM, signal.SIGINT)]
    return names[-1] if names else None


ERRNO_TEXT = re.compile(r"\[Errno (\d+)\][^\n]*?(?:: '([^']+)')?\s*$", re.M)
STOPPED_BY_CHECK = "DagsterAssetCheckFailedError"


def _facts_of_exception(error: BaseException) -> list[tuple[str, str, int | None, str | None]]:
    """(type name, message, errno, file name) of an error and every error it was raised from."""
    facts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        errno_value = error.errno if isinstance(error, OSError) else None
        filename = error.filename if isinstance(error, OSError) else None
        facts.append((type(error).__name__, str(error), errno_value, filename))
        error = error.__cause__ or error.__context__
    return facts


def _facts_of_serialized(info) -> list[tuple[str, str, int | None, str | None]]:
    """The same facts from a Dagster SerializableErrorInfo (what a failed step records)."""
    facts, seen = [], set()
    while info is not None and id(info) not in seen:
        seen.add(id(info))
        found = ERRNO_TEXT.search(info.message or "")
        errno_value, filename = (int(found.group(1)), found.group(2)) if found else (None, None)
        message = (info.message or "").split(": ", 1)[1] if ": " in (info.message or "") else info.message or ""
        facts.append((info.cls_name or "", message.strip(), errno_value, filename))
        info = info.cause or info.context
    return facts


def _describe(facts: list[tuple[str, str, int | None, str | None]]) -> str:
    for name, message, _errno, _file in facts:
        if name in ("Interrupted", "KeyboardInterrupt", "DagsterExecutionInterruptedError"):
            if name == "Interrupted" and message:
                return message
            return f"interrupted by {signal_received() or 'SIGINT'}"
    for name, message, _errno, _file in facts:
        if name in ("RunFailure", "LockHeld", "PathProblem"):
            return message
    for _name, _message, errno_value, filename in facts:
        if errno_value in _ERRNO_CAUSES:
            return f"{_ERRNO_CAUSES[errno_value]}: {filename or ''}".rstrip(": ")
    for _name, message, _errno, _file in facts:
        for pattern, cause in _DUCKDB_CAUSES:
            if pattern.search(message):
                path = _QUOTED_PATH.search(message)
                where = (path.group(1) or path.group(2)) if path else ""
                return f"{cause}: {where}".rstrip(": ")
    name, message, _errno, _file = facts[-1]
    first = message.strip().splitlines()[0] if message.strip() else ""
    return f"{name}: {first}"[:500]


def describe(error: BaseException) -> str:
    """One line saying what went wrong and where."""
    return _describe(_facts_of_exception(error))


def describe_step_failure(error_info) -> str | None:
    """One line for a step that failed in a Dagster run; None when a blocking check stopped it."""
    facts = _facts_of_serialized(error_info)
    if any(name == STOPPED_BY_CHECK for name, *_ in facts):
        return None
    return _describe(facts)
