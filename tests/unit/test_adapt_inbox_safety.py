"""Raw exports in an inbox, as the nightly finds them (found by probing): a FIFO in an export's
folder hung the run for good, a mapping file that is a symbolic link was followed out of the
inbox, and an export folder that is a link, or whose mapping file is misnamed, vanished
without a word."""

import os
import shutil
import threading
from pathlib import Path

from pipelines.adapt.adapter import REPORT_JSON
from pipelines.adapted import adapt_raw_exports
from pipelines.cache import FileHashes, read_json
from pipelines.paths import RunPaths

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "inbox" / "raw" / "EASTC" / "2026-10-31"


def export(inbox: Path, name: str) -> Path:
    folder = inbox / "raw" / name / "2026-10-31"
    shutil.copytree(SAMPLE, folder)
    return folder


def adapt_all(tmp_path: Path):
    paths = RunPaths.of(tmp_path / "inbox", tmp_path / "out", tmp_path / "w.duckdb")
    done: list = []
    worker = threading.Thread(target=lambda: done.extend(adapt_raw_exports(paths, FileHashes(None), "r1")), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "adapting the raw exports did not finish"
    return {a.relative: (a.ok, (read_json(a.folder / REPORT_JSON, {}) or {}).get("problems", [])) for a in done}


def test_a_fifo_in_an_export_folder_is_never_opened(tmp_path):
    folder = export(tmp_path / "inbox", "FIFO")
    os.mkfifo(folder / "readme.txt")
    found = adapt_all(tmp_path)
    assert found["FIFO/2026-10-31"][0] is True  # the mapping does not name it; the export adapts


def test_a_mapping_file_that_is_a_link_is_refused(tmp_path):
    outside = tmp_path / "outside.toml"
    folder = export(tmp_path / "inbox", "LINKED")
    shutil.move(folder / "mapping.toml", outside)
    (folder / "mapping.toml").symlink_to(outside)
    ok, problems = adapt_all(tmp_path)["LINKED/2026-10-31"]
    assert not ok
    assert any("mapping.toml is a symbolic link" in p for p in problems), problems


def test_raw_folders_that_are_no_export_are_reported_not_dropped(tmp_path):
    inbox = tmp_path / "inbox"
    export(inbox, "GOOD")
    misnamed = export(inbox, "MISNAMED")
    (misnamed / "mapping.toml").rename(misnamed / "Mapping.toml")
    (tmp_path / "elsewhere").mkdir()
    (inbox / "raw" / "LINKED").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (inbox / "raw" / "EMPTYISH").mkdir()
    (inbox / "raw" / "EMPTYISH" / ".DS_Store").write_text("")  # a hidden file alone is no export
    found = adapt_all(tmp_path)
    assert found["GOOD/2026-10-31"][0] is True
    assert found["MISNAMED/2026-10-31"] == (False, ["holds files but no mapping.toml (the name is exactly that)"])
    assert found["LINKED"] == (False, ["is a symbolic link; it is not followed"])
    assert set(found) == {"GOOD/2026-10-31", "MISNAMED/2026-10-31", "LINKED"}
