"""SQL expressions that clean, map and parse one canonical column, set-based in DuckDB.

Every source value goes through the same steps, in this order:

1. normalise: non-breaking spaces become spaces, en and em dashes become `-`, runs of
   white space become one space, and leading and trailing spaces go;
2. null tokens: a value equal to a null token (ignoring case) is blank;
3. `pattern`: keep the part of the value in the pattern's first group;
4. `values`, then `rules`: the value map (keys compared ignoring case), then the first
   rule whose regular expression matches;
5. parse by the canonical column's type (dates in the declared formats, in order).

Values reach SQL only as parameters (`$p1`, `$p2`, ...); identifiers are quoted.
"""

from __future__ import annotations

import re

from pipelines.adapt.mapping import EXCEL, ColumnSpec, Mapping, TimeSpec
from pipelines.contract import Column

# Excel counts days from 1899-12-30 (this epoch absorbs its fictional 29 February 1900);
# serials below 61 fall before that bug and are refused rather than guessed.
EXCEL_EPOCH = "1899-12-30"
EXCEL_FIRST_SERIAL = 61
EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31
FOUR_DIGIT_YEAR_FLOOR = 1900  # %Y must not read "19" as the year 19
TIMESTAMP_TEXT = "%Y-%m-%dT%H:%M:%SZ"

# Resolve a naive local time l in zone tz: the offsets a day before and a day after give
# the two candidate UTC instants; a candidate is valid when it reads back as l.
TIME_MACROS = """
create or replace temp macro fd_offset(u, tz) as timezone(tz, u::timestamptz) - u;
create or replace temp macro fd_before(l, tz) as l - fd_offset(l - interval 1 day, tz);
create or replace temp macro fd_after(l, tz) as l - fd_offset(l + interval 1 day, tz);
create or replace temp macro fd_reads_as(u, l, tz) as timezone(tz, u::timestamptz) = l;
"""


def normalise(text: str) -> str:
    """The Python twin of `normalised_sql`, for null tokens and value-map keys."""
    text = text.replace("\u00a0", " ").replace("\u2013", "-").replace("\u2014", "-")
    return re.sub(r"\s+", " ", text).strip()


def quote(identifier: str) -> str:
    """A safely quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


# Characters that normalising changes (RE2's \s is tab, line feed, form feed, carriage return
# and space); a value without any of them, nor a double or an outer space, is already normal.
UNNORMAL = ("'  '", "chr(9)", "chr(10)", "chr(12)", "chr(13)", "chr(160)", "chr(8211)", "chr(8212)")


def normalised_sql(expression: str) -> str:
    """Normalised text of a varchar expression (an identifier); NULL when nothing is left."""
    cleaned = f"replace(replace(replace({expression}, chr(160), ' '), chr(8211), '-'), chr(8212), '-')"
    slow = f"nullif(trim(regexp_replace({cleaned}, '\\s+', ' ', 'g')), '')"
    # Most values are already normal: skip the regular expression for them (CASE is lazy).
    unusual = " or ".join(f"contains({expression}, {c})" for c in UNNORMAL)
    return (f"(case when {expression} = '' then null "
            f"when {unusual} or {expression} <> trim({expression}) then {slow} else {expression} end)")  # fmt: skip


class Params:
    """Collects parameter values and hands out their names."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def add(self, value: object) -> str:
        """A new parameter holding `value`; returns its `$name`."""
        name = f"p{len(self.values) + 1}"
        self.values[name] = value
        return f"${name}"


def null_tokens(mapping: Mapping, column: ColumnSpec | None = None) -> list[str]:
    """Every null token of a column (the defaults plus its own), normalised and lower-cased."""
    own = column.null if column is not None else []
    return sorted({normalise(t).lower() for t in [*mapping.defaults.null, *own]} - {""})


def is_blank_sql(expression: str, token_list: str) -> str:
    """True when a varchar expression is empty or a null token (`token_list`: a parameter)."""
    text = normalised_sql(expression)
    return f"({text} is null or list_contains({token_list}, lower({text})))"


def cleaned_sql(sources: list[str], tokens: list[str], params: Params) -> str:
    """The first source whose normalised text is not a null token (step 1 and 2)."""
    token_list = params.add(tokens)
    parts = [
        f"case when list_contains({token_list}, lower({normalised_sql(s)})) then null else {normalised_sql(s)} end"
        for s in sources
    ]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


def mapped_sql(value: str, spec: ColumnSpec, column: Column, params: Params) -> str:
    """Steps 3 and 4: pattern, value map and rules; NULL where nothing matches and a match is needed."""
    if spec.pattern is not None:
        value = f"nullif(regexp_extract({value}, {params.add(spec.pattern)}, 1), '')"
    choices = []
    if spec.values:
        keys = [normalise(k).lower() for k in spec.values]
        choices.append(f"{params.add(list(spec.values.values()))}[list_position({params.add(keys)}, lower({value}))]")
    for rule in spec.rules:
        matches = f"regexp_matches({value}, {params.add('(?i)' + rule.match)})"
        choices.append(f"case when {matches} then {params.add(rule.value)} end")
    if column.type in ("code", "boolean"):
        codes = list(column.codes) if column.type == "code" else ["true", "false"]
        # A value that already is a contract code (ignoring case) is that code.
        choices.append(f"{params.add(codes)}[list_position({params.add([c.lower() for c in codes])}, lower({value}))]")
    elif not (spec.values or spec.rules) or column.type not in ("string",):
        choices.append(value)  # text passes on; other types are judged by their parser
    return choices[0] if len(choices) == 1 else f"coalesce({', '.join(choices)})"


def _strptime(value: str, fmt: str, params: Params) -> str:
    parsed = f"try_strptime({value}, {params.add(fmt)})"
    if "%Y" in fmt:
        return f"case when year({parsed}) >= {FOUR_DIGIT_YEAR_FLOOR} then {parsed} end"
    return parsed


def date_sql(value: str, formats: list[str], params: Params, output: str = "%Y-%m-%d") -> str:
    """A date (or month) as canonical text, from the formats in order; Excel serials are whole days."""
    tries = []
    for fmt in formats:
        if fmt == EXCEL:
            tries.append(
                f"case when regexp_full_match({value}, '\\d{{1,7}}') and try_cast({value} as integer) "
                f"between {EXCEL_FIRST_SERIAL} and {EXCEL_LAST_SERIAL} "
                f"then date '{EXCEL_EPOCH}' + try_cast({value} as integer) end"
            )
        else:
            tries.append(f"{_strptime(value, fmt, params)}::date")
    return f"strftime(coalesce({', '.join(tries)}), '{output}')"


def local_time_sql(value: str, formats: list[str], params: Params) -> tuple[str, str]:
    """(naive local timestamp, UTC timestamp) from the first of the formats that reads the value;
    the second is set when that format carries an offset (%z), the first otherwise."""
    tries: list[tuple[bool, str]] = []
    for fmt in formats:
        if fmt == EXCEL:
            tries.append((False,
                f"case when regexp_full_match({value}, '\\d{{1,7}}(\\.\\d+)?') and try_cast({value} as double) "
                f">= {EXCEL_FIRST_SERIAL} and try_cast({value} as double) < {EXCEL_LAST_SERIAL + 1} "
                f"then timestamp '{EXCEL_EPOCH}' + to_seconds(round(try_cast({value} as double) * 86400)::bigint) end"
            ))  # fmt: skip
        elif "%z" in fmt or "%Z" in fmt:
            tries.append((True, f"timezone('UTC', {_strptime(value, fmt, params)})"))
        else:
            tries.append((False, f"{_strptime(value, fmt, params)}::timestamp"))
    first = "coalesce(" + ", ".join(f"case when {t} is not null then {i} end" for i, (_, t) in enumerate(tries)) + ")"

    def chosen(aware: bool) -> str:
        arms = " ".join(f"when {i} then {t}" for i, (is_aware, t) in enumerate(tries) if is_aware == aware)
        return f"case {first} {arms} end" if arms else "null::timestamp"

    return chosen(False), chosen(True)


def resolve_local_sql(
    local: str, time: TimeSpec, params: Params, before: str | None = None, after: str | None = None
) -> tuple[str, str]:
    """(UTC timestamp, problem) for a naive local time; the problem is 'ambiguous' or 'nonexistent'.
    `before` and `after` may be given already computed (`fd_before` / `fd_after` of `local`)."""
    tz = params.add(time.timezone)
    before, after = before or f"fd_before({local}, {tz})", after or f"fd_after({local}, {tz})"
    before_ok, after_ok = f"fd_reads_as({before}, {local}, {tz})", f"fd_reads_as({after}, {local}, {tz})"
    ambiguous = f"({before} <> {after} and {before_ok} and {after_ok})"
    nonexistent = f"(not {before_ok} and not {after_ok})"
    pick = {"earlier": f"least({before}, {after})", "later": f"greatest({before}, {after})", "error": "null"}
    utc = (
        f"case when {local} is null then null "
        f"when {ambiguous} then {pick[time.ambiguous]} "
        f"when {nonexistent} then {before if time.nonexistent == 'shift_forward' else 'null'} "
        f"when {before_ok} then {before} else {after} end"
    )
    problem = (
        f"case when {local} is null then null when {ambiguous} then 'ambiguous' "
        f"when {nonexistent} then 'nonexistent' end"
    )
    return utc, problem
