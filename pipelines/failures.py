"""Turning a failed run into one true line: what went wrong, where, and the exit code.

Every foreseeable failure (no space, read-only, permission, interrupted, lock held, a bad
warehouse file, overlapping folders) is named with its path and cause; anything else is
named by its type and message. The full traceback goes to the run's log file, whose path
the message gives.
"""

from __future__ import annotations

import errno
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
    """A failure whose one-line description is already known."""


class Interrupted(BaseException):
    """The run received SIGINT or SIGTERM."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def raise_on_signals() -> None:
    """Make SIGTERM (and SIGINT) stop the run like an exception, so clean-up code runs."""

    def handler(signum, _frame):
        raise Interrupted(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)


def root_causes(error: BaseException):
    """The error and every error it was raised from or during, outermost first."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def describe(error: BaseException) -> str:
    """One line saying what went wrong and where."""
    chain = list(root_causes(error))
    for item in chain:
        if isinstance(item, Interrupted | KeyboardInterrupt):
            return str(item) if isinstance(item, Interrupted) else "interrupted by SIGINT"
    for item in chain:
        if isinstance(item, RunFailure):
            return str(item)
    for item in chain:
        if isinstance(item, OSError) and item.errno in _ERRNO_CAUSES:
            where = item.filename or ""
            return f"{_ERRNO_CAUSES[item.errno]}: {where}".rstrip(": ")
    for item in chain:
        text = str(item)
        for pattern, cause in _DUCKDB_CAUSES:
            if pattern.search(text):
                path = _QUOTED_PATH.search(text)
                where = (path.group(1) or path.group(2)) if path else ""
                return f"{cause}: {where}".rstrip(": ")
    innermost = chain[-1]
    message = str(innermost).strip().splitlines()[0] if str(innermost).strip() else ""
    return f"{type(innermost).__name__}: {message}"[:500]
