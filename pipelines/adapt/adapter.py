"""Run a mapping over a raw export: load its files, map every column in DuckDB, report
coverage, and write a canonical extract folder.

The steps, each set-based SQL in DuckDB:

1. find each declared file inside the export folder (never outside it) and load it as text,
   its columns named by position, so repeated header names can be picked one by one;
2. per declaration: the `drop` and `only` filters, then the `duplicates` flag;
3. per canonical table, in contract order: the rows of its `from` declaration, turned from
   wide to long (`unpivot`) and repeated by a count (`count`) when declared, the joined files,
   then every column cleaned, mapped and parsed;
4. rows of a table that refers to cases (devices, contacts, suspect actions) whose case was
   left out by a filter go with it, and are counted;
5. coverage counts per column, then the extract and the coverage report.

Nothing is guessed. Each source value is `mapped`, `blank` (empty or a null token) or
`unmapped`; an unmapped value in a column whose policy is `error` (the default) stops the
extract, naming the file, the lines and the value, and under `unknown` it becomes the
canonical `unknown` (or a blank where the column has no such code) and is counted.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from pipelines.adapt.mapping import (
    MAX_COUNT,
    ColumnPick,
    ColumnRef,
    ColumnSpec,
    FileSpec,
    ManifestFact,
    Mapping,
    MappingError,
    TableSpec,
    load_mapping,
)
from pipelines.adapt.parsers import (
    TIME_MACROS,
    TIMESTAMP_TEXT,
    Params,
    cleaned_sql,
    date_sql,
    is_blank_sql,
    local_time_sql,
    mapped_sql,
    normalise,
    normalised_sql,
    null_tokens,
    quote,
    resolve_local_sql,
)
from pipelines.contract import CASES, TABLES, TABLES_BY_NAME, Column
from pipelines.extracts import FORCE_CODE, parse_timestamp, scan_file, sha256_of

BLOCK_SIZE = 16 << 20
EXAMPLE_LINES = 3
EXAMPLE_VALUES = 20
MAX_SIDECAR_BYTES = 1 << 20  # a sidecar is a few lines of text; anything bigger is the wrong file
SCHEMA_VERSION = "1.1"  # the adapter knows contract v1.1's tables
REPORT_JSON, REPORT_MARKDOWN = "adapt_report.json", "adapt_report.md"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ORDER = "__line, __block, __copy"  # source line, then unpivot block, then copy made by a count


@dataclass
class UnmappedValue:
    """One source value the mapping does not cover."""

    value: str
    count: int
    lines: list[int]
    problem: str = "unmapped"  # or `ambiguous` / `nonexistent` local time


@dataclass
class ColumnCoverage:
    """How the values of one canonical column were covered."""

    table: str
    column: str
    source: str
    file: str
    policy: str
    mapped: int = 0
    unmapped: int = 0
    blank: int = 0
    unmapped_values: list[UnmappedValue] = field(default_factory=list)
    declaration: str = ""


@dataclass
class FileReport:
    """One declaration of a source file, as read."""

    name: str
    path: str
    sha256: str = ""
    encoding: str = ""
    rows: int = 0
    dropped: int = 0
    duplicates_dropped: int = 0
    present: bool = True


@dataclass
class TableReport:
    """How one canonical table was made."""

    table: str
    source: str
    rows_read: int = 0
    rows: int = 0
    unpivot: str = ""
    counted: str = ""
    filtered: int = 0
    dropped_with_case: int = 0
    written: bool = True


@dataclass
class FactReport:
    """What one manifest fact was read as."""

    fact: str
    found_in: str
    text: str | None = None
    format: str | None = None
    value: str | None = None


@dataclass
class AdaptReport:
    """Everything an adaptation found: files, tables, coverage per column, and problems."""

    mapping: str
    mapping_sha256: str
    source: str
    source_system: str | None = None
    force_code: str | None = None
    extracted_at: str | None = None
    facts: list[FactReport] = field(default_factory=list)
    files: list[FileReport] = field(default_factory=list)
    table_details: list[TableReport] = field(default_factory=list)
    columns: list[ColumnCoverage] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    mapping_error: bool = False

    @property
    def ok(self) -> bool:
        """True when the extract can be (or was) written."""
        return not self.problems

    def to_json(self) -> str:
        """The report as JSON (stable key order)."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    def to_markdown(self) -> str:
        """The report for people: manifest facts, files, tables, then per column mapped /
        unmapped / blank, then problems."""
        lines = [
            f"# Adapter coverage: {self.force_code or '?'} {self.extracted_at or ''}".rstrip(),
            "",
            f"Mapping `{self.mapping}` (sha256 {self.mapping_sha256[:12]}), source `{self.source}`.",
        ]
        if self.facts:
            lines += ["", "| manifest fact | found in | text | format | read as |", "|---|---|---|---|---|"]
            lines += [
                f"| {f.fact} | {_cell(f.found_in)} | {_cell(f.text)} | {_cell(f.format)} | {_cell(f.value)} |"
                for f in self.facts
            ]
        lines += [
            "",
            "| declaration | file | encoding | rows | dropped by filters | repeat rows dropped |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {f.name} | {_cell(f.path) if f.present else '(optional, not in this export)'} | {f.encoding} "
            f"| {f.rows} | {f.dropped} | {f.duplicates_dropped} |"
            for f in self.files
        ]
        if self.table_details:
            lines += [
                "",
                "| table | from | source rows | unpivot | count | dropped by table filters | dropped with their case "
                "| rows written |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for t in self.table_details:
                written = str(t.rows) if t.written else "not written"
                lines.append(
                    f"| {t.table} | {_cell(t.source)} | {t.rows_read} | {_cell(t.unpivot)} | {_cell(t.counted)} "
                    f"| {t.filtered} | {t.dropped_with_case} | {written} |"
                )
        lines += [
            "",
            "| table.column | declaration | source | policy | mapped | unmapped | blank |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in self.columns:
            lines.append(
                f"| {c.table}.{c.column} | {c.declaration} | {_cell(c.source)} | {c.policy} | {c.mapped} "
                f"| {c.unmapped} | {c.blank} |"
            )
        unmapped = [(c, v) for c in self.columns for v in c.unmapped_values]
        if unmapped:
            lines += ["", "Values the mapping does not cover:", ""]
            for c, v in unmapped:
                lines.append(
                    f"- {c.table}.{c.column} ({c.file}: {c.source}): {v.value!r} x{v.count} ({v.problem}), "
                    f"lines {', '.join(map(str, v.lines))}"
                )
        lines += ["", "Problems:" if self.problems else "No problems.", ""]
        lines += [f"- {p}" for p in self.problems]
        return "\n".join(lines).rstrip() + "\n"


def _short(text: str, limit: int = 80) -> str:
    """Text from an export as shown in a message: at most `limit` characters."""
    return text if len(text) <= limit else text[:limit] + "..."


def _cell(text: str | None) -> str:
    """Text for a markdown table cell: short, with no pipe, line break or control character
    that could break the table or a terminal."""
    if text is None or text == "":
        return ""
    text = _short(text, 200).replace("\\", "\\\\").replace("|", "\\|")
    return CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


# --------------------------------------------------------------------------- encoding


def detect_encoding(path: Path) -> str:
    """`utf-8` when the whole file is valid UTF-8, otherwise `cp1252` (Windows-1252)."""
    _, problem = scan_file(path)
    return "utf-8" if problem is None else "cp1252"


def _is_ascii(path: Path) -> bool:
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            if not block.isascii():
                return False
    return True


def transcode(path: Path, target: Path) -> None:
    """Windows-1252 to UTF-8, streamed; an undefined byte raises ValueError naming line and byte."""
    decoder = codecs.getincrementaldecoder("cp1252")()
    line = 1
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as sink:
        while block := source.read(1 << 20):
            try:
                sink.write(decoder.decode(block))
            except UnicodeDecodeError as error:
                before = block[: error.start]
                column = error.start - (before.rindex(b"\n") + 1 if b"\n" in before else 0) + 1
                bad_line = line + before.count(b"\n")
                raise ValueError(
                    f"line {bad_line}, byte {column}: 0x{block[error.start]:02X} is not a Windows-1252 character"
                ) from None
            line += block.count(b"\n")


def readable_file(path: Path, declared: str, work: Path) -> tuple[Path, str]:
    """A UTF-8 copy (or the file itself) and the encoding used; ValueError when the declaration is wrong."""
    valid_utf8_problem = scan_file(path)[1]
    encoding = declared if declared != "auto" else ("utf-8" if valid_utf8_problem is None else "cp1252")
    if encoding == "utf-8":
        if valid_utf8_problem is not None:
            raise ValueError(f"{valid_utf8_problem} (declared utf-8; is it cp1252?)")
        return path, encoding
    if valid_utf8_problem is None and not _is_ascii(path):
        raise ValueError("declared cp1252, but the file is valid UTF-8 with non-ASCII characters; declare utf-8")
    target = work / f"{len(list(work.iterdir()))}-{path.name}.utf8"
    transcode(path, target)
    return target, encoding


# --------------------------------------------------------------------------- picking columns


@dataclass
class Relation:
    """Rows whose columns can be picked: a loaded file (after its filters) or a table's rows."""

    alias: str
    declaration: str
    path: str
    header: list[str]
    columns: list[str]  # SQL identifiers, by position

    def positions(self, name: str) -> list[int]:
        """0-based positions of every column with this header name."""
        return [i for i, h in enumerate(self.header) if h == name]


@dataclass
class Picked:
    """One resolved source column."""

    relation: Relation
    index: int
    label: str  # for tables in the report
    described: str  # for sentences: `'Gender' #2 (column 10)`

    @property
    def sql(self) -> str:
        """The column qualified by its relation's alias."""
        return f"{self.relation.alias}.{self.relation.columns[self.index]}"

    @property
    def bare(self) -> str:
        """The column without the alias (inside a query on the relation alone)."""
        return self.relation.columns[self.index]


def _ref_name(ref: ColumnRef) -> str | None:
    return ref if isinstance(ref, str) else ref.name


def _near(name: str, relations: list[Relation]) -> str:
    """A hint naming a header column that differs from `name` only in spaces or capitals."""
    wanted = normalise(name).lower()
    for relation in relations:
        for header in relation.header:
            if normalise(header).lower() == wanted:
                return f"; {relation.path} has {header!r} (spaces or capitals differ)"
    return ""


def _pick_hint(name: str, positions: list[int]) -> str:
    return (
        f'pick one with {{ name = "{name}", occurrence = 2 }} (the second) or '
        f"{{ position = {positions[-1] + 1} }} (counting columns from 1)"
    )


# --------------------------------------------------------------------------- one adaptation


class _Run:
    """One adaptation: a DuckDB connection, the report, and the loaded files."""

    def __init__(self, mapping: Mapping, source: Path, report: AdaptReport, work: Path, progress) -> None:
        self.mapping, self.source, self.report, self.work = mapping, source, report, work
        self.root = source.resolve()
        self.progress = progress or (lambda message: None)
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute("set enable_progress_bar = false")
        self.con.execute(TIME_MACROS)
        self.paths: dict[str, Path] = {}
        self.relations: dict[str, Relation] = {}
        self.file_reports: dict[str, FileReport] = {}
        self.aliases = {name: f"f{i}" for i, name in enumerate(mapping.files)}
        self.absent: set[str] = set()
        self.blocked = False

    def execute(self, query: str, params: dict | None = None):
        """Run a query with the parameters it names (DuckDB refuses unused ones)."""
        used = {k: v for k, v in (params or {}).items() if f"${k}" in query}
        return self.con.execute(query, used)

    def problem(self, message: str, blocking: bool = True) -> None:
        """Record a problem; a blocking one (structure, not values) stops the later steps."""
        self.report.problems.append(message)
        self.blocked = self.blocked or blocking

    def inside(self, path: Path) -> bool:
        """True when the path, symbolic links followed, is inside the export folder."""
        try:
            return path.resolve().is_relative_to(self.root)
        except (OSError, RuntimeError):  # a symlink loop resolves nowhere
            return False

    # ----------------------------------------------------------------------- files

    def resolve_files(self) -> None:
        """Find each declaration's file: exactly one match, inside the export folder."""
        for name, spec in self.mapping.files.items():
            try:
                candidates = sorted(self.source.glob(spec.path))
            except (OSError, ValueError) as error:
                self.problem(f"files.{name}.path: {spec.path!r} cannot be searched for: {error}")
                continue
            outside = [p for p in candidates if not self.inside(p)]
            for path in outside:
                self.problem(
                    f"files.{name}.path: {path.relative_to(self.source).as_posix()} is a symbolic link to a place "
                    f"outside the export folder {self.source}; refused (nothing outside the folder is read)"
                )
            matches = [p for p in candidates if p not in outside and p.is_file()]
            if outside:
                continue
            if not matches and spec.optional:
                self.absent.add(name)
                report = FileReport(name, spec.path, present=False)
                self.file_reports[name] = report
                self.report.files.append(report)
                continue
            if len(matches) != 1:
                found = "no file" if not matches else f"{len(matches)} files ({', '.join(p.name for p in matches)})"
                self.problem(f"files.{name}.path: {spec.path!r} matches {found} in {self.source}")
                continue
            self.paths[name] = matches[0]
            report = FileReport(name, matches[0].relative_to(self.source).as_posix(), sha256_of(matches[0]))
            self.file_reports[name] = report
            self.report.files.append(report)

    def load_files(self) -> None:
        """Each distinct file once into `raw<n>`; each declaration a view on it."""
        loaded: dict[tuple, tuple[str, list[str], str, int]] = {}
        for name, path in self.paths.items():
            spec, report = self.mapping.files[name], self.file_reports[name]
            key = (path.resolve(), spec.encoding, spec.delimiter, spec.header_line)
            if key not in loaded:
                try:
                    readable, encoding = readable_file(path, spec.encoding, self.work)
                except (ValueError, OSError) as error:
                    self.problem(f"{report.path}: {error}")
                    continue
                table = f"raw{len(loaded)}"
                with readable.open(encoding="utf-8-sig", newline="") as handle:
                    for _ in range(spec.header_line - 1):  # title lines above the header
                        handle.readline()
                    header = next(csv.reader(handle, delimiter=spec.delimiter), [])
                rows = self._load(table, readable, report.path, spec, len(header))
                loaded[key] = (table, header, encoding, rows)
                self.progress(f"adapt: {report.path}: {rows:,} rows ({encoding})")
            table, header, report.encoding, report.rows = loaded[key]
            alias = self.aliases[name]
            self.execute(f"create temp view {alias} as select * from {table}")
            columns = [f"c{i + 1}" for i in range(len(header))]
            self.relations[name] = Relation(alias, name, report.path, header, columns)

    def _load(self, table: str, path: Path, shown: str, spec: FileSpec, width: int) -> int:
        """All columns as text, named c1, c2, ... by position, with the line each record starts on."""
        names = [f"c{i + 1}" for i in range(width)]
        columns = ", ".join(f"{c} varchar" for c in names)
        self.execute(f"create table {table} (__line bigint{', ' if names else ''}{columns})")
        if not names:
            self.problem(f"{shown}: line {spec.header_line}: the file has no header there")
            return 0
        malformed: list[str] = []

        def on_invalid_row(row) -> str:
            malformed.append((row.number, f"record has {row.actual_columns} fields, the header has "
                                          f"{row.expected_columns}"))  # fmt: skip
            return "skip"

        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False, block_size=BLOCK_SIZE, column_names=names, skip_rows=spec.header_line
            ),
            # Blank lines come through as records of empty values, so they are counted in the line
            # numbers (the reader would skip them uncounted); they are left out below.
            parse_options=pacsv.ParseOptions(
                delimiter=spec.delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in names}, strings_can_be_null=False
            ),
        )
        next_line, rows = spec.header_line + 1, 0
        for batch in reader:
            lines, next_line = _line_numbers(batch, next_line)
            frame = pa.RecordBatch.from_arrays([lines, *batch.columns], names=["__line", *names])
            frame = frame.filter(_not_blank(batch))
            self.con.register("incoming_batch", frame)
            self.execute(f"insert into {table} select * from incoming_batch")
            self.con.unregister("incoming_batch")
            rows += frame.num_rows
        if malformed:
            row, detail = malformed[0]
            self.problem(f"{shown}: line {_physical_line(path, row)}: {detail}")
        return rows

    # ----------------------------------------------------------------------- picking

    def pick(self, where: str, relation: Relation, ref: ColumnRef) -> Picked | None:
        """One column of a relation, or None after recording why not."""
        shown = relation.path
        if isinstance(ref, ColumnPick) and ref.position is not None:
            if ref.position > len(relation.header):
                self.problem(f"{where}: {shown} has {len(relation.header)} columns; there is no column "
                             f"{ref.position}")  # fmt: skip
                return None
            index = ref.position - 1
            name = relation.header[index]
            if not name:
                return Picked(relation, index, f"column {ref.position} (no name)", f"column {ref.position} (no name)")
            return Picked(relation, index, f"column {ref.position} ({name})", f"column {ref.position} ({name!r})")
        name = _ref_name(ref)
        positions = relation.positions(name)
        occurrence = ref.occurrence if isinstance(ref, ColumnPick) else 1
        if not positions:
            self.problem(f"{where}: column {name!r} is not in the header of {shown}{_near(name, [relation])}")
            return None
        if isinstance(ref, str) and len(positions) > 1:
            columns = " and ".join(str(p + 1) for p in positions)
            self.problem(
                f"{where}: column {name!r} appears {len(positions)} times in the header of {shown} "
                f"(columns {columns}); {_pick_hint(name, positions)}"
            )
            return None
        if occurrence > len(positions):
            self.problem(f"{where}: {shown} has {len(positions)} column(s) named {name!r}; there is no "
                         f"occurrence {occurrence}")  # fmt: skip
            return None
        index = positions[occurrence - 1]
        if len(positions) == 1:
            return Picked(relation, index, name, repr(name))
        return Picked(relation, index, f"{name} #{occurrence} (column {index + 1})",
                      f"{name!r} #{occurrence} (column {index + 1})")  # fmt: skip

    def pick_in(self, where: str, relations: list[Relation], ref: ColumnRef, file: str | None) -> Picked | None:
        """A column from one of a table's relations: `file`'s if given, else the one holding the name."""
        if file is not None:
            return self.pick(where, next(r for r in relations if r.declaration == file), ref)
        name = _ref_name(ref)
        if name is None:  # a position counts in the table's own rows
            return self.pick(where, relations[0], ref)
        holders = [r for r in relations if r.positions(name)]
        if len(holders) == 1:
            return self.pick(where, holders[0], ref)
        if not holders:
            files = ", ".join(r.path for r in relations)
            self.problem(f"{where}: column {name!r} is in none of {files}{_near(name, relations)}")
        else:
            names = " and ".join(r.declaration for r in holders)
            self.problem(f'{where}: column {name!r} is in {names}; say which with file = "..."')
        return None

    # ----------------------------------------------------------------------- rows kept

    def keep_rows(self) -> None:
        """`<alias>_kept`: rows left after the filters and the duplicate flag; `<alias>_removed`:
        rows the filters left out (their cases' devices and contacts go with them)."""
        for name, relation in self.relations.items():
            spec, alias, report = self.mapping.files[name], relation.alias, self.file_reports[name]
            params, conditions = Params(), []
            for i, rule in enumerate(spec.drop):
                picked = self.pick(f"files.{name}.drop.{i}.column", relation, rule.column)
                if picked is None:
                    continue
                tokens = params.add([normalise(v).lower() for v in rule.values])
                conditions.append(f"not coalesce(list_contains({tokens}, lower({_norm(picked.bare)})), false)")
                if rule.keep is not None:
                    self._undeclared(report, alias, picked, [*rule.values, *rule.keep],
                                     f"drop rule (files.{name}.drop.{i})", "values nor in keep")  # fmt: skip
            for i, rule in enumerate(spec.only):
                picked = self.pick(f"files.{name}.only.{i}.column", relation, rule.column)
                if picked is None:
                    continue
                tokens = params.add([normalise(v).lower() for v in rule.values])
                conditions.append(f"coalesce(list_contains({tokens}, lower({_norm(picked.bare)})), false)")
            flag = None
            if spec.duplicates is not None:
                flag = self.pick(f"files.{name}.duplicates.column", relation, spec.duplicates.column)
            if self.blocked:
                continue
            kept_sql = " and ".join(conditions) or "true"
            self.execute(f"create temp table {alias}_filtered as select * from {alias} where {kept_sql}", params.values)
            cases = self.mapping.tables.get(CASES.name)
            if cases is not None and cases.from_ == name:
                # The rows the filters leave out of the cases file: their cases' other rows follow.
                self.execute(
                    f"create temp table {alias}_removed as select * from {alias} where not ({kept_sql})",
                    params.values,
                )
            report.dropped = report.rows - self._count(f"{alias}_filtered")
            if flag is None:
                self.execute(f"create temp view {alias}_kept as select * from {alias}_filtered")
                continue
            params = Params()
            keep = params.add([normalise(v).lower() for v in spec.duplicates.keep])
            value = f"lower(coalesce({_norm(flag.bare)}, ''))"
            self._undeclared(
                report, f"{alias}_filtered", flag, [*spec.duplicates.keep, *spec.duplicates.drop],
                f"duplicate flag (files.{name}.duplicates)", "keep nor in drop",
            )  # fmt: skip
            self.execute(
                f"create temp table {alias}_kept as "
                f"select * from {alias}_filtered where list_contains({keep}, {value})",
                params.values,
            )
            report.duplicates_dropped = report.rows - report.dropped - self._count(f"{alias}_kept")
            if report.dropped or report.duplicates_dropped:
                self.progress(
                    f"adapt: {report.path} ({name}): {report.dropped:,} rows dropped by filters, "
                    f"{report.duplicates_dropped:,} repeat rows dropped"
                )

    def _count(self, table: str) -> int:
        return self.execute(f"select count(*) from {table}").fetchone()[0]

    def _undeclared(self, report: FileReport, table: str, picked: Picked, declared: list[str], what: str,
                    lists: str) -> None:  # fmt: skip
        """A problem for every value of a column in none of the declared lists (blank included)."""
        params = Params()
        known = params.add([normalise(v).lower() for v in declared])
        value = _norm(picked.bare)
        for value_text, count, lines in self.execute(
            f"""
            select {value} as found, count(*), list(__line order by __line)[1:{EXAMPLE_LINES}]
            from {table} where not list_contains({known}, lower(coalesce({value}, '')))
            group by found order by count(*) desc, found
            """,
            params.values,
        ).fetchall():
            shown = "blank" if value_text is None else repr(value_text)
            self.problem(
                f"{report.path}: line {lines[0]}: {what}: column {picked.described} value {shown} "
                f"({count} rows, lines {', '.join(map(str, lines))}) is neither in {lists}",
                blocking=False,
            )

    # ----------------------------------------------------------------------- table rows

    def table_rows(self, name: str, spec: TableSpec, details: TableReport) -> Relation | None:
        """`t_<name>_rows`: the from declaration's kept rows (and, for cases, the rows its filters
        left out, flagged), unpivoted and repeated by count when declared."""
        relation = self.relations[spec.from_]
        alias, rows = relation.alias, f"t_{name}_rows"
        removed = f" union all select false, *, 0, 0 from {alias}_removed" if name == CASES.name else ""
        self.execute(
            f"create temp table t_{name}_base as "
            f"select true as __kept, *, 0 as __block, 0 as __copy from {alias}_kept{removed}"
        )
        details.rows_read = self._count(f"t_{name}_base where __kept")
        current = Relation("r", relation.declaration, relation.path, list(relation.header), list(relation.columns))
        table = f"t_{name}_base"
        if spec.unpivot is not None:
            unpivoted = self.unpivot(name, spec, current, table, details)
            if unpivoted is None:
                return None
            current, table = unpivoted
        if spec.count is not None:
            counted = self.count(name, spec, current, table, details)
            if counted is None:
                return None
            table = counted
        self.execute(f"create temp view {rows} as select * from {table}")
        return Relation("r", current.declaration, current.path, current.header, current.columns)

    def unpivot(self, name: str, spec: TableSpec, relation: Relation, table: str,
                details: TableReport) -> tuple[Relation, str] | None:  # fmt: skip
        """Wide to long: one row per listed column (or block of columns) whose cells are not all blank."""
        unpivot, where = spec.unpivot, f"tables.{name}.unpivot"
        clash = [n for n in unpivot.new_names if relation.positions(n)]
        if clash:
            self.problem(f"{where}: {', '.join(map(repr, clash))} is already a column of {relation.path}; "
                         "give the new column another name")  # fmt: skip
            return None
        blocks: list[dict[str, Picked]] = []
        if unpivot.blocks:
            for b, block in enumerate(unpivot.blocks):
                picked = {key: self.pick(f"{where}.blocks.{b}.{key}", relation, ref) for key, ref in block.items()}
                blocks.append(picked)
        else:
            if unpivot.columns:
                refs = [(f"{where}.columns.{i}", ref) for i, ref in enumerate(unpivot.columns)]
            else:
                refs = [(f"{where}.columns_matching", ColumnPick(position=i + 1)) for i in
                        self._matching(relation, unpivot.columns_matching)]  # fmt: skip
                if not refs:
                    self.problem(f"{where}.columns_matching: {unpivot.columns_matching!r} matches no column name "
                                 f"of {relation.path}")  # fmt: skip
                    return None
            blocks = [{unpivot.values_to: self.pick(w, relation, ref)} for w, ref in refs]
        if any(p is None for block in blocks for p in block.values()):
            return None
        params = Params()
        tokens = params.add(null_tokens(self.mapping))
        width = len(blocks[0])
        # One pass over the rows: each row carries a list of its blocks, unnested into rows.
        structs = []
        for b, block in enumerate(blocks):
            label = str(b + 1) if unpivot.blocks else relation.header[next(iter(block.values())).index]
            fields = [f"b: {b}", f"name: {params.add(label)}::varchar"]
            fields += [f"v{k + 1}: {p.bare}" for k, p in enumerate(block.values())]
            structs.append("{" + ", ".join(fields) + "}")
        filled = " or ".join(f"not {is_blank_sql(f'__cell.v{k + 1}', tokens)}" for k in range(width))
        values = (["__cell.name as u0"] if unpivot.names_to else []) + [
            f"__cell.v{k + 1} as u{k + 1}" for k in range(width)
        ]
        long = f"t_{name}_long"
        self.execute(
            f"""
            create temp table {long} as
            select * exclude (__cell) replace (__cell.b as __block), {", ".join(values)}
            from (select *, unnest([{", ".join(structs)}]) as __cell from {table})
            where {filled}
            """,
            params.values,
        )
        keys = list(blocks[0])
        header = relation.header + ([unpivot.names_to] if unpivot.names_to else []) + keys
        columns = relation.columns + (["u0"] if unpivot.names_to else []) + [f"u{k + 1}" for k in range(len(keys))]
        details.unpivot = f"{len(blocks)} {'blocks' if unpivot.blocks else 'columns'} to {self._count(long):,} rows"
        return Relation("r", relation.declaration, relation.path, header, columns), long

    def _matching(self, relation: Relation, pattern: str) -> list[int]:
        """0-based positions of the header names the pattern matches in full (RE2, in DuckDB)."""
        found = self.execute(
            "select i - 1 from (select unnest($names) as name, generate_subscripts($names, 1) as i) "
            "where regexp_full_match(name, $pattern) order by i",
            {"names": relation.header, "pattern": pattern},
        ).fetchall()
        return [i for (i,) in found]

    def count(self, name: str, spec: TableSpec, relation: Relation, table: str, details: TableReport) -> str | None:
        """Each row repeated by its count (0 or blank: no row); a count that is not a whole
        number from 0 to MAX_COUNT stops the extract."""
        where = f"tables.{name}.count"
        picked = self.pick(where, relation, spec.count)
        if picked is None:
            return None
        params = Params()
        tokens = params.add(null_tokens(self.mapping))
        text = _norm(picked.bare)
        number = f"try_cast(try_cast({text} as double) as bigint)"
        self.execute(
            f"""
            create temp table t_{name}_numbered as
            select *, case
                when {is_blank_sql(picked.bare, tokens)} then 0
                when regexp_full_match({text}, '\\d{{1,9}}(\\.0+)?') and {number} <= {MAX_COUNT} then {number}
            end as __n
            from {table}
            """,
            params.values,
        )
        for value, rows, lines in self.execute(
            f"""
            select {text}, count(*), list(__line order by __line)[1:{EXAMPLE_LINES}]
            from t_{name}_numbered where __kept and __n is null
            group by all order by count(*) desc, 1 limit {EXAMPLE_VALUES}
            """
        ).fetchall():
            self.problem(
                f"{relation.path}: line {lines[0]}: column {picked.described} ({where}): value {value!r} is not a "
                f"whole number of rows from 0 to {MAX_COUNT} ({rows} rows, lines {', '.join(map(str, lines))})"
            )
        if self.blocked:
            return None
        counted = f"t_{name}_counted"
        self.execute(
            f"create temp table {counted} as select b.* exclude (__n, __copy), r.range as __copy "
            f"from t_{name}_numbered as b, range(coalesce(b.__n, 0)) as r(range)"
        )
        before, total = self._count(f"{table} where __kept"), self._count(f"{counted} where __kept")
        details.counted = f"by {picked.label}: {before:,} rows to {total:,}"
        return counted

    # ----------------------------------------------------------------------- tables

    def build_table(self, table_name: str) -> None:
        """`t_<table>_parsed`: one canonical table's rows, every column mapped, with coverage."""
        spec = self.mapping.tables[table_name]
        contract = TABLES_BY_NAME[table_name]
        sources = " + ".join([spec.from_, *(j.file for j in spec.join)]) if not spec.empty else "(empty)"
        details = TableReport(table_name, sources)
        self.report.table_details.append(details)
        if spec.empty:
            self.report.tables[table_name] = 0
            return
        if spec.from_ in self.absent:
            details.written = False
            self.progress(f"adapt: {table_name}: optional file {spec.from_!r} is not in this export; not written")
            return
        if any(f not in self.relations for f in [spec.from_, *(j.file for j in spec.join)]):
            return
        rows = self.table_rows(table_name, spec, details)
        if rows is None:
            return
        relations, joins = [rows], []
        for i, join in enumerate(spec.join):
            joined = self.relations[join.file]
            alias = f"j{i}"
            relation = Relation(alias, joined.declaration, joined.path, joined.header, joined.columns)
            relations.append(relation)
            pairs = []
            for k, (left, right) in enumerate(join.keys):
                where = f"tables.{table_name}.join.{i}.on" + ("" if isinstance(join.on, dict) else f".{k}")
                mine, theirs = self.pick(where, rows, left), self.pick(where, relation, right)
                if mine is not None and theirs is not None:
                    pairs.append((mine, theirs))
            if len(pairs) != len(join.keys):
                continue
            keys = ", ".join(theirs.bare for _, theirs in pairs)
            repeated = self.execute(
                f"""
                select count(*), min(first_line) from (
                    select min(__line) as first_line from {joined.alias}_kept group by {keys} having count(*) > 1
                )
                """
            ).fetchone()
            if repeated[0]:
                self.problem(
                    f"{joined.path}: line {repeated[1]}: {repeated[0]} key(s) of "
                    f"tables.{table_name}.join.{i} have more than one row after de-duplication, "
                    "so the join would repeat rows"
                )
            on = " and ".join(f"{mine.sql} = {theirs.sql}" for mine, theirs in pairs)
            joins.append(f"left join {joined.alias}_kept as {alias} on {on}")

        params = Params()
        kept = self._table_filters(table_name, spec, relations, " ".join(joins), params, details)
        cleaned, lines, plans = [f"{kept} as __kept", "r.__line", "r.__block", "r.__copy"], [], []
        for column_name, column_spec in spec.columns.items():
            where = f"tables.{table_name}.columns.{column_name}"
            column = contract.column(column_name)
            if column_spec.value is not None:
                value = f"{params.add(normalise(column_spec.value))}::varchar"
                label = f"constant {column_spec.value!r}"
                plan = _Plan(column_name, column, column_spec, spec.from_, rows.path, label, label)
                line = "r.__line"
            else:
                if column_spec.file is not None and column_spec.file not in [r.declaration for r in relations]:
                    self.problem(f"{where}.file: {column_spec.file!r} is not this table's from file or a joined file")
                    continue
                several = isinstance(column_spec.source, list)
                picked = [
                    self.pick_in(f"{where}.source" + (f".{i}" if several else ""), relations, ref, column_spec.file)
                    for i, ref in enumerate(column_spec.sources)
                ]
                if None in picked:
                    continue
                value = cleaned_sql([p.sql for p in picked], null_tokens(self.mapping, column_spec), params)
                # Example lines are those of the first source's file.
                first = picked[0]
                label = " | ".join(p.label for p in picked)
                described = first.described if len(picked) == 1 else repr(label)
                plan = _Plan(column_name, column, column_spec, first.relation.declaration, first.relation.path,
                             label, described)  # fmt: skip
                line = f"{first.relation.alias}.__line"
            cleaned.append(f"{value} as v{len(plans)}")
            lines.append(f"{line} as l{len(plans)}")
            plans.append(plan)
        if self.blocked:
            return
        self.execute(
            f"create temp table t_{table_name}_cleaned as select {', '.join(cleaned + lines)} "
            f"from t_{table_name}_rows as r {' '.join(joins)}",
            params.values,
        )
        self._map_and_parse(table_name, plans)
        if contract.case_reference:
            details.dropped_with_case = self._follow_dropped_cases(table_name, plans)
        self.report.tables[table_name] = details.rows = self._count(f"t_{table_name}_parsed where __kept")
        if table_name == CASES.name:
            self._dropped_cases(plans)
        self._coverage(table_name, plans)
        self.progress(f"adapt: {table_name}: {details.rows:,} rows mapped")

    def _table_filters(self, table_name: str, spec: TableSpec, relations: list[Relation], joins: str,
                       params: Params, details: TableReport) -> str:  # fmt: skip
        """The table's own `drop` and `only` rules, on columns of any of its files after the
        joins: the SQL that says whether a row stays. Counts what they leave out."""
        conditions = []
        rules = [("drop", i, rule) for i, rule in enumerate(spec.drop)]
        rules += [("only", i, rule) for i, rule in enumerate(spec.only)]
        for kind, i, rule in rules:
            where = f"tables.{table_name}.{kind}.{i}.column"
            picked = self.pick_in(where, relations, rule.column, None)
            if picked is None:
                continue
            tokens = params.add([normalise(v).lower() for v in rule.values])
            value = f"lower({_norm(picked.sql)})"
            if kind == "drop":
                conditions.append(f"not coalesce(list_contains({tokens}, {value}), false)")
            else:
                conditions.append(f"coalesce(list_contains({tokens}, {value}), false)")
            if kind == "drop" and rule.keep is not None:
                known = params.add([normalise(v).lower() for v in [*rule.values, *rule.keep]])
                found = _norm(picked.sql)
                for text, count, lines in self.execute(
                    f"""
                    select {found} as found, count(*), list(r.__line order by r.__line)[1:{EXAMPLE_LINES}]
                    from t_{table_name}_rows as r {joins}
                    where r.__kept and not list_contains({known}, lower(coalesce({found}, '')))
                    group by found order by count(*) desc, found
                    """,
                    params.values,
                ).fetchall():
                    shown = "blank" if text is None else repr(text)
                    # Lines are those of the table's rows; the column may be a joined file's.
                    joined = picked.relation is not relations[0]
                    column = picked.described + (f" of {picked.relation.path}" if joined else "")
                    self.problem(
                        f"{relations[0].path}: line {lines[0]}: drop rule (tables.{table_name}.drop.{i}): column "
                        f"{column} value {shown} ({count} rows, lines {', '.join(map(str, lines))}) is "
                        "neither in values nor in keep",
                        blocking=False,
                    )
        if not conditions or self.blocked:
            return "r.__kept"
        kept = " and ".join(conditions)
        details.filtered = self.execute(
            f"select count(*) from t_{table_name}_rows as r {joins} where r.__kept and not ({kept})", params.values
        ).fetchone()[0]
        return f"(r.__kept and {kept})"

    def _dropped_cases(self, plans: list[_Plan]) -> None:
        """`dropped_case_ids`: case ids of rows the cases file's filters left out, unless kept in another row."""
        index = next(i for i, p in enumerate(plans) if p.column_name == "case_id")
        self.execute(
            f"""
            create temp table dropped_case_ids as
            select c{index} as case_id from t_cases_parsed where not __kept and c{index} is not null
            except
            select c{index} from t_cases_parsed where __kept
            """
        )

    def _follow_dropped_cases(self, table_name: str, plans: list[_Plan]) -> int:
        """Rows whose case a filter left out go with it; returns how many."""
        exists = self.execute("select count(*) from duckdb_tables() where table_name = 'dropped_case_ids'").fetchone()[
            0
        ]
        index = next((i for i, p in enumerate(plans) if p.column_name == "case_id"), None)
        if not exists or index is None:
            return 0
        dropped = self.execute(
            f"update t_{table_name}_parsed set __kept = false "
            f"where __kept and c{index} in (select case_id from dropped_case_ids)"
        ).fetchone()[0]
        if dropped:
            self.progress(f"adapt: {table_name}: {dropped:,} rows dropped with their case")
        return dropped

    def _map_and_parse(self, table_name: str, plans: list[_Plan]) -> None:
        """Steps 3-5 of reading a value, each stage a struct per row so every expression is
        computed once: mapped text, then (for date-times) the naive local time and its two
        candidate instants, then the parsed value and its problem, then status and result."""
        t = f"t_{table_name}"
        params = Params()
        mapped = [f"m{i}: {mapped_sql(f'v{i}', p.spec, p.column, params)}" for i, p in enumerate(plans)]
        struct = f", {{{', '.join(mapped)}}} as m" if mapped else ""
        self.execute(f"create temp table {t}_mapped as select *{struct} from {t}_cleaned", params.values)
        stages = [f"{t}_cleaned", f"{t}_mapped"]
        stamps = [i for i, p in enumerate(plans) if p.column.type == "timestamp"]
        params = Params()
        if stamps:
            local = []
            for i in stamps:
                naive, aware = local_time_sql(f"m.m{i}", plans[i].spec.formats, params)
                local += [f"n{i}: {naive}", f"a{i}: {aware}"]
            self.execute(f"create temp table {t}_local as select *, {{{', '.join(local)}}} as z from {t}_mapped",
                         params.values)  # fmt: skip
            params = Params()
            zone = params.add(self.mapping.time.timezone)
            instants = [f"b{i}: fd_before(z.n{i}, {zone}), f{i}: fd_after(z.n{i}, {zone})" for i in stamps]
            self.execute(f"create temp table {t}_zoned as select *, {{{', '.join(instants)}}} as y from {t}_local",
                         params.values)  # fmt: skip
            stages += [f"{t}_local", f"{t}_zoned"]
            params = Params()
        values = []
        for i, p in enumerate(plans):
            if i in stamps:
                utc, problem = resolve_local_sql(f"z.n{i}", self.mapping.time, params, f"y.b{i}", f"y.f{i}")
                parsed = f"strftime(coalesce(z.a{i}, {utc}), '{TIMESTAMP_TEXT}')"
            else:
                parsed, problem = _parsed_sql(f"m.m{i}", p, params)
            values.append(f"q{i}: ({parsed})::varchar, r{i}: ({problem})::varchar")
        struct = f", {{{', '.join(values)}}} as q" if values else ""
        self.execute(f"create temp table {t}_values as select *{struct} from {stages[-1]}", params.values)
        stages.append(f"{t}_values")
        selects = ["__kept", "__line", "__block", "__copy"]
        for i, p in enumerate(plans):
            unknown = "'unknown'" if "unknown" in p.column.codes else "null"
            fallback = unknown if self.mapping.unmapped_policy(p.spec) == "unknown" else "null"
            selects.append(f"v{i}, l{i}")
            selects.append(
                f"case when v{i} is null then 'blank' when q.q{i} is not null then 'mapped' "
                f"else coalesce(q.r{i}, 'unmapped') end as s{i}"
            )
            selects.append(f"coalesce(q.q{i}, case when v{i} is not null then {fallback} end) as c{i}")
        self.execute(f"create temp table {t}_parsed as select {', '.join(selects)} from {t}_values")
        for stage in stages:  # the intermediate copies are not needed again
            self.execute(f"drop table {stage}")

    def _coverage(self, table_name: str, plans: list[_Plan]) -> None:
        for i, p in enumerate(plans):
            policy = self.mapping.unmapped_policy(p.spec)
            counts = dict(
                self.execute(f"select s{i}, count(*) from t_{table_name}_parsed where __kept group by all").fetchall()
            )
            coverage = ColumnCoverage(
                table_name, p.column_name, p.source_label, p.path, policy,
                mapped=counts.get("mapped", 0), blank=counts.get("blank", 0),
                unmapped=sum(v for k, v in counts.items() if k not in ("mapped", "blank")),
                declaration=p.declaration,
            )  # fmt: skip
            rows = self.execute(
                f"""
                select v{i}, s{i}, count(*), list(l{i} order by l{i})[1:{EXAMPLE_LINES}]
                from t_{table_name}_parsed where __kept and s{i} not in ('mapped', 'blank')
                group by all order by count(*) desc, v{i} limit {EXAMPLE_VALUES}
                """
            ).fetchall()
            coverage.unmapped_values = [UnmappedValue(v, n, list(lines), s) for v, s, n, lines in rows]
            self.report.columns.append(coverage)
            canonical = f"{table_name}.{p.column_name}"
            for item in coverage.unmapped_values:
                where = f"tables.{table_name}.columns.{p.column_name}"
                if item.problem in ("ambiguous", "nonexistent"):
                    self.problem(
                        f"{coverage.file}: line {item.lines[0]}: column {p.described} ({canonical}):"
                        f" local time {item.value!r} is {item.problem} in {self.mapping.time.timezone} "
                        f"({item.count} rows, lines {', '.join(map(str, item.lines))}); "
                        f'time.{item.problem} is "error"',
                        blocking=False,
                    )
                elif policy == "error":
                    self.problem(
                        f"{coverage.file}: line {item.lines[0]}: column {p.described} ({canonical}):"
                        f" value {item.value!r} is not covered by the mapping ({item.count} rows, lines "
                        f'{", ".join(map(str, item.lines))}); add it to {where} or set unmapped = "unknown"',
                        blocking=False,
                    )

    def write_table(self, table_name: str, out: Path) -> None:
        """The canonical CSV of one table: contract columns in contract order, rows in source order."""
        contract = TABLES_BY_NAME[table_name]
        spec = self.mapping.tables[table_name]
        positions = {name: i for i, name in enumerate(spec.columns)} if not spec.empty else {}
        columns = ", ".join(
            f"c{positions[c]} as {quote(c)}" if c in positions else f"null::varchar as {quote(c)}"
            for c in contract.column_names
        )
        query = (
            f"select {columns} from t_{table_name}_parsed where __kept order by {ORDER}"
            if not spec.empty
            else f"select {columns} where false"
        )
        target = str(out / contract.file_name).replace("'", "''")
        self.execute(f"copy ({query}) to '{target}' (header, delimiter ',', quote '\"')")


@dataclass
class _Plan:
    """One canonical column to make: its contract column, its mapping, and where it comes from."""

    column_name: str
    column: Column
    spec: ColumnSpec
    declaration: str
    path: str
    source_label: str
    described: str


def _parsed_sql(text: str, plan: _Plan, params: Params) -> tuple[str, str]:
    """(canonical text, problem) of a mapped value by its column's type (date-times apart)."""
    column, spec = plan.column, plan.spec
    if column.type == "date":
        return date_sql(text, spec.formats, params), "null"
    if column.type == "month":
        return date_sql(text, spec.formats, params, "%Y-%m"), "null"
    if column.type == "integer":
        return (f"case when regexp_full_match({text}, '-?\\d{{1,9}}(\\.0+)?') then "
                f"try_cast(try_cast({text} as double) as bigint)::varchar end"), "null"  # fmt: skip
    if column.type == "number":
        return f"case when regexp_full_match({text}, '-?\\d+(\\.\\d+)?') then {text} end", "null"
    return text, "null"


def _norm(column: str) -> str:
    return normalised_sql(column)


# --------------------------------------------------------------------------- manifest


def _fact_text(fact: ManifestFact, key: str, run: _Run, found: FactReport) -> str | None:
    """The text a sidecar line or a file name gives for one fact, matched in full; None after
    recording why not."""
    if fact.sidecar is not None:
        path = run.source / fact.sidecar
        if not run.inside(path):
            run.problem(f"manifest.{key}.sidecar: {fact.sidecar!r} resolves to a place outside the export "
                        f"folder {run.source}; refused (nothing outside the folder is read)")  # fmt: skip
            return None
        if not path.is_file():
            run.problem(f"manifest.{key}.sidecar: {fact.sidecar!r} is not a file in {run.source}")
            return None
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            run.problem(f"manifest.{key}.sidecar: {fact.sidecar!r} is larger than {MAX_SIDECAR_BYTES >> 20} MiB; "
                        "a sidecar is a small text file")  # fmt: skip
            return None
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig") if scan_file(path)[1] is None else raw.decode("cp1252", errors="replace")
        candidates, where = text.splitlines(), fact.sidecar
    else:
        if fact.file_name not in run.paths:
            run.problem(f"manifest.{key}.file_name: {fact.file_name!r} is not a file found under [files]")
            return None
        name = run.paths[fact.file_name].name
        candidates, where = [name], f"file name {name!r}"
    matches = run.execute(
        "select i, trim(regexp_extract(line, $pattern, 1)) from ("
        "select unnest($lines) as line, generate_subscripts($lines, 1) as i"
        ") where regexp_full_match(line, $pattern) order by i",
        {"lines": candidates or [""], "pattern": fact.pattern},
    ).fetchall()
    if not matches:
        whole = "any whole line of" if fact.sidecar is not None else "the whole"
        run.problem(f"manifest.{key}.pattern: {fact.pattern!r} does not match {whole} {where}")
        return None
    values = sorted({value for _, value in matches})
    if len(values) > 1:
        shown = ", ".join(f"line {i}: {value!r}" for i, value in matches[:EXAMPLE_LINES])
        run.problem(f"manifest.{key}.pattern: {fact.pattern!r} matches lines of {where} with different values "
                    f"({shown}); make the pattern match one line")  # fmt: skip
        return None
    found.found_in = f"{where} line {matches[0][0]}" if fact.sidecar is not None else where
    return values[0]


def _fact(fact: ManifestFact, key: str, run: _Run) -> tuple[str | None, FactReport]:
    found = FactReport(key, "the mapping (value)")
    run.report.facts.append(found)
    if fact.value is not None:
        text = fact.value
    else:
        text = _fact_text(fact, key, run, found)
    found.text = text
    return text, found


def _moment(text: str, fact: ManifestFact, run: _Run, found: FactReport) -> str | None:
    """extracted_at as ISO 8601 in UTC: the first declared format that reads the whole text,
    by the same parser as date-time columns; without formats, ISO 8601 with an offset."""
    if not fact.formats:
        moment = parse_timestamp(text)
        if moment is None:
            run.problem(f"manifest.extracted_at: {_short(text)!r} is not ISO 8601 with an offset; declare its format")
            return None
        return moment.isoformat()
    for fmt in fact.formats:
        params = Params()
        naive, aware = local_time_sql("$text::varchar", [fmt], params)
        utc, problem = resolve_local_sql(f"({naive})", run.mapping.time, params)
        params.values["text"] = text
        value, trouble = run.execute(f"select coalesce({aware}, {utc}), {problem}", params.values).fetchone()
        if trouble is not None:
            rule = run.mapping.time
            run.problem(f"manifest.extracted_at: {_short(text)!r} with format {fmt!r}: local time is {trouble} in "
                        f'{rule.timezone}; time.{trouble} is "error"')  # fmt: skip
            return None
        if value is not None:
            found.format = fmt
            return value.replace(tzinfo=UTC).isoformat()
    tried = ", ".join(map(repr, fact.formats))
    run.problem(f"manifest.extracted_at: {_short(text)!r} is not read by any declared format ({tried})")
    return None


def manifest_of(mapping: Mapping, run: _Run) -> dict | None:
    """The canonical manifest from the mapping's declared facts, each checked."""
    force, force_found = _fact(mapping.manifest.force_code, "force_code", run)
    if force is not None:
        if FORCE_CODE.fullmatch(force):
            force_found.value = force
        else:
            run.problem(f"manifest.force_code: {_short(force)!r} (from {force_found.found_in}) is not 2-8 upper-case "
                        "letters or digits")  # fmt: skip
            force = None
    text, at_found = _fact(mapping.manifest.extracted_at, "extracted_at", run)
    moment = None if text is None else _moment(text, mapping.manifest.extracted_at, run, at_found)
    at_found.value = moment
    if force is None or moment is None:
        return None
    run.report.force_code, run.report.extracted_at = force, moment
    return {
        "extracted_at": moment,
        "force_code": force,
        "schema_version": SCHEMA_VERSION,
        "source_system": mapping.source_system,
    }


# --------------------------------------------------------------------------- entry point


def _overlap(out: Path, source: Path) -> str | None:
    """Why `out` may not be used beside `source`, or None."""
    try:
        out_real, source_real = out.resolve(), source.resolve()
    except (OSError, RuntimeError) as error:
        return f"cannot resolve the output folder {out}: {error}"
    if out_real == source_real:
        return f"the output folder {out} is the source folder {source}"
    if out_real in source_real.parents:
        return f"the output folder {out} contains the source folder {source}"
    if source_real in out_real.parents:
        return f"the output folder {out} is inside the source folder {source}"
    return None


def adapt(
    mapping_path: Path,
    source: Path,
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> AdaptReport:
    """Adapt one raw export. With `out`, write the canonical extract there when nothing is
    wrong, and the coverage report (JSON and markdown) in every case; without, a dry run.
    An `out` that is, holds or lies inside the source folder is refused and nothing is written."""
    mapping_path, source = Path(mapping_path), Path(source)
    digest = sha256_of(mapping_path) if mapping_path.is_file() else ""
    report = AdaptReport(str(mapping_path), digest, str(source))
    if out is not None:
        overlap = _overlap(Path(out), source)
        if overlap is not None:
            report.problems.append(f"{overlap}; choose a folder outside it (nothing was written)")
            return report
    try:
        mapping = load_mapping(mapping_path)
    except MappingError as error:
        report.problems.extend(str(error).splitlines())
        report.mapping_error = True
        _write_reports(report, out)
        return report
    report.source_system = mapping.source_system
    with tempfile.TemporaryDirectory(prefix="flightdeck-adapt-") as work:
        run = _Run(mapping, source, report, Path(work), progress)
        try:
            run.resolve_files()
            manifest = manifest_of(mapping, run)
            # Value problems do not stop the later steps, so one run reports every column.
            if not run.blocked:
                run.load_files()
            if not run.blocked:
                run.keep_rows()
            for table in TABLES:
                if not run.blocked and table.name in mapping.tables:
                    run.build_table(table.name)
            if out is not None and report.ok and manifest is not None:
                _write_extract(run, manifest, Path(out))
        finally:
            run.con.close()
    _write_reports(report, out)
    return report


def _write_extract(run: _Run, manifest: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for details in run.report.table_details:
        if details.written:
            run.write_table(details.table, out)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _write_reports(report: AdaptReport, out: Path | None) -> None:
    if out is None:
        return
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT_JSON).write_text(report.to_json())
    (out / REPORT_MARKDOWN).write_text(report.to_markdown())


def _physical_line(path: Path, row: int) -> int:
    """The line Arrow's row `row` starts on (its rows are counted from the top of the file, each
    ended by a line break outside quotes), counting line breaks inside quoted values; read in blocks."""
    import numpy as np

    wanted, seen, breaks_before, inside = row - 1, 0, 0, False
    if wanted <= 0:
        return 1
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_SIZE):
            data = np.frombuffer(block, dtype=np.uint8)
            quoted = np.logical_xor.accumulate(data == ord('"')) ^ inside
            newlines = np.flatnonzero(data == ord("\n"))
            ends = newlines[~quoted[newlines]]
            if seen + len(ends) >= wanted:
                return breaks_before + int(np.searchsorted(newlines, ends[wanted - seen - 1])) + 2
            seen, breaks_before, inside = seen + len(ends), breaks_before + len(newlines), bool(quoted[-1])
    return row


def _not_blank(batch: pa.RecordBatch) -> pa.Array:
    """Records with any value: a blank line reads as a record of empty values (so does a line of
    separators only, which holds no more)."""
    import pyarrow.compute as pc

    filled = None
    for column in batch.columns:
        has = pc.greater(pc.binary_length(column), 0)
        filled = has if filled is None else pc.or_(filled, has)
    return filled if filled is not None else pa.array([True] * batch.num_rows)


def _line_numbers(batch: pa.RecordBatch, first_line: int) -> tuple[pa.Array, int]:
    """The physical line each record of an Arrow batch starts on, counting line breaks inside quoted
    values (used by the force adapters' own reader of raw exports)."""
    import pyarrow.compute as pc

    breaks = None
    for column in batch.columns:
        counted = pc.fill_null(pc.count_substring(column, "\n"), 0)
        breaks = counted if breaks is None else pc.add(breaks, counted)
    breaks = pc.cast(breaks, pa.int64())
    spans = pc.add(breaks, 1)
    ends = pc.cumulative_sum(spans)
    starts = pc.add(pc.subtract(ends, spans), first_line)
    last = first_line + (pc.sum(spans).as_py() or 0)
    return starts, last
