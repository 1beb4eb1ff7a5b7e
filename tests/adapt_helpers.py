"""Small raw exports written by hand, adapted, and read back."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.adapt.adapter import AdaptReport, adapt

HEAD = """
source_system = "test system"

[manifest]
force_code = {{ value = "TESTF" }}
extracted_at = {{ value = "2026-10-31T23:00:00Z" }}

[time]
timezone = "Europe/London"
ambiguous = "{ambiguous}"
nonexistent = "{nonexistent}"

[defaults]
null = ["#N/A", "NULL", "-", "Not recorded"]
unmapped = "{unmapped}"

[files.crimes]
path = "crimes.csv"
encoding = "{encoding}"

[tables.devices]
empty = true

[tables.contacts]
empty = true

[tables.cases]
from = "crimes"

[tables.cases.columns]
case_id = {{ source = "Ref" }}
offence_code = {{ value = "19C" }}
reported_date = {{ value = "2026-01-01", formats = ["%Y-%m-%d"] }}
"""


def adapt_rows(
    tmp_path: Path,
    columns: str,
    crimes: str | bytes,
    *,
    extra: str = "",
    unmapped: str = "error",
    encoding: str = "utf-8",
    ambiguous: str = "error",
    nonexistent: str = "error",
    files: dict[str, str | bytes] | None = None,
    crimes_options: str = "",
    manifest: str | None = None,
    crimes_name: str = "crimes.csv",
) -> tuple[AdaptReport, list[dict]]:
    """Adapt a crimes.csv (text or bytes) with the test mapping plus `columns` (TOML lines
    under [tables.cases.columns]) and `extra` TOML; return the report and the cases rows."""
    source = tmp_path / "raw"
    source.mkdir(exist_ok=True)
    mapping = HEAD.format(unmapped=unmapped, encoding=encoding, ambiguous=ambiguous, nonexistent=nonexistent)
    if crimes_options:
        mapping = mapping.replace(f'encoding = "{encoding}"\n', f'encoding = "{encoding}"\n{crimes_options}\n')
    if manifest is not None:
        mapping = mapping.replace(
            'force_code = { value = "TESTF" }\nextracted_at = { value = "2026-10-31T23:00:00Z" }\n', manifest
        )
    if crimes_name != "crimes.csv":
        mapping = mapping.replace('path = "crimes.csv"', f'path = "{crimes_name}"')
    if "case_id =" in columns:
        mapping = mapping.replace('case_id = { source = "Ref" }\n', "")
    if "[tables.cases.columns.offence_code]" in extra:
        mapping = mapping.replace('offence_code = { value = "19C" }\n', "")
    if "[tables.devices.columns]" in extra:
        mapping = mapping.replace("[tables.devices]\nempty = true", '[tables.devices]\nfrom = "devices"')
    (source / "mapping.toml").write_text(mapping + columns + "\n" + extra, encoding="utf-8")
    for name, content in {crimes_name: crimes, **(files or {})}.items():
        path = source / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    report = adapt(source / "mapping.toml", source, out)
    rows = []
    if (out / "cases.csv").exists():
        with (out / "cases.csv").open(encoding="utf-8", newline="") as handle:
            rows = [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]
    return report, rows


def coverage(report: AdaptReport, column: str) -> tuple[int, int, int]:
    """(mapped, unmapped, blank) of a cases column."""
    found = next(c for c in report.columns if c.table == "cases" and c.column == column)
    return found.mapped, found.unmapped, found.blank


MANIFEST = """
source_system = "test system"

[manifest]
force_code = { value = "TESTF" }
extracted_at = { value = "2026-10-31T23:00:00Z" }
"""


def adapt_folder(
    tmp_path: Path, mapping: str, files: dict[str, str | bytes], out: Path | None = None
) -> tuple[AdaptReport, Path]:
    """Write `mapping` (TOML; MANIFEST is put in front unless it has its own [manifest]) and the
    raw `files` into a fresh folder, adapt it, and return the report and the output folder."""
    source = tmp_path / "raw"
    source.mkdir(exist_ok=True)
    text = mapping if "[manifest]" in mapping else MANIFEST + mapping
    (source / "mapping.toml").write_text(text, encoding="utf-8")
    for name, content in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    out = out or tmp_path / "out"
    return adapt(source / "mapping.toml", source, out), out


def read_table(out: Path, table: str) -> list[dict]:
    """The rows of an adapted table, blank fields left out."""
    with (out / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]
