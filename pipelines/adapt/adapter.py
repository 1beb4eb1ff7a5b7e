"""Run a mapping over a raw export: load its files, map every column in DuckDB, report
coverage, and write a canonical extract folder.

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
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from pipelines.adapt.mapping import ColumnSpec, ManifestFact, Mapping, MappingError, load_mapping
from pipelines.adapt.parsers import (
    TIME_MACROS,
    TIMESTAMP_TEXT,
    Params,
    cleaned_sql,
    date_sql,
    local_time_sql,
    local_to_utc,
    mapped_sql,
    normalise,
    normalised_sql,
    null_tokens,
    quote,
    resolve_local_sql,
)
from pipelines.contract import TABLES, TABLES_BY_NAME
from pipelines.extracts import parse_timestamp, scan_file, sha256_of
from pipelines.staging import _line_numbers

BLOCK_SIZE = 16 << 20
EXAMPLE_LINES = 3
EXAMPLE_VALUES = 20
REPORT_JSON, REPORT_MARKDOWN = "adapt_report.json", "adapt_report.md"


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


@dataclass
class FileReport:
    """One source file as read."""

    name: str
    path: str
    sha256: str = ""
    encoding: str = ""
    rows: int = 0
    dropped: int = 0
    duplicates_dropped: int = 0


@dataclass
class AdaptReport:
    """Everything an adaptation found: files, coverage per column, and problems."""

    mapping: str
    mapping_sha256: str
    source: str
    source_system: str | None = None
    force_code: str | None = None
    extracted_at: str | None = None
    files: list[FileReport] = field(default_factory=list)
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
        """The report for people: files, then per column mapped / unmapped / blank, then problems."""
        lines = [
            f"# Adapter coverage: {self.force_code or '?'} {self.extracted_at or ''}".rstrip(),
            "",
            f"Mapping `{self.mapping}` (sha256 {self.mapping_sha256[:12]}), source `{self.source}`.",
            "",
            "| file | encoding | rows | dropped by rules | repeat rows dropped |",
            "|---|---|---|---|---|",
        ]
        lines += [f"| {f.path} | {f.encoding} | {f.rows} | {f.dropped} | {f.duplicates_dropped} |" for f in self.files]
        lines += ["", "| table.column | source | policy | mapped | unmapped | blank |", "|---|---|---|---|---|---|"]
        for c in self.columns:
            lines.append(
                f"| {c.table}.{c.column} | {c.source} | {c.policy} | {c.mapped} | {c.unmapped} | {c.blank} |"
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
    target = work / f"{path.name}.utf8"
    transcode(path, target)
    return target, encoding


# --------------------------------------------------------------------------- loading


class _Run:
    """One adaptation: a DuckDB connection, the report, and the loaded files."""

    def __init__(self, mapping: Mapping, source: Path, report: AdaptReport, work: Path, progress) -> None:
        self.mapping, self.source, self.report, self.work = mapping, source, report, work
        self.progress = progress or (lambda message: None)
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute(TIME_MACROS)
        self.paths: dict[str, Path] = {}
        self.headers: dict[str, list[str]] = {}
        self.aliases = {name: f"f{i}" for i, name in enumerate(mapping.files)}
        self.blocked = False

    def execute(self, query: str, params: dict | None = None):
        """Run a query with the parameters it names (DuckDB refuses unused ones)."""
        used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", query)}
        return self.con.execute(query, used)

    def problem(self, message: str, blocking: bool = True) -> None:
        """Record a problem; a blocking one (structure, not values) stops the later steps."""
        self.report.problems.append(message)
        self.blocked = self.blocked or blocking

    def resolve_files(self) -> None:
        for name, spec in self.mapping.files.items():
            matches = sorted(p for p in self.source.glob(spec.path) if p.is_file())
            if len(matches) != 1:
                found = "no file" if not matches else f"{len(matches)} files ({', '.join(p.name for p in matches)})"
                self.problem(f"files.{name}.path: {spec.path!r} matches {found} in {self.source}")
                continue
            self.paths[name] = matches[0]
            self.report.files.append(FileReport(name, matches[0].name, sha256_of(matches[0])))

    def referenced_columns(self) -> dict[str, dict[str, str]]:
        """{file: {column: where it is used}} for every source column the mapping names."""
        used: dict[str, dict[str, str]] = {name: {} for name in self.mapping.files}
        for name, spec in self.mapping.files.items():
            for i, rule in enumerate(spec.drop):
                used[name].setdefault(rule.column, f"files.{name}.drop.{i}.column")
            if spec.duplicates:
                used[name].setdefault(spec.duplicates.column, f"files.{name}.duplicates.column")
        for table_name, table in self.mapping.tables.items():
            for i, join in enumerate(table.join):
                for left, right in join.on.items():
                    used[table.from_].setdefault(left, f"tables.{table_name}.join.{i}.on")
                    used[join.file].setdefault(right, f"tables.{table_name}.join.{i}.on")
        return used

    def load_files(self) -> None:
        used = self.referenced_columns()
        for report in self.report.files:
            name, path, spec = report.name, self.paths[report.name], self.mapping.files[report.name]
            try:
                readable, report.encoding = readable_file(path, spec.encoding, self.work)
            except ValueError as error:
                self.problem(f"{path.name}: {error}")
                continue
            with readable.open(encoding="utf-8-sig", newline="") as handle:
                header = next(csv.reader(handle, delimiter=spec.delimiter), [])
            self.headers[name] = header
            duplicated = sorted({c for c in header if header.count(c) > 1})
            if duplicated:
                self.problem(f"{path.name}: line 1: column name(s) {', '.join(map(repr, duplicated))} appear twice")
                continue
            for column, where in used[name].items():
                if column not in header:
                    self.problem(f"{where}: column {column!r} is not in the header of {path.name}")
            report.rows = self._load(name, readable, spec.delimiter, header)
            self.progress(f"adapt: {path.name}: {report.rows:,} rows ({report.encoding})")

    def _load(self, name: str, path: Path, delimiter: str, header: list[str]) -> int:
        """All columns as text with the physical line each record starts on."""
        alias = self.aliases[name]
        columns = ", ".join(f"{quote(c)} varchar" for c in header)
        self.execute(f"create table {alias} (__line bigint, {columns})")
        malformed: list[str] = []

        def on_invalid_row(row) -> str:
            malformed.append(f"line {row.number}: record has {row.actual_columns} fields, the header has "
                             f"{row.expected_columns}")  # fmt: skip
            return "skip"

        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=BLOCK_SIZE, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid_row
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=False
            ),
        )
        next_line, rows = 2, 0
        for batch in reader:
            lines, next_line = _line_numbers(batch, next_line)
            frame = pa.RecordBatch.from_arrays([lines, *batch.columns], names=["__line", *header])
            self.con.register("incoming_batch", frame)
            self.execute(f"insert into {alias} select * from incoming_batch")
            self.con.unregister("incoming_batch")
            rows += batch.num_rows
        if malformed:
            self.problem(f"{path.name.removesuffix('.utf8')}: {malformed[0]}")
        return rows

    # ----------------------------------------------------------------------- rows kept

    def keep_rows(self) -> None:
        """`<alias>_kept`: rows left after the drop rules and the duplicate flag."""
        for report in self.report.files:
            name = report.name
            if name not in self.headers:
                continue
            spec, alias, params = self.mapping.files[name], self.aliases[name], Params()
            header = self.headers[name]
            conditions = []
            for i, rule in enumerate(spec.drop):
                if rule.column in header:
                    tokens = params.add([normalise(v).lower() for v in rule.values])
                    value = f"lower({_norm(rule.column)})"
                    conditions.append(f"not coalesce(list_contains({tokens}, {value}), false)")
                    if rule.keep is not None:
                        self._undeclared(report, alias, rule.column, [*rule.values, *rule.keep],
                                         f"drop rule (files.{name}.drop.{i})", "values nor in keep")  # fmt: skip
            dropped_sql = " and ".join(conditions) or "true"
            self.execute(
                f"create temp table {alias}_undropped as select * from {alias} where {dropped_sql}", params.values
            )
            report.dropped = report.rows - self.execute(f"select count(*) from {alias}_undropped").fetchone()[0]
            flag = spec.duplicates
            if flag is None or flag.column not in header:
                self.execute(f"create temp view {alias}_kept as select * from {alias}_undropped")
                continue
            params = Params()
            keep = params.add([normalise(v).lower() for v in flag.keep])
            value = f"lower(coalesce({_norm(flag.column)}, ''))"
            self._undeclared(
                report, f"{alias}_undropped", flag.column, [*flag.keep, *flag.drop],
                f"duplicate flag (files.{name}.duplicates)", "keep nor in drop",
            )  # fmt: skip
            self.execute(
                f"create temp table {alias}_kept as "
                f"select * from {alias}_undropped where list_contains({keep}, {value})",
                params.values,
            )
            kept = self.execute(f"select count(*) from {alias}_kept").fetchone()[0]
            report.duplicates_dropped = report.rows - report.dropped - kept
            if report.dropped or report.duplicates_dropped:
                self.progress(
                    f"adapt: {report.path}: {report.dropped:,} rows dropped by rules, "
                    f"{report.duplicates_dropped:,} repeat rows dropped"
                )

    def _undeclared(
        self, report: FileReport, table: str, column: str, declared: list[str], what: str, lists: str
    ) -> None:
        """A problem for every value of `column` in none of the declared lists (blank included)."""
        params = Params()
        known = params.add([normalise(v).lower() for v in declared])
        for value_text, count, lines in self.execute(
            f"""
            select {_norm(column)} as found, count(*), list(__line order by __line)[1:{EXAMPLE_LINES}]
            from {table} where not list_contains({known}, lower(coalesce({_norm(column)}, '')))
            group by found order by count(*) desc, found
            """,
            params.values,
        ).fetchall():
            shown = "blank" if value_text is None else repr(value_text)
            self.problem(
                f"{report.path}: line {lines[0]}: {what}: column {column!r} value {shown} "
                f"({count} rows, lines {', '.join(map(str, lines))}) is neither in {lists}",
                blocking=False,
            )

    # ----------------------------------------------------------------------- tables

    def file_of(self, where: str, files: list[str], spec: ColumnSpec, source: str) -> str | None:
        """The file a source column is read from: the column's `file`, else the one file holding it."""
        if spec.file is not None:
            if spec.file not in files:
                self.problem(f"{where}.file: {spec.file!r} is not this table's from file or a joined file")
                return None
            if source not in self.headers.get(spec.file, [source]):
                self.problem(f"{where}.source: column {source!r} is not in the header of {self._path(spec.file)}")
                return None
            return spec.file
        holders = [f for f in files if source in self.headers.get(f, [])]
        if len(holders) == 1:
            return holders[0]
        if not holders:
            self.problem(
                f"{where}.source: column {source!r} is in none of {', '.join(self._path(f) for f in files)}"
            )
        else:
            self.problem(
                f"{where}.source: column {source!r} is in {' and '.join(holders)}; say which with file = \"...\""
            )
        return None

    def _path(self, name: str) -> str:
        return self.paths[name].name if name in self.paths else name

    def build_table(self, table_name: str) -> None:
        spec = self.mapping.tables[table_name]
        contract = TABLES_BY_NAME[table_name]
        if spec.empty:
            self.report.tables[table_name] = 0
            return
        files = [spec.from_, *(j.file for j in spec.join)]
        if any(f not in self.headers for f in files):
            return
        base = self.aliases[spec.from_]
        joins = []
        for i, join in enumerate(spec.join):
            alias = self.aliases[join.file]
            on = " and ".join(f"{base}.{quote(left)} = {alias}.{quote(right)}" for left, right in join.on.items())
            keys = ", ".join(quote(right) for right in join.on.values())
            repeated = self.execute(
                f"""
                select count(*), min(first_line) from (
                    select min(__line) as first_line from {alias}_kept group by {keys} having count(*) > 1
                )
                """
            ).fetchone()
            if repeated[0]:
                self.problem(
                    f"{self._path(join.file)}: line {repeated[1]}: {repeated[0]} key(s) of "
                    f"tables.{table_name}.join.{i} have more than one row after de-duplication, "
                    "so the join would repeat rows"
                )
            joins.append(f"left join {alias}_kept as {alias} on {on}")

        params = Params()
        cleaned, lines = [f"{base}.__line as __line"], []
        plans = []
        for column_name, column_spec in spec.columns.items():
            where = f"tables.{table_name}.columns.{column_name}"
            column = contract.column(column_name)
            if column_spec.value is not None:
                value = f"{params.add(normalise(column_spec.value))}::varchar"
                source_file, source_label, line = spec.from_, f"constant {column_spec.value!r}", f"{base}.__line"
            else:
                holders = [self.file_of(where, files, column_spec, source) for source in column_spec.sources]
                if None in holders:
                    continue
                sources = [f"{self.aliases[h]}.{quote(s)}" for h, s in zip(holders, column_spec.sources, strict=True)]
                value = cleaned_sql(sources, null_tokens(self.mapping, column_spec), params)
                # Example lines are those of the first source's file.
                source_file, source_label = holders[0], " | ".join(column_spec.sources)
                line = f"{self.aliases[holders[0]]}.__line"
            index = len(plans)
            cleaned.append(f"{value} as v{index}")
            lines.append(f"{line} as l{index}")
            plans.append((column_name, column, column_spec, source_file, source_label))
        if self.blocked:
            return
        self.execute(
            f"create temp table {table_name}_cleaned as select {', '.join(cleaned + lines)} "
            f"from {base}_kept as {base} {' '.join(joins)}",
            params.values,
        )
        self._map_and_parse(table_name, plans)
        self.progress(f"adapt: {table_name}: {self.report.tables[table_name]:,} rows mapped")

    def _map_and_parse(self, table_name: str, plans: list) -> None:
        params = Params()
        mapped = [
            f"m{i}: {mapped_sql(f'v{i}', spec, column, params)}" for i, (_, column, spec, _, _) in enumerate(plans)
        ]
        # Step 3-4 into a struct per row keeps each expression computed once.
        self.execute(
            f"create temp table {table_name}_mapped as select *, {{{', '.join(mapped)}}} as m "
            f"from {table_name}_cleaned",
            params.values,
        )
        params = Params()
        parsed, problems = [], []
        for i, (_, column, spec, _, _) in enumerate(plans):
            text = f"m.m{i}"
            if column.type == "date":
                parsed.append(date_sql(text, spec.formats, params))
                problems.append("null")
            elif column.type == "month":
                parsed.append(date_sql(text, spec.formats, params, "%Y-%m"))
                problems.append("null")
            elif column.type == "timestamp":
                naive, aware = local_time_sql(text, spec.formats, params)
                utc, problem = resolve_local_sql(f"({naive})", self.mapping.time, params)
                parsed.append(f"strftime(coalesce({aware}, {utc}), '{TIMESTAMP_TEXT}')")
                problems.append(problem)
            elif column.type == "integer":
                parsed.append(f"case when regexp_full_match({text}, '-?\\d{{1,9}}(\\.0+)?') then "
                              f"try_cast(try_cast({text} as double) as bigint)::varchar end")  # fmt: skip
                problems.append("null")
            elif column.type == "number":
                parsed.append(f"case when regexp_full_match({text}, '-?\\d+(\\.\\d+)?') then {text} end")
                problems.append("null")
            else:
                parsed.append(text)
                problems.append("null")
        selects = ["__line"]
        for i, (_, column, spec, _, _) in enumerate(plans):
            unknown = "'unknown'" if "unknown" in column.codes else "null"
            policy = self.mapping.unmapped_policy(spec)
            selects.append(f"v{i}, l{i}")
            selects.append(
                f"case when v{i} is null then 'blank' when ({parsed[i]}) is not null then 'mapped' "
                f"else coalesce({problems[i]}, 'unmapped') end as s{i}"
            )
            selects.append(
                f"coalesce({parsed[i]}, case when v{i} is not null then {unknown if policy == 'unknown' else 'null'} "
                "end) as c{i}".replace("{i}", str(i))
            )
        self.execute(
            f"create temp table {table_name}_parsed as select {', '.join(selects)} from {table_name}_mapped",
            params.values,
        )
        self.report.tables[table_name] = self.execute(f"select count(*) from {table_name}_parsed").fetchone()[0]
        self._coverage(table_name, plans)

    def _coverage(self, table_name: str, plans: list) -> None:
        for i, (column_name, _, spec, source_file, source_label) in enumerate(plans):
            policy = self.mapping.unmapped_policy(spec)
            counts = dict(
                self.execute(f"select s{i}, count(*) from {table_name}_parsed group by all").fetchall()
            )
            coverage = ColumnCoverage(
                table_name, column_name, source_label, self._path(source_file), policy,
                mapped=counts.get("mapped", 0), blank=counts.get("blank", 0),
                unmapped=sum(v for k, v in counts.items() if k not in ("mapped", "blank")),
            )  # fmt: skip
            rows = self.execute(
                f"""
                select v{i}, s{i}, count(*), list(l{i} order by l{i})[1:{EXAMPLE_LINES}]
                from {table_name}_parsed where s{i} not in ('mapped', 'blank')
                group by all order by count(*) desc, v{i} limit {EXAMPLE_VALUES}
                """
            ).fetchall()
            coverage.unmapped_values = [UnmappedValue(v, n, list(lines), s) for v, s, n, lines in rows]
            self.report.columns.append(coverage)
            canonical = f"{table_name}.{column_name}"
            for item in coverage.unmapped_values:
                where = f"tables.{table_name}.columns.{column_name}"
                if item.problem in ("ambiguous", "nonexistent"):
                    rule = "ambiguous" if item.problem == "ambiguous" else "nonexistent"
                    self.problem(
                        f"{coverage.file}: line {item.lines[0]}: column {coverage.source!r} ({canonical}):"
                        f" local time {item.value!r} is {item.problem} in {self.mapping.time.timezone} "
                        f"({item.count} rows, lines {', '.join(map(str, item.lines))}); time.{rule} is \"error\"",
                        blocking=False,
                    )
                elif policy == "error":
                    self.problem(
                        f"{coverage.file}: line {item.lines[0]}: column {coverage.source!r} ({canonical}):"
                        f" value {item.value!r} is not covered by the mapping ({item.count} rows, lines "
                        f"{', '.join(map(str, item.lines))}); add it to {where} or set unmapped = \"unknown\"",
                        blocking=False,
                    )

    def write_table(self, table_name: str, out: Path) -> None:
        contract = TABLES_BY_NAME[table_name]
        spec = self.mapping.tables[table_name]
        positions = {name: i for i, name in enumerate(spec.columns)} if not spec.empty else {}
        columns = ", ".join(
            f"c{positions[c]} as {quote(c)}" if c in positions else f"null::varchar as {quote(c)}"
            for c in contract.column_names
        )
        query = (
            f"select {columns} from {table_name}_parsed order by __line"
            if not spec.empty
            else f"select {columns} where false"
        )
        target = str(out / contract.file_name).replace("'", "''")
        self.execute(f"copy ({query}) to '{target}' (header, delimiter ',', quote '\"')")


def _norm(column: str) -> str:
    return normalised_sql(quote(column))


# --------------------------------------------------------------------------- manifest


def manifest_fact(fact: ManifestFact, key: str, source: Path, run: _Run) -> str | None:
    """One manifest fact as text, or None after recording why not."""
    if fact.value is not None:
        return fact.value
    if fact.sidecar is not None:
        path = source / fact.sidecar
        if not path.is_file():
            run.problem(f"manifest.{key}.sidecar: {fact.sidecar!r} is not in {source}")
            return None
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig") if scan_file(path)[1] is None else raw.decode("cp1252", errors="replace")
        where = fact.sidecar
    else:
        if fact.file_name not in run.paths:
            run.problem(f"manifest.{key}.file_name: {fact.file_name!r} is not a file found under [files]")
            return None
        text, where = run.paths[fact.file_name].name, f"file name {run.paths[fact.file_name].name!r}"
    found = re.search(fact.pattern, text)
    if not found:
        run.problem(f"manifest.{key}.pattern: {fact.pattern!r} is not found in {where}")
        return None
    return found.group(1).strip()


def manifest_of(mapping: Mapping, source: Path, run: _Run) -> dict | None:
    """The canonical manifest from the mapping's declared facts."""
    force = manifest_fact(mapping.manifest.force_code, "force_code", source, run)
    text = manifest_fact(mapping.manifest.extracted_at, "extracted_at", source, run)
    if force is None or text is None:
        return None
    fact = mapping.manifest.extracted_at
    if fact.format is None:
        moment = parse_timestamp(text)
        if moment is None:
            run.problem(f"manifest.extracted_at: {text!r} is not ISO 8601 with an offset; declare its format")
            return None
    else:
        try:
            moment = local_to_utc(datetime.strptime(text, fact.format), mapping.time)
        except ValueError as error:
            run.problem(f"manifest.extracted_at: {text!r} with format {fact.format!r}: {error}")
            return None
    run.report.force_code, run.report.extracted_at = force, moment.isoformat()
    return {
        "extracted_at": moment.isoformat(),
        "force_code": force,
        "schema_version": "1.0",
        "source_system": mapping.source_system,
    }


# --------------------------------------------------------------------------- entry point


def adapt(
    mapping_path: Path,
    source: Path,
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> AdaptReport:
    """Adapt one raw export. With `out`, write the canonical extract there when nothing is
    wrong, and the coverage report (JSON and markdown) in every case; without, a dry run."""
    mapping_path, source = Path(mapping_path), Path(source)
    digest = sha256_of(mapping_path) if mapping_path.is_file() else ""
    report = AdaptReport(str(mapping_path), digest, str(source))
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
            manifest = manifest_of(mapping, source, run)
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
    for table in TABLES:
        if table.name in run.mapping.tables:
            run.write_table(table.name, out)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _write_reports(report: AdaptReport, out: Path | None) -> None:
    if out is None:
        return
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT_JSON).write_text(report.to_json())
    (out / REPORT_MARKDOWN).write_text(report.to_markdown())


def clear_folder(folder: Path) -> None:
    """Remove a folder's contents (the adapted area is rebuilt from scratch each run)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
