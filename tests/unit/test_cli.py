"""Command-line guards that protect inputs before anything runs."""

import shutil
from pathlib import Path

import pytest

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


# Found by probing: settings and arguments that ended in a traceback, or were taken as they came.
@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("FLIGHTDECK_QUARANTINE_THRESHOLD", "abc", "FLIGHTDECK_QUARANTINE_THRESHOLD 'abc' is not a number"),
        ("FLIGHTDECK_QUARANTINE_THRESHOLD", "nan", "quarantine threshold nan is not a share from 0 to 1"),
        ("FLIGHTDECK_QUARANTINE_THRESHOLD", "-1", "quarantine threshold -1.0 is not a share from 0 to 1"),
        ("FLIGHTDECK_MIN_DENOMINATOR", "1.5", "FLIGHTDECK_MIN_DENOMINATOR '1.5' is not a whole number"),
        ("FLIGHTDECK_MIN_DENOMINATOR", "-5", "minimum denominator -5 is below 0"),
        ("FLIGHTDECK_WORKERS", "x", "FLIGHTDECK_WORKERS 'x' is not a whole number"),
        ("FLIGHTDECK_DUCKDB_THREADS", "0", "FLIGHTDECK_DUCKDB_THREADS 0 is below 1"),
    ],
)
def test_a_bad_setting_stops_the_run_in_one_line_naming_it(tmp_path, monkeypatch, capsys, variable, value, message):
    monkeypatch.setenv(variable, value)
    paths = ["--extracts", str(tmp_path / "inbox"), "--out", str(tmp_path / "out"), "--warehouse", str(tmp_path / "w")]
    (tmp_path / "inbox").mkdir()
    assert main(["run", *paths]) == 2
    err = capsys.readouterr().err
    assert f"flightdeck: {message}; nothing was published" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_threshold_given_on_the_command_line_is_checked_too(tmp_path, capsys):
    (tmp_path / "inbox").mkdir()
    assert main(["run", "--extracts", str(tmp_path / "inbox"), "--out", str(tmp_path / "out"),
                 "--warehouse", str(tmp_path / "w"), "--quarantine-threshold", "2"]) == 2  # fmt: skip
    assert "flightdeck: quarantine threshold 2.0 is not a share from 0 to 1" in capsys.readouterr().err


def test_an_empty_path_variable_is_unset_not_the_current_folder(monkeypatch):
    from pipelines.resources import DEFAULT_OUT, settings_from_env

    monkeypatch.setenv("FLIGHTDECK_OUT", "")
    assert settings_from_env().out_dir == str(DEFAULT_OUT)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["synth", "--forces", "0"], "flightdeck synth: ValueError: forces, years and cases_per_force_year must be"),
        (["synth", "--extracted-at", "garbage"], "flightdeck synth: ValueError: Invalid isoformat string"),
    ],
)
def test_every_command_ends_a_failure_in_one_line(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_adapted_area_that_is_a_file_stops_the_run(tmp_path, monkeypatch, capsys):
    # Found by probing: the raw exports were each rejected, and a version published without them.
    (tmp_path / "inbox").mkdir()
    (tmp_path / "afile").write_text("")
    monkeypatch.setenv("FLIGHTDECK_ADAPTED", str(tmp_path / "afile"))
    assert main(["run", "--extracts", str(tmp_path / "inbox"), "--out", str(tmp_path / "out"),
                 "--warehouse", str(tmp_path / "w")]) == 2  # fmt: skip
    assert f"flightdeck: adapted area {tmp_path / 'afile'} is a file, not a folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "afile.lock").exists()
