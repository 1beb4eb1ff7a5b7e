"""Command-line guards that protect inputs before anything runs."""

import shutil
from pathlib import Path

from pipelines.cli import main

RAW = Path(__file__).resolve().parents[2] / "data" / "sample" / "inbox" / "raw" / "EASTC" / "2026-10-31"


def test_adapt_refuses_an_output_folder_inside_the_inbox(tmp_path, monkeypatch, capsys):
    inbox = tmp_path / "inbox"
    shutil.copytree(RAW, inbox / "raw" / "EASTC")
    monkeypatch.setenv("FLIGHTDECK_INBOX", str(inbox))
    out = inbox / "EASTC" / "adapted"
    status = main(["adapt", "--mapping", str(inbox / "raw" / "EASTC" / "mapping.toml"), "--out", str(out)])
    assert status == 2
    assert "must not be inside the inbox" in capsys.readouterr().err
    assert not out.exists()


def test_adapt_outside_the_inbox_writes_the_extract(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    shutil.copytree(RAW, inbox / "raw" / "EASTC")
    monkeypatch.setenv("FLIGHTDECK_INBOX", str(inbox))
    out = tmp_path / "adapted"
    assert main(["adapt", "--mapping", str(inbox / "raw" / "EASTC" / "mapping.toml"), "--out", str(out)]) == 0
    assert (out / "manifest.json").exists()
