"""The mapping file: one force's raw export described in TOML, checked by a pydantic schema.

Every error names the mapping file and the key path (`tables.cases.columns.victim_age.formats`),
so an analyst can fix the file without reading code. Every key is documented in
`docs/adapters.md`; a test keeps the two in step.
"""

from __future__ import annotations

import re
import threading
import tomllib
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import regex
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from pipelines.contract import TABLES_BY_NAME

EXCEL = "excel"
DATE_TYPES = ("date", "timestamp", "month")
MAX_COUNT = 1000  # a count cell stands for at most this many rows (a typo must not make millions)
MAX_SOURCE_SYSTEM = 200
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class MappingError(Exception):
    """A mapping file that cannot be read or breaks the schema."""


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must never be ignored silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------- regular expressions

_RE2_LOCK = threading.Lock()


@cache
def _re2() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def check_regex(value: str | None, groups: int = 0) -> str | None:
    """A regular expression as DuckDB runs it (RE2: linear time, so no pattern can hang a run),
    with at least `groups` groups in brackets; ValueError naming the problem otherwise."""
    if value is None:
        return value
    try:
        with _RE2_LOCK:
            _re2().execute("select regexp_matches('', $pattern)", {"pattern": value})
        found = regex.compile(value).groups
    except (duckdb.Error, regex.error) as error:
        reason = str(error).removeprefix("Invalid Input Error: ")
        raise ValueError(f"{value!r} is not a valid regular expression: {reason}") from None
    if found < groups:
        raise ValueError(f"{value!r} needs a group in brackets around the part to keep")
    return value


def _regex(groups: int = 0):
    return classmethod(lambda cls, v: check_regex(v, groups))


def check_relative_path(value: str | None) -> str | None:
    """A path inside the export folder: never absolute and never climbing out with `..`."""
    if value is None:
        return value
    if not value.strip():
        raise ValueError("give a file name in the export folder")
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute() or PureWindowsPath(value).drive:
        raise ValueError(f"{value!r} is an absolute path; give a file name inside the export folder")
    if ".." in re.split(r"[\\/]", value):
        raise ValueError(f"{value!r} leaves the export folder ('..'); give a file name inside it")
    return value


# --------------------------------------------------------------------------- source columns


class ColumnPick(Strict):
    """A source column picked by name and occurrence (the second `Gender`) or by position."""

    name: str | None = None
    occurrence: int = Field(default=1, ge=1)
    position: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _name_or_position(self):
        if (self.name is None) == (self.position is None):
            raise ValueError("give name (with occurrence, default 1) or position (1 is the first column)")
        if self.position is not None and "occurrence" in self.model_fields_set:
            raise ValueError("occurrence goes with name, not with position")
        return self


def _either(first: tuple[str, object], second: tuple[str, object], is_first):
    """A union whose member is chosen by `is_first(value)`, so an error names one member only."""
    return Annotated[
        Annotated[first[1], Tag(first[0])] | Annotated[second[1], Tag(second[0])],
        Discriminator(lambda value: first[0] if is_first(value) else second[0]),
    ]


# A source column: its name (unique in the header), or a pick by name and occurrence or position.
ColumnRef = _either(("by-name", str), ("picked", ColumnPick), lambda value: isinstance(value, str))
ColumnRefs = _either(("several", list[ColumnRef]), ("one", ColumnRef), lambda value: isinstance(value, list))
Formats = _either(("several", list[str]), ("one", str), lambda value: isinstance(value, list))
UNION_TAGS = {"by-name", "picked", "several", "one", "pairs", "keys"}


class JoinKey(Strict):
    """One pair of join columns, for keys that need picking by occurrence or position."""

    left: ColumnRef
    right: ColumnRef


# --------------------------------------------------------------------------- manifest


class ManifestFact(Strict):
    """Where one manifest fact comes from: a constant, a sidecar text file, or a file name."""

    value: str | None = None
    sidecar: str | None = None
    file_name: str | None = None
    pattern: str | None = None
    format: Formats | None = None

    _pattern = field_validator("pattern")(_regex(groups=1))
    _sidecar = field_validator("sidecar")(classmethod(lambda cls, v: check_relative_path(v)))

    @model_validator(mode="after")
    def _one_source(self):
        sources = [k for k in ("value", "sidecar", "file_name") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise ValueError("give exactly one of value, sidecar or file_name")
        if self.value is None and self.pattern is None:
            raise ValueError("sidecar and file_name need a pattern (a regular expression with one group)")
        if self.value is not None and self.pattern is not None:
            raise ValueError("a constant value takes no pattern")
        return self

    @property
    def formats(self) -> list[str]:
        """The declared formats, in order of preference."""
        if self.format is None:
            return []
        return [self.format] if isinstance(self.format, str) else list(self.format)


class ManifestSpec(Strict):
    """The facts a canonical manifest needs."""

    force_code: ManifestFact
    extracted_at: ManifestFact


class TimeSpec(Strict):
    """How naive local date-times are read."""

    timezone: str = "Europe/London"
    ambiguous: Literal["earlier", "later", "error"] = "error"
    nonexistent: Literal["shift_forward", "error"] = "error"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/London)") from None
        return value


# --------------------------------------------------------------------------- files


class DropRule(Strict):
    """Rows of a file to leave out, e.g. administrative no-crime records; with `keep`, every
    value of the column must be in one list or the other."""

    column: ColumnRef
    values: list[str] = Field(min_length=1)
    keep: list[str] | None = None


class OnlyRule(Strict):
    """Rows of a file to keep: every row whose value is not in `values` is left out."""

    column: ColumnRef
    values: list[str] = Field(min_length=1)


class DuplicateRule(Strict):
    """A flag column telling the row to keep from repeat rows; every flag value must be listed."""

    column: ColumnRef
    keep: list[str] = Field(min_length=1)
    drop: list[str] = Field(default_factory=list)


class FileSpec(Strict):
    """One declaration of a source file: the file, how to read it, and which rows to use."""

    path: str
    encoding: Literal["auto", "utf-8", "cp1252"] = "auto"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    header_line: int = Field(default=1, ge=1, le=1000)
    drop: list[DropRule] = Field(default_factory=list)
    only: list[OnlyRule] = Field(default_factory=list)
    duplicates: DuplicateRule | None = None
    optional: bool = False

    _path = field_validator("path")(classmethod(lambda cls, v: check_relative_path(v)))

    @field_validator("delimiter")
    @classmethod
    def _separator(cls, value: str) -> str:
        if value in ("\n", "\r", '"'):
            raise ValueError("a line break or a quote cannot separate values")
        return value


# --------------------------------------------------------------------------- tables


class Rule(Strict):
    """A derived value: the first rule whose regular expression matches gives the value."""

    match: str
    value: str

    _match = field_validator("match")(_regex())


class ColumnSpec(Strict):
    """How one canonical column is made from the source."""

    source: ColumnRefs | None = None
    file: str | None = None
    value: str | None = None
    null: list[str] = Field(default_factory=list)
    pattern: str | None = None
    values: dict[str, str] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    formats: Formats = Field(default_factory=list)
    unmapped: Literal["error", "unknown"] | None = None

    _pattern = field_validator("pattern")(_regex(groups=1))

    @model_validator(mode="after")
    def _source_or_value(self):
        if (self.source is None) == (self.value is None):
            raise ValueError("give exactly one of source (column name or list of names) or value (a constant)")
        if isinstance(self.formats, str):
            self.formats = [self.formats]
        return self

    @property
    def sources(self) -> list[ColumnRef]:
        """Source columns, in order of preference."""
        if self.source is None:
            return []
        return list(self.source) if isinstance(self.source, list) else [self.source]


class JoinSpec(Strict):
    """Another file whose rows are joined to the table's main file (left join, at most one match)."""

    file: str
    on: _either(("pairs", dict[str, str]), ("keys", list[JoinKey]), lambda value: isinstance(value, dict))

    @field_validator("on")
    @classmethod
    def _some(cls, value):
        if not value:
            raise ValueError("give at least one pair of columns")
        return value

    @property
    def keys(self) -> list[tuple[ColumnRef, ColumnRef]]:
        """(column of the table's rows, column of the joined file) pairs."""
        if isinstance(self.on, dict):
            return list(self.on.items())
        return [(key.left, key.right) for key in self.on]


class UnpivotSpec(Strict):
    """Wide to long: each source row gives one row per listed column (or per block of columns)."""

    columns: list[ColumnRef] = Field(default_factory=list)
    columns_matching: str | None = None
    blocks: list[dict[str, ColumnRef]] = Field(default_factory=list)
    names_to: str | None = None
    values_to: str | None = None

    _matching = field_validator("columns_matching")(_regex())

    @model_validator(mode="after")
    def _one_form(self):
        forms = [k for k in ("columns", "columns_matching", "blocks") if getattr(self, k)]
        if len(forms) != 1:
            raise ValueError("give exactly one of columns, columns_matching or blocks")
        if self.blocks:
            if self.values_to is not None:
                raise ValueError("blocks name their own columns; values_to goes with columns")
            if any(not block for block in self.blocks):
                raise ValueError("every block needs at least one column")
            if any(set(block) != set(self.blocks[0]) for block in self.blocks):
                raise ValueError("every block must have the same names (the first block has "
                                 f"{', '.join(self.blocks[0])})")  # fmt: skip
        elif self.values_to is None:
            raise ValueError("values_to is missing: name the column that holds each cell's value")
        names = self.new_names
        if len(set(names)) != len(names):
            raise ValueError(f"names_to, values_to and block names must differ ({', '.join(names)})")
        return self

    @property
    def new_names(self) -> list[str]:
        """The source column names the unpivot adds to each row."""
        names = list(self.blocks[0]) if self.blocks else [self.values_to]
        return ([self.names_to] if self.names_to else []) + names


class TableSpec(Strict):
    """How one canonical table is made."""

    from_: str | None = Field(default=None, alias="from")
    join: list[JoinSpec] = Field(default_factory=list)
    unpivot: UnpivotSpec | None = None
    count: ColumnRef | None = None
    drop: list[DropRule] = Field(default_factory=list)
    only: list[OnlyRule] = Field(default_factory=list)
    empty: bool = False
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)


class Defaults(Strict):
    """Settings that apply to every column unless the column says otherwise."""

    null: list[str] = Field(default_factory=list)
    unmapped: Literal["error", "unknown"] = "error"


class Mapping(Strict):
    """A whole mapping file."""

    source_system: str = Field(min_length=1, max_length=MAX_SOURCE_SYSTEM)
    manifest: ManifestSpec
    time: TimeSpec = Field(default_factory=TimeSpec)
    defaults: Defaults = Field(default_factory=Defaults)
    files: dict[str, FileSpec] = Field(min_length=1)
    tables: dict[str, TableSpec]

    @field_validator("source_system")
    @classmethod
    def _printable(cls, value: str) -> str:
        if CONTROL_CHARACTERS.search(value):
            raise ValueError("must be one line of text without control characters")
        return value

    def unmapped_policy(self, column: ColumnSpec) -> str:
        """The column's own unmapped policy, else the default."""
        return column.unmapped or self.defaults.unmapped


def _where(location: tuple) -> str:
    parts = []
    for part in location:
        if part == "from_":
            parts.append("from")
        elif part in UNION_TAGS:
            continue  # pydantic names the member of a union it chose; the analyst wrote no such key
        else:
            parts.append(str(part))
    return ".".join(parts) or "(top level)"


def _date_formats(where: str, formats: list[str]) -> list[str]:
    problems = []
    for i, fmt in enumerate(formats):
        if fmt != EXCEL and "%" not in fmt:
            problems.append(f'{where}.{i}: {fmt!r} is neither a strptime format nor "excel"')
        elif fmt != EXCEL and (refused := _format_refused(fmt)):
            problems.append(f"{where}.{i}: {fmt!r} is not a format the date reader knows ({refused})")
    return problems


@cache
def _format_refused(fmt: str) -> str | None:
    """DuckDB's reason for refusing a strptime format (the adapter parses dates with it), or None."""
    try:
        with duckdb.connect() as con:
            con.execute("select try_strptime('', ?)", [fmt])
    except duckdb.InvalidInputException as error:
        message, marker = str(error), f"format specifier {fmt}: "
        return message.split(marker, 1)[1] if marker in message else message.splitlines()[0]
    return None


def _table_checks(mapping: Mapping, name: str, table: TableSpec) -> list[str]:
    """Rules across the keys of one table."""
    where, problems = f"tables.{name}", []
    contract = TABLES_BY_NAME[name]
    if table.empty:
        if table.from_ or table.columns or table.join or table.unpivot or table.count is not None or table.drop or \
                table.only:
            problems.append(f"{where}: an empty table takes no from, join, unpivot, count, drop, only or columns")
        return problems
    if table.from_ is None:
        problems.append(f"{where}.from: missing: name the file (under [files]) with one row per {name} row")
    elif table.from_ not in mapping.files:
        problems.append(f"{where}.from: {table.from_!r} is not a file declared under [files]")
    elif mapping.files[table.from_].optional and contract.required_file:
        problems.append(
            f"{where}.from: {table.from_!r} is optional, but {contract.file_name} is required; "
            "only an optional table can come from an optional file"
        )
    for i, join in enumerate(table.join):
        if join.file not in mapping.files:
            problems.append(f"{where}.join.{i}.file: {join.file!r} is not a file declared under [files]")
        elif mapping.files[join.file].optional:
            problems.append(f"{where}.join.{i}.file: {join.file!r} is optional; a joined file must be there")
    for column_name, column in table.columns.items():
        cw = f"{where}.columns.{column_name}"
        if column_name not in contract.column_names:
            problems.append(f"{cw}: {column_name!r} is not a column of {contract.file_name}")
            continue
        kind = contract.column(column_name).type
        if kind in DATE_TYPES and column.source is not None and not column.formats and not column.values:
            problems.append(f'{cw}.formats: a {kind} column needs formats (e.g. ["%d/%m/%Y", "excel"])')
        if column.formats and kind not in DATE_TYPES:
            problems.append(f"{cw}.formats: only date, timestamp and month columns take formats ({kind})")
        problems += _date_formats(f"{cw}.formats", column.formats)
        if kind in ("code", "boolean"):
            allowed = contract.column(column_name).codes if kind == "code" else ("true", "false")
            targets = [(f"values.{key}", v) for key, v in column.values.items()]
            targets += [(f"rules.{i}.value", rule.value) for i, rule in enumerate(column.rules)]
            for key, target in targets:
                if target not in allowed:
                    problems.append(f"{cw}.{key}: {target!r} is not one of {', '.join(allowed)}")
        if column.file is not None and column.file not in mapping.files:
            problems.append(f"{cw}.file: {column.file!r} is not a file declared under [files]")
    for required in contract.required_columns:
        if required not in table.columns:
            problems.append(f"{where}.columns: required column {required!r} is not mapped")
    return problems


def _cross_checks(mapping: Mapping) -> list[str]:
    """Rules across keys that the per-key schema cannot see."""
    problems = []
    for key in ("force_code", "extracted_at"):
        fact = getattr(mapping.manifest, key)
        if fact.file_name is not None:
            if fact.file_name not in mapping.files:
                problems.append(f"manifest.{key}.file_name: {fact.file_name!r} is not a file declared under [files]")
            elif mapping.files[fact.file_name].optional:
                problems.append(f"manifest.{key}.file_name: {fact.file_name!r} is optional; name a file that is "
                                "always there")  # fmt: skip
        if fact.formats and key != "extracted_at":
            problems.append(f"manifest.{key}.format: only extracted_at takes a format")
        problems += _date_formats(f"manifest.{key}.format", fact.formats)
    for name, table in mapping.tables.items():
        if name not in TABLES_BY_NAME:
            problems.append(f"tables.{name}: {name!r} is not a canonical table ({', '.join(TABLES_BY_NAME)})")
            continue
        problems += _table_checks(mapping, name, table)
    for contract in TABLES_BY_NAME.values():
        if contract.required_file and contract.name not in mapping.tables:
            problems.append(
                f"tables: {contract.name} is missing; map it, or write [tables.{contract.name}] empty = true"
            )
    return problems


def _message(item: dict) -> str:
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        return "unknown key (check the spelling against docs/adapters.md)"
    if item["type"] == "missing":
        return "missing key"
    return message


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; every problem names the file and the key path."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise MappingError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise MappingError(f"{path}: cannot be read: {error.strerror or error}") from None
    try:
        mapping = Mapping.model_validate(document)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            line = f"{path}: {_where(item['loc'])}: {_message(item)}"
            if line not in lines:
                lines.append(line)
        raise MappingError("\n".join(lines)) from None
    problems = _cross_checks(mapping)
    if problems:
        raise MappingError("\n".join(f"{path}: {p}" for p in problems))
    return mapping
