"""The mapping file: one force's raw export described in TOML, checked by a pydantic schema.

Every error names the mapping file and the key path (`tables.cases.columns.victim_age.formats`),
so an analyst can fix the file without reading code.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.contract import TABLES_BY_NAME

EXCEL = "excel"
DATE_TYPES = ("date", "timestamp", "month")


class MappingError(Exception):
    """A mapping file that cannot be read or breaks the schema."""


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must never be ignored silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"{value!r} is not a valid regular expression: {error}") from None
    return value


class ManifestFact(Strict):
    """Where one manifest fact comes from: a constant, a sidecar text file, or a file name."""

    value: str | None = None
    sidecar: str | None = None
    file_name: str | None = None
    pattern: str | None = None
    format: str | None = None

    _pattern = field_validator("pattern")(classmethod(lambda cls, v: _check_regex(v)))

    @model_validator(mode="after")
    def _one_source(self):
        sources = [k for k in ("value", "sidecar", "file_name") if getattr(self, k) is not None]
        if len(sources) != 1:
            raise ValueError("give exactly one of value, sidecar or file_name")
        if self.value is None and self.pattern is None:
            raise ValueError("sidecar and file_name need a pattern (a regular expression with one group)")
        if self.pattern is not None and re.compile(self.pattern).groups < 1:
            raise ValueError("pattern needs one group in brackets around the value")
        return self


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


class DropRule(Strict):
    """Rows of a file to leave out, e.g. administrative no-crime records; with `keep`, every
    value of the column must be in one list or the other."""

    column: str
    values: list[str] = Field(min_length=1)
    keep: list[str] | None = None


class DuplicateRule(Strict):
    """A flag column telling the row to keep from repeat rows; every flag value must be listed."""

    column: str
    keep: list[str] = Field(min_length=1)
    drop: list[str] = Field(default_factory=list)


class FileSpec(Strict):
    """One source file of the export."""

    path: str
    encoding: Literal["auto", "utf-8", "cp1252"] = "auto"
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    drop: list[DropRule] = Field(default_factory=list)
    duplicates: DuplicateRule | None = None


class Rule(Strict):
    """A derived value: the first rule whose regular expression matches gives the value."""

    match: str
    value: str

    _match = field_validator("match")(classmethod(lambda cls, v: _check_regex(v)))


class ColumnSpec(Strict):
    """How one canonical column is made from the source."""

    source: str | list[str] | None = None
    file: str | None = None
    value: str | None = None
    null: list[str] = Field(default_factory=list)
    pattern: str | None = None
    values: dict[str, str] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    formats: list[str] = Field(default_factory=list)
    unmapped: Literal["error", "unknown"] | None = None

    _pattern = field_validator("pattern")(classmethod(lambda cls, v: _check_regex(v)))

    @model_validator(mode="after")
    def _source_or_value(self):
        if (self.source is None) == (self.value is None):
            raise ValueError("give exactly one of source (column name or list of names) or value (a constant)")
        if self.pattern is not None and re.compile(self.pattern).groups < 1:
            raise ValueError("pattern needs one group in brackets around the part to keep")
        return self

    @property
    def sources(self) -> list[str]:
        """Source column names, in order of preference."""
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)


class JoinSpec(Strict):
    """Another file whose rows are joined to the table's main file (left join, at most one match)."""

    file: str
    on: dict[str, str] = Field(min_length=1)


class TableSpec(Strict):
    """How one canonical table is made."""

    from_: str | None = Field(default=None, alias="from")
    join: list[JoinSpec] = Field(default_factory=list)
    empty: bool = False
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)


class Defaults(Strict):
    """Settings that apply to every column unless the column says otherwise."""

    null: list[str] = Field(default_factory=list)
    unmapped: Literal["error", "unknown"] = "error"


class Mapping(Strict):
    """A whole mapping file."""

    source_system: str
    manifest: ManifestSpec
    time: TimeSpec = Field(default_factory=TimeSpec)
    defaults: Defaults = Field(default_factory=Defaults)
    files: dict[str, FileSpec] = Field(min_length=1)
    tables: dict[str, TableSpec]

    def unmapped_policy(self, column: ColumnSpec) -> str:
        """The column's own unmapped policy, else the default."""
        return column.unmapped or self.defaults.unmapped


def _where(location: tuple) -> str:
    return ".".join("from" if part == "from_" else str(part) for part in location) or "(top level)"


def _cross_checks(mapping: Mapping) -> list[str]:
    """Rules across keys that the per-key schema cannot see."""
    problems = []
    for name, table in mapping.tables.items():
        where = f"tables.{name}"
        if name not in TABLES_BY_NAME:
            problems.append(f"{where}: {name!r} is not a canonical table ({', '.join(TABLES_BY_NAME)})")
            continue
        contract = TABLES_BY_NAME[name]
        if table.empty:
            if table.from_ or table.columns or table.join:
                problems.append(f"{where}: an empty table takes no from, join or columns")
            continue
        if table.from_ is None:
            problems.append(f"{where}.from: missing: name the file (under [files]) with one row per {name} row")
        elif table.from_ not in mapping.files:
            problems.append(f"{where}.from: {table.from_!r} is not a file declared under [files]")
        for i, join in enumerate(table.join):
            if join.file not in mapping.files:
                problems.append(f"{where}.join.{i}.file: {join.file!r} is not a file declared under [files]")
        for column_name, column in table.columns.items():
            cw = f"{where}.columns.{column_name}"
            if column_name not in contract.column_names:
                problems.append(f"{cw}: {column_name!r} is not a column of {contract.file_name}")
                continue
            kind = contract.column(column_name).type
            if kind in DATE_TYPES and column.source is not None and not column.formats and not column.values:
                problems.append(f"{cw}.formats: a {kind} column needs formats (e.g. [\"%d/%m/%Y\", \"excel\"])")
            if column.formats and kind not in DATE_TYPES:
                problems.append(f"{cw}.formats: only date, timestamp and month columns take formats ({kind})")
            for i, fmt in enumerate(column.formats):
                if fmt != EXCEL and "%" not in fmt:
                    problems.append(f"{cw}.formats.{i}: {fmt!r} is neither a strptime format nor \"excel\"")
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
    for contract in TABLES_BY_NAME.values():
        if contract.required_file and contract.name not in mapping.tables:
            problems.append(
                f"tables: {contract.name} is missing; map it, or write [tables.{contract.name}] empty = true"
            )
    return problems


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; every problem names the file and the key path."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: mapping file not found") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise MappingError(f"{path}: not valid TOML: {error}") from None
    try:
        mapping = Mapping.model_validate(document)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown key (check the spelling against the README)"
            elif item["type"] == "missing":
                message = "missing key"
            lines.append(f"{path}: {_where(item['loc'])}: {message}")
        raise MappingError("\n".join(lines)) from None
    problems = _cross_checks(mapping)
    if problems:
        raise MappingError("\n".join(f"{path}: {p}" for p in problems))
    return mapping
