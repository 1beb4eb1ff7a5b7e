"""Finding extracts in an inbox and checking what can be checked before loading rows.

Everything that rejects a whole extract without reading its rows lives here: the
manifest, missing files, headers (missing or duplicated columns, identifier-like names)
and UTF-8 validity. Every problem names the extract, the file and the line or column.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.contract import (
    IDENTIFIER_PHRASES,
    IDENTIFIER_WORDS,
    SCHEMA_MAJOR,
    TABLES,
    Table,
)

LONDON = ZoneInfo("Europe/London")
FORCE_CODE = re.compile(r"[A-Z0-9]{2,8}")
RESERVED_FORCE_CODES = frozenset({"ALL"})  # `ALL` is the pooled row of every KPI
CONTRACT_FILES = {t.file_name for t in TABLES}
RAW_AREA = "raw"  # <inbox>/raw/ holds raw force exports, each beside its mapping file
MAPPING_FILE = "mapping.toml"
ADAPT_REPORT = "adapt_report.json"
ADAPTED_PREFIX = "raw/"  # an adapted extract's id is its raw folder's path in the inbox
READ_BLOCK = 1 << 20


@dataclass
class ExtractFile:
    """One CSV file of an extract as found on disk."""

    table: str
    path: Path
    sha256: str | None = None
    columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()


@dataclass
class Extract:
    """One extract folder and what its manifest and headers say."""

    extract_id: str  # the folder, relative to the inbox, with forward slashes
    path: Path
    force_code: str | None = None
    extracted_at: datetime | None = None
    schema_version: str | None = None
    source_system: str | None = None
    files: dict[str, ExtractFile] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def extract_date(self):
        """D_T: T's calendar date in Europe/London."""
        return self.extracted_at.astimezone(LONDON).date() if self.extracted_at else None

    def reject(self, file: str | None, message: str) -> None:
        """Record a problem that rejects the whole extract, naming the extract and file."""
        where = f"{self.extract_id}/{file}" if file else self.extract_id
        self.problems.append(f"{where}: {message}")


def _outside_raw_area(path: Path, inbox: Path) -> bool:
    return path.relative_to(inbox).parts[:1] != (RAW_AREA,)


def find_extract_folders(inbox: Path) -> list[Path]:
    """Every folder holding a manifest.json, and every folder holding contract CSVs but no manifest.

    The raw area `<inbox>/raw/` is skipped: its exports reach the pipeline through the adapt stage.
    """
    folders = {p.parent for p in inbox.rglob("manifest.json")}
    folders |= {p.parent for p in inbox.rglob("*.csv") if p.name in CONTRACT_FILES}
    return sorted(f for f in folders if _outside_raw_area(f, inbox))


def find_raw_exports(inbox: Path) -> list[Path]:
    """Every folder under `<inbox>/raw/` holding a mapping file."""
    raw = inbox / RAW_AREA
    return sorted(p.parent for p in raw.rglob(MAPPING_FILE)) if raw.is_dir() else []


def identifier_like(column: str) -> bool:
    """Does a column name look like a direct identifier (name, date of birth, phone, ...)?"""
    words = tuple(w for w in re.split(r"[^a-z0-9]+", column.lower()) if w)
    if any(w in IDENTIFIER_WORDS for w in words) or "".join(words) in IDENTIFIER_WORDS:
        return True
    return any(
        words[i : i + len(phrase)] == phrase
        for phrase in IDENTIFIER_PHRASES
        for i in range(len(words) - len(phrase) + 1)
    )


def parse_timestamp(text: str) -> datetime | None:
    """An ISO 8601 timestamp with an offset or Z, or None."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None else None


def read_manifest(extract: Extract) -> None:
    """Fill force, T and schema version from manifest.json, or record why not."""
    path = extract.path / "manifest.json"
    if not path.exists():
        extract.reject(None, "manifest.json is missing")
        return
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        extract.reject("manifest.json", f"cannot be parsed: {error}")
        return
    if not isinstance(manifest, dict):
        extract.reject("manifest.json", "must be a JSON object")
        return
    version = manifest.get("schema_version")
    if not isinstance(version, str) or not re.fullmatch(rf"{SCHEMA_MAJOR}(\.\d+)*", version):
        extract.reject("manifest.json", f"schema_version {version!r} is not supported (expected 1.x)")
    else:
        extract.schema_version = version
    force = manifest.get("force_code")
    if not isinstance(force, str) or not FORCE_CODE.fullmatch(force):
        extract.reject("manifest.json", f"force_code {force!r} is not 2-8 upper-case letters or digits")
    elif force in RESERVED_FORCE_CODES:
        extract.reject("manifest.json", f"force_code {force!r} is reserved for the all-forces total")
    else:
        extract.force_code = force
    extracted_at = parse_timestamp(manifest.get("extracted_at"))
    if extracted_at is None:
        extract.reject(
            "manifest.json",
            f"extracted_at {manifest.get('extracted_at')!r} is not an ISO 8601 timestamp with an offset or Z",
        )
    extract.extracted_at = extracted_at
    source = manifest.get("source_system")
    extract.source_system = source if isinstance(source, str) else None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def scan_file(path: Path) -> tuple[str, str | None]:
    """sha256 of a file and, if it is not valid UTF-8, where the first bad byte is."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, line_start, offset = 1, 0, 0
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                bad = offset + error.start
                before = block[: error.start]
                line += before.count(b"\n")
                if b"\n" in before:
                    line_start = offset + before.rindex(b"\n") + 1
                return digest.hexdigest(), f"line {line}, byte {bad - line_start + 1}: not valid UTF-8"
            line += block.count(b"\n")
            if b"\n" in block:
                line_start = offset + block.rindex(b"\n") + 1
            offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return digest.hexdigest(), f"line {line}: file ends inside a UTF-8 character"
    return digest.hexdigest(), None


def read_header(path: Path) -> list[str]:
    """Column names from the first record of a CSV file (a BOM is tolerated)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def check_file(extract: Extract, table: Table) -> None:
    """Check one CSV's presence, encoding and header against the contract."""
    path = extract.path / table.file_name
    if not path.exists():
        if table.required_file:
            extract.reject(table.file_name, "file is missing")
        return
    found = ExtractFile(table.name, path)
    extract.files[table.name] = found
    found.sha256, encoding_problem = scan_file(path)
    if encoding_problem:
        extract.reject(table.file_name, encoding_problem)
        return
    header = read_header(path)
    found.columns = tuple(header)
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if name in seen:
            extract.reject(table.file_name, f"line 1, column {number}: column name {name!r} is duplicated")
        seen.add(name)
        if identifier_like(name):
            extract.reject(
                table.file_name,
                f"line 1, column {number}: column {name!r} looks like a direct identifier; "
                "anonymised extracts must not carry it",
            )
    for name in table.required_columns:
        if name not in seen:
            extract.reject(table.file_name, f"line 1: required column {name!r} is missing")
    found.ignored_columns = tuple(n for n in header if n not in table.column_names)


def inspect_extract(folder: Path, inbox: Path, prefix: str = "") -> Extract:
    """Everything about one extract that can be known without loading its rows."""
    extract = Extract(extract_id=prefix + (folder.relative_to(inbox).as_posix() or "."), path=folder)
    read_manifest(extract)
    for table in TABLES:
        check_file(extract, table)
    return extract


def inspect_inbox(inbox: Path) -> list[Extract]:
    """Inspect every extract in an inbox, in folder order."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} does not exist or is not a folder")
    return [inspect_extract(folder, inbox) for folder in find_extract_folders(inbox)]


def inspect_adapted(adapted: Path) -> list[Extract]:
    """Extracts the adapt stage wrote, with ids `raw/<folder>`; a failed adaptation (a report
    but no manifest) becomes a rejected extract carrying the adapter's problems."""
    if not adapted.is_dir():
        return []
    found = []
    for report_path in sorted(adapted.rglob(ADAPT_REPORT)):
        folder = report_path.parent
        if (folder / "manifest.json").exists():
            found.append(inspect_extract(folder, adapted, ADAPTED_PREFIX))
            continue
        report = json.loads(report_path.read_text(encoding="utf-8"))
        extract = Extract(extract_id=ADAPTED_PREFIX + folder.relative_to(adapted).as_posix(), path=folder)
        force = report.get("force_code")
        extract.force_code = force if isinstance(force, str) and FORCE_CODE.fullmatch(force) else None
        for problem in report.get("problems") or ["adaptation failed without a reason"]:
            extract.reject(None, f"not adapted: {problem}")
        found.append(extract)
    return found
