"""Reuse by content: keys, code fingerprints, file hashes and atomic writes.

An extract is staged and screened once: its result is stored under a key made of its files'
sha256, its manifest's sha256 and a fingerprint of the code that stages and screens (the
contract, the rules, the SQL generators, DuckDB's version). Change a rule and every key
changes; add a KPI and only the KPI layer's key changes. File hashes are remembered by path,
size, modification time and inode, so a file that has not changed is not read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
# The code each layer's results depend on; a change in any of these files invalidates the layer.
LAYER_SOURCES = {
    "stage": ["pipelines/contract.py", "pipelines/rules.py", "pipelines/screening.py", "pipelines/staging.py",
              "pipelines/csvscan.py", "pipelines/extract_store.py"],
    "adapt": ["pipelines/adapt/*.py", "pipelines/contract.py"],
    "gate": ["pipelines/quality.py", "expectations/*.json"],
    "kpi": ["pipelines/kpis.py", "pipelines/kpi_partials.py", "sql/macros.sql", "sql/kpi/**/*.sql"],
}  # fmt: skip


@cache
def code_fingerprint(layer: str) -> str:
    """sha256 of the source files a layer depends on (and of DuckDB's version)."""
    digest = hashlib.sha256(f"duckdb {duckdb.__version__}\n".encode())
    for pattern in LAYER_SOURCES[layer]:
        for path in sorted(REPO_ROOT.glob(pattern)):
            digest.update(path.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key_of(*parts) -> str:
    """A short stable key for a JSON-serialisable description."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def write_json(path: Path, document) -> None:
    """Write a JSON file atomically: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=1, sort_keys=True, default=str)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_json(path: Path, default=None):
    """A JSON file's content, or `default` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


class FileHashes:
    """sha256 of files, remembered by (size, mtime, inode, ctime) in a JSON file."""

    def __init__(self, store: Path | None):
        self.store = store
        self.known: dict[str, list] = (read_json(store, {}) if store else {}) or {}
        self.used: dict[str, list] = {}

    def sha256(self, path: Path) -> str:
        """The file's sha256, read again only if the file changed."""
        info = path.stat()
        stamp = [info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns]
        key = str(path.absolute())
        entry = self.known.get(key)
        if entry and entry[:4] == stamp:
            self.used[key] = entry
            return entry[4]
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        self.used[key] = [*stamp, digest.hexdigest()]
        return digest.hexdigest()

    def prefetch(self, paths: list[Path], workers: int = 2) -> None:
        """Hash files side by side (hashlib releases the interpreter lock on big blocks)."""
        from concurrent.futures import ThreadPoolExecutor

        def one(path: Path) -> None:
            try:
                self.sha256(path)
            except OSError:
                pass  # the inspection that needs this file reports why it cannot be read

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, paths))

    def prefetch_folder(self, folder: Path, names: frozenset[str] | None = None, workers: int = 2) -> None:
        """Hash, side by side, every regular file under `folder` (links not followed) with one of `names`."""
        from pipelines.extracts import CONTRACT_FILES

        names = names or frozenset(CONTRACT_FILES)
        found = [
            Path(top) / name
            for top, _dirs, files in os.walk(folder, followlinks=False)
            for name in files
            if name in names and not (Path(top) / name).is_symlink()
        ]
        self.prefetch(found, workers)

    def save(self) -> None:
        """Keep the hashes of the files seen in this run (forgetting files no longer there)."""
        if self.store:
            write_json(self.store, self.used)
