"""Numbers from FLIGHTDECK_* environment variables, read with messages that name the variable.

An empty variable counts as unset (a scheduler's `FLIGHTDECK_OUT=` means "no value", never "the
current folder"). A value that is not a number, or is out of range, is a `SettingProblem`: the
run stops before it starts, in one line naming the variable and the value.
"""

from __future__ import annotations

import os


class SettingProblem(ValueError):
    """A setting that cannot be used; the message names it."""


def text(name: str, default: str | None = None) -> str | None:
    """A variable's text; empty or unset gives the default."""
    return os.environ.get(name) or default


def number(name: str, default: float) -> float:
    """A variable as a number."""
    value = text(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise SettingProblem(f"{name} {value!r} is not a number") from None


def whole(name: str, default: int, minimum: int | None = None) -> int:
    """A variable as a whole number, at least `minimum` if given."""
    value = text(name)
    if value is None:
        return default
    try:
        result = int(value)
    except ValueError:
        raise SettingProblem(f"{name} {value!r} is not a whole number") from None
    if minimum is not None and result < minimum:
        raise SettingProblem(f"{name} {result} is below {minimum}")
    return result
