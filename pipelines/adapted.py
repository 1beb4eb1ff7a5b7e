"""The adapted area: canonical extracts made from raw exports, kept by content.

Each raw export (a folder under `<inbox>/raw/` holding a `mapping.toml`) is adapted once per
content: its extract and coverage report are written under a key made of every file in the
export folder (the mapping included) and the adapter's code, and reused while none of them
changes. Nothing in the area is ever emptied or overwritten, so two runs cannot take each
other's extracts away, and the area can never eat anything it was pointed at by mistake.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipelines.adapt.adapter import REPORT_JSON, adapt
from pipelines.cache import FileHashes, code_fingerprint, key_of, read_json, write_json
from pipelines.extracts import MAPPING_FILE, RAW_AREA, find_raw_exports, odd_raw_folders, printable
from pipelines.paths import RunPaths


@dataclass
class Adapted:
    """One raw export of this run and where its adapted extract (or failure report) is."""

    relative: str  # the export's folder under <inbox>/raw/
    folder: Path
    ok: bool
    force_code: str | None
    reused: bool


def _export_key(folder: Path, hashes: FileHashes) -> str:
    """The export's identity: its code and every regular file's content. Links and other special
    files (a FIFO would block the read forever) count by kind only; the adapter refuses to read them."""
    files = []
    for top, _dirs, names in os.walk(folder, followlinks=False):
        for name in names:
            path = Path(top) / name
            relative = path.relative_to(folder).as_posix()
            kind = path.lstat().st_mode
            files.append((relative, hashes.sha256(path) if stat.S_ISREG(kind) else f"special {stat.S_IFMT(kind)}"))
    return key_of("adapt", code_fingerprint("adapt"), sorted(files))


class RefusedFile(Exception):
    """A file of a raw export that the nightly will not read."""


def _run_file(paths: RunPaths, run_id: str) -> Path:
    return paths.state / "runs" / run_id / "adapted.json"


def adapt_raw_exports(paths: RunPaths, hashes: FileHashes, run_id: str, log=None) -> list[Adapted]:
    """Adapt every raw export of the inbox that has not been adapted with this content and code
    (two at a time: each is many small DuckDB queries, which leave Python's lock free)."""
    raw = paths.inbox / RAW_AREA

    def one(numbered: tuple[int, Path]) -> Adapted:
        number, folder = numbered
        relative = folder.relative_to(raw).as_posix()
        try:
            target = paths.adapted / _export_key(folder, hashes)
            reused = (target / REPORT_JSON).exists()
            if not reused:
                _adapt_into(folder, target, log)
        except Exception as error:  # one export that cannot be adapted never stops the others
            target = paths.state / "runs" / run_id / "not-adapted" / str(number)
            write_json(target / REPORT_JSON, {"problems": [f"{type(error).__name__}: {printable(str(error))[:300]}"]})
            reused = False
        report = read_json(target / REPORT_JSON, {}) or {}
        ok = (target / "manifest.json").exists()
        if log:
            log(f"adapt: {RAW_AREA}/{printable(relative)}: {'adapted' if ok else 'not adapted'}"
                f"{' (unchanged, reused)' if reused else ''}")  # fmt: skip
        return Adapted(relative, target, ok, report.get("force_code"), reused)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(one, enumerate(find_raw_exports(paths.inbox))))
    for number, (relative, reason) in enumerate(odd_raw_folders(paths.inbox), start=len(done)):
        target = paths.state / "runs" / run_id / "not-adapted" / str(number)
        write_json(target / REPORT_JSON, {"problems": [reason]})
        if log:
            log(f"adapt: {RAW_AREA}/{printable(relative)}: not adapted ({reason})")
        done.append(Adapted(relative, target, False, None, False))
    write_json(_run_file(paths, run_id), [[a.relative, str(a.folder)] for a in done])
    return done


def _adapt_into(folder: Path, target: Path, log) -> None:
    mapping = folder / MAPPING_FILE
    if mapping.is_symlink():
        raise RefusedFile(f"{MAPPING_FILE} is a symbolic link; it is not followed (nothing outside the inbox is read)")
    if not stat.S_ISREG(mapping.lstat().st_mode):
        raise RefusedFile(f"{MAPPING_FILE} is not a regular file")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        adapt(folder / MAPPING_FILE, folder, work, progress=log)
        try:
            work.rename(target)
        except OSError:
            if not (target / REPORT_JSON).exists():
                raise
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def adapted_of_run(paths: RunPaths, run_id: str) -> list[tuple[str, Path]]:
    """The raw exports a run adapted, as (folder under raw/, adapted folder)."""
    return [(relative, Path(folder)) for relative, folder in read_json(_run_file(paths, run_id), []) or []]
