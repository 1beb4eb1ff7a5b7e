"""Finding extracts in an inbox and checking what can be checked before loading rows.

Everything that rejects a whole extract without reading its rows lives here: the manifest,
missing or unreadable files, files that are symbolic links or lead outside the extract's
folder, headers (missing or duplicated columns, identifier-like names) and an `extracted_at`
in the future. Every problem names the extract, the file and the line or column, and stays
that extract's verdict: nothing that goes wrong with one extract stops the others.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.contract import SCHEMA_MAJOR, TABLES, Table
from pipelines.csvscan import column_at
from pipelines.identifiers import identifier_like

LONDON = ZoneInfo("Europe/London")
FORCE_CODE = re.compile(r"[A-Z0-9]{2,8}")
RESERVED_FORCE_CODES = frozenset({"ALL"})  # `ALL` is the pooled row of every KPI
CONTRACT_FILES = {t.file_name for t in TABLES}
RAW_AREA = "raw"  # <inbox>/raw/ holds raw force exports, each beside its mapping file
MAPPING_FILE = "mapping.toml"
ADAPT_REPORT = "adapt_report.json"
ADAPTED_PREFIX = "raw/"  # an adapted extract's id is its raw folder's path in the inbox
READ_BLOCK = 1 << 20
MANIFEST_MAX_BYTES = 1 << 20
HEADER_MAX_BYTES = 1 << 20
SOURCE_SYSTEM_MAX = 200
EARLIEST_EXTRACT = datetime(1900, 1, 1, tzinfo=UTC)

__all__ = ["identifier_like"]


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
    manifest_sha256: str | None = None
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

    def to_json(self) -> dict:
        """The inventory entry of this extract, as stored between a run's steps."""
        return {
            "extract_id": self.extract_id, "path": str(self.path), "force_code": self.force_code,
            "extracted_at": self.extracted_at.isoformat() if self.extracted_at else None,
            "schema_version": self.schema_version, "source_system": self.source_system,
            "manifest_sha256": self.manifest_sha256, "problems": self.problems,
            "files": {
                name: {"path": str(f.path), "sha256": f.sha256, "columns": list(f.columns),
                       "ignored_columns": list(f.ignored_columns)}
                for name, f in self.files.items()
            },
        }  # fmt: skip

    @classmethod
    def from_json(cls, entry: dict) -> Extract:
        """An extract back from its inventory entry."""
        return cls(
            extract_id=entry["extract_id"], path=Path(entry["path"]), force_code=entry["force_code"],
            extracted_at=datetime.fromisoformat(entry["extracted_at"]) if entry["extracted_at"] else None,
            schema_version=entry["schema_version"], source_system=entry["source_system"],
            manifest_sha256=entry["manifest_sha256"], problems=list(entry["problems"]),
            files={
                name: ExtractFile(name, Path(f["path"]), f["sha256"], tuple(f["columns"]), tuple(f["ignored_columns"]))
                for name, f in entry["files"].items()
            },
        )  # fmt: skip


def printable(text: str) -> str:
    """Text safe to print on one line: control characters are shown escaped, never acted on."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _relative_id(folder: Path, root: Path) -> str:
    return printable(folder.relative_to(root).as_posix() or ".")


def find_extract_folders(inbox: Path) -> list[Path]:
    """Every folder holding a manifest.json or a contract CSV (raw area and symbolic links skipped)."""
    return walk_inbox(inbox)[0]


def walk_inbox(inbox: Path, skip_raw: bool = True) -> tuple[list[Path], list[Extract]]:
    """Extract folders under `inbox`, and a rejected entry for every folder that cannot be listed or
    is a symbolic link (they are never followed: nothing outside the inbox is read)."""
    folders, refused = [], []

    def unlistable(error: OSError) -> None:
        folder = Path(error.filename)
        entry = Extract(extract_id=_relative_id(folder, inbox), path=folder)
        entry.reject(None, f"folder cannot be listed: {error.strerror.lower() if error.strerror else error}")
        refused.append(entry)

    for top, dirnames, filenames in os.walk(inbox, onerror=unlistable, followlinks=False):
        here = Path(top)
        if skip_raw and here == inbox and RAW_AREA in dirnames:
            dirnames.remove(RAW_AREA)
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                entry = Extract(extract_id=_relative_id(here / name, inbox), path=here / name)
                entry.reject(None, "is a symbolic link; it is not followed (nothing outside the inbox is read)")
                refused.append(entry)
        dirnames.sort()
        if "manifest.json" in filenames or CONTRACT_FILES.intersection(filenames):
            folders.append(here)
    return sorted(folders), refused


def find_raw_exports(inbox: Path) -> list[Path]:
    """Every folder under `<inbox>/raw/` holding a mapping file (symbolic links are not followed)."""
    raw = inbox / RAW_AREA
    if not raw.is_dir() or raw.is_symlink():
        return []
    return sorted(Path(top) for top, _dirs, files in os.walk(raw, followlinks=False) if MAPPING_FILE in files)


def odd_raw_folders(inbox: Path) -> list[tuple[str, str]]:
    """Entries under `<inbox>/raw/` that are no export but must not vanish without a word, as
    (path relative to raw/, reason): a symbolic link (not followed), a folder that cannot be
    listed, and a last folder holding files but no mapping file (misnamed, say). Inside an
    export's folder, its mapping names what is read; hidden files are ignored."""
    raw = inbox / RAW_AREA
    if not raw.is_dir() or raw.is_symlink():
        return []
    odd: list[tuple[Path, str]] = []

    def unlistable(error: OSError) -> None:
        odd.append((Path(error.filename), f"folder cannot be listed: {_reason(error)}"))

    for top, dirs, files in os.walk(raw, onerror=unlistable, followlinks=False):
        here = Path(top)
        if MAPPING_FILE in files:
            dirs[:] = []
            continue
        odd.extend((here / name, "is a symbolic link; it is not followed")
                   for name in sorted([*dirs, *files]) if (here / name).is_symlink())  # fmt: skip
        if not dirs and any(not name.startswith(".") and not (here / name).is_symlink() for name in files):
            odd.append((here, f"holds files but no {MAPPING_FILE} (the name is exactly that)"))
    return sorted((path.relative_to(raw).as_posix(), reason) for path, reason in odd)


def parse_timestamp(text) -> datetime | None:
    """An ISO 8601 timestamp with an offset or Z, or None."""
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo is not None else None


def open_inside(path: Path, folder: Path):
    """Open a regular file of `folder` for reading; refuse symbolic links and anything that resolves
    outside the folder. Raises OSError with a reason the caller reports."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise OSError(f"{path.name} is a symbolic link; it is not followed (nothing outside an extract is read)")
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path.name} is not a regular file")
    if path.resolve().parent != folder.resolve():
        raise OSError(f"{path.name} resolves outside the extract's folder")
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")


def _reason(error: OSError) -> str:
    return error.strerror.lower() if error.strerror else str(error)


def read_manifest(extract: Extract, run_started: datetime | None = None) -> None:
    """Fill force, T and schema version from manifest.json, or record why not."""
    path = extract.path / "manifest.json"
    if not os.path.lexists(path):
        extract.reject(None, "manifest.json is missing")
        return
    try:
        with open_inside(path, extract.path) as handle:
            data = handle.read(MANIFEST_MAX_BYTES + 1)
    except OSError as error:
        extract.reject("manifest.json", f"cannot be read: {_reason(error)}")
        return
    if len(data) > MANIFEST_MAX_BYTES:
        extract.reject("manifest.json", f"is larger than {MANIFEST_MAX_BYTES // 1024} KB; a manifest holds four keys")
        return
    extract.manifest_sha256 = hashlib.sha256(data).hexdigest()
    try:
        manifest = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_object_without_repeated_keys)
    except RepeatedKey as error:
        extract.reject("manifest.json", f"key {_shown(error.args[0])} is given twice")
        return
    except UnicodeDecodeError as error:
        extract.reject("manifest.json", f"byte {error.start + 1}: not valid UTF-8")
        return
    except json.JSONDecodeError as error:
        extract.reject("manifest.json", f"cannot be parsed: {error}")
        return
    except RecursionError:
        extract.reject("manifest.json", "cannot be parsed: it is nested too deeply")
        return
    if not isinstance(manifest, dict):
        extract.reject("manifest.json", "must be a JSON object")
        return
    version = manifest.get("schema_version")
    if version is not None and not isinstance(version, str):
        kind = "true or false" if isinstance(version, bool) else JSON_KINDS.get(type(version), "not text")
        extract.reject("manifest.json", f'schema_version {_shown(version)} is {kind}; it must be text such as "1.1"')
    elif not isinstance(version, str) or not re.fullmatch(rf"{SCHEMA_MAJOR}(\.\d+)*", version):
        extract.reject("manifest.json", f"schema_version {_shown(version)} is not supported (expected 1.x)")
    else:
        extract.schema_version = version
    force = manifest.get("force_code")
    if not isinstance(force, str) or not FORCE_CODE.fullmatch(force):
        extract.reject("manifest.json", f"force_code {_shown(force)} is not 2-8 upper-case letters or digits")
    elif force in RESERVED_FORCE_CODES:
        extract.reject("manifest.json", f"force_code {force!r} is reserved for the all-forces total")
    else:
        extract.force_code = force
    _read_extracted_at(extract, manifest.get("extracted_at"), run_started)
    source = manifest.get("source_system")
    if isinstance(source, str):
        extract.source_system = (
            source if len(source) <= SOURCE_SYSTEM_MAX
            else f"{source[:SOURCE_SYSTEM_MAX]}... (truncated from {len(source):,} characters)"
        )  # fmt: skip


JSON_KINDS = {int: "a number", float: "a number", list: "a list", dict: "an object"}


class RepeatedKey(ValueError):
    """A JSON object with a key given twice (json keeps the last one without a word)."""


def _object_without_repeated_keys(pairs: list[tuple]) -> dict:
    seen = set()
    for key, _value in pairs:
        if key in seen:
            raise RepeatedKey(key)
        seen.add(key)
    return dict(pairs)


def _shown(value) -> str:
    """A manifest value quoted for a message, cut short if long."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_extracted_at(extract: Extract, text, run_started: datetime | None) -> None:
    extracted_at = parse_timestamp(text)
    if extracted_at is None:
        extract.reject("manifest.json", f"extracted_at {_shown(text)} is not an ISO 8601 timestamp with an offset or Z")
        return
    if extracted_at < EARLIEST_EXTRACT:
        extract.reject("manifest.json", f"extracted_at {_shown(text)} is before 1900: not a plausible extract time")
        return
    try:
        extracted_at.astimezone(LONDON)
    except (OverflowError, ValueError):
        extract.reject("manifest.json", f"extracted_at {_shown(text)} is out of range")
        return
    if run_started is not None and extracted_at > run_started:
        extract.reject(
            "manifest.json",
            f"extracted_at {_shown(text)} is later than the start of this run "
            f"({run_started.isoformat(timespec='seconds')}); a snapshot cannot come from the future",
        )
    extract.extracted_at = extracted_at


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


CR = b"\r"


class HeaderError(ValueError):
    """A header line that cannot be read; the message gives the line and column."""


def read_header(handle) -> list[str]:
    """Column names from the first line of an open CSV file (a BOM is tolerated)."""
    line = handle.readline(HEADER_MAX_BYTES).removeprefix(b"\xef\xbb\xbf").removesuffix(b"\n").removesuffix(b"\r")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HeaderError(f"line 1, column {column_at(line, 0, error.start)}: not valid UTF-8") from None
    if "\r" in text:  # a line end of neither kind (a file with CR line ends has one long first line)
        raise HeaderError(
            f"line 1, column {column_at(line, 0, line.index(CR))}: a carriage return that does not end a line "
            "(lines end with LF or CRLF)"
        )
    return next(csv.reader([text]), []) if text else []


def check_file(extract: Extract, table: Table, hashes=None) -> None:
    """Check one CSV's presence, readability, place and header against the contract."""
    path = extract.path / table.file_name
    if not os.path.lexists(path):
        if table.required_file:
            extract.reject(table.file_name, "file is missing")
        return
    found = ExtractFile(table.name, path)
    extract.files[table.name] = found
    try:
        with open_inside(path, extract.path) as handle:
            header = read_header(handle)
        found.sha256 = hashes.sha256(path) if hashes else sha256_of(path)
    except OSError as error:
        extract.reject(table.file_name, f"cannot be read: {_reason(error)}")
        return
    except HeaderError as error:
        extract.reject(table.file_name, str(error))
        return
    found.columns = tuple(header)
    seen: set[str] = set()
    for number, name in enumerate(header, start=1):
        if name in seen:
            extract.reject(table.file_name, f"line 1, column {number}: column name {name!r} is duplicated")
        seen.add(name)
        if identifier_like(name):
            extract.reject(
                table.file_name,
                f"line 1, column {number}: column {printable(name)!r} looks like a direct identifier; "
                "anonymised extracts must not carry it",
            )
    for name in table.required_columns:
        if name not in seen:
            extract.reject(table.file_name, f"line 1: required column {name!r} is missing")
    found.ignored_columns = tuple(printable(n)[:100] for n in header if n not in table.column_names)


def inspect_extract(
    folder: Path,
    inbox: Path,
    prefix: str = "",
    hashes=None,
    run_started: datetime | None = None,
    extract_id: str | None = None,
) -> Extract:
    """Everything about one extract that can be known without loading its rows; never raises."""
    extract = Extract(extract_id=extract_id or prefix + _relative_id(folder, inbox), path=folder)
    try:
        read_manifest(extract, run_started)
        for table in TABLES:
            check_file(extract, table, hashes)
    except Exception as error:  # one odd extract must never stop the others
        extract.reject(None, f"could not be inspected: {type(error).__name__}: {printable(str(error))[:200]}")
    return extract


def inspect_inbox(inbox: Path, hashes=None, run_started: datetime | None = None) -> list[Extract]:
    """Inspect every extract in an inbox, in folder order, plus every folder that could not be read."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox {inbox} does not exist or is not a folder")
    folders, refused = walk_inbox(inbox)
    return [inspect_extract(f, inbox, hashes=hashes, run_started=run_started) for f in folders] + refused


def inspect_adapted(adapted: list[tuple[str, Path]], hashes=None, run_started: datetime | None = None) -> list[Extract]:
    """Extracts the adapt stage made, each given as (its raw folder relative to `<inbox>/raw/`, the
    folder holding it), with ids `raw/<folder>`; a failed adaptation (a report but no manifest)
    becomes a rejected extract carrying the adapter's problems."""
    found = []
    for relative, folder in adapted:
        extract_id = ADAPTED_PREFIX + printable(relative)
        if (folder / "manifest.json").exists():
            found.append(inspect_extract(folder, folder, hashes=hashes, run_started=run_started, extract_id=extract_id))
            continue
        extract = Extract(extract_id=extract_id, path=folder)
        try:
            report = json.loads((folder / ADAPT_REPORT).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            report = {"problems": [f"adapt report unreadable: {error}"]}
        force = report.get("force_code")
        extract.force_code = force if isinstance(force, str) and FORCE_CODE.fullmatch(force) else None
        for problem in report.get("problems") or ["adaptation failed without a reason"]:
            extract.reject(None, f"not adapted: {problem}")
        found.append(extract)
    return found
