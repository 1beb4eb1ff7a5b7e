"""Issue 8, problems 3, 5 and 6: odd or hostile extracts are each their own verdict; nothing
outside the inbox is read; the other forces publish."""

import json
import os
import subprocess

import pytest

from tests.conftest import write_extract
from tests.faults.conftest import FLIGHTDECK, latest

T = "2026-10-31T23:00:00+00:00"
GOOD_CASES = [{"case_id": f"C{i:02d}", "offence_code": "19C", "reported_date": "2026-05-10"} for i in range(12)]


def extract(inbox, force, extracted_at=T, folder=None, manifest=None):
    return write_extract(inbox, force, extracted_at, GOOD_CASES, [], [], folder=folder, manifest=manifest)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    inbox = root / "inbox"
    good = extract(inbox, "GOOD")
    deep = extract(inbox, "DEEP")
    (deep / "manifest.json").write_text("[" * 200_000 + "]" * 200_000)
    for force, at in (("FARFUT", "9999-12-31T23:59:59+00:00"), ("SOON", "2999-01-01T00:00:00Z"),
                      ("ANCIENT", "0001-01-01T00:00:00Z")):  # fmt: skip
        extract(inbox, force, manifest={"schema_version": "1.1", "force_code": force, "extracted_at": at})
    (extract(inbox, "UNREAD") / "cases.csv").chmod(0o000)
    locked = extract(inbox, "LOCKED")
    locked.chmod(0o000)
    passwd = extract(inbox, "PASSWD") / "cases.csv"
    passwd.unlink()
    passwd.symlink_to("/etc/passwd")
    other = extract(inbox, "OTHER") / "devices.csv"
    other.unlink()
    other.symlink_to(good / "devices.csv")
    (inbox / "LINKDIR").symlink_to("/etc")
    chatty = extract(inbox, "CHATTY", manifest={"schema_version": "1.1", "force_code": "CHATTY",
                                                 "extracted_at": T, "source_system": "x" * 5000})  # fmt: skip
    forged = extract(inbox, "FORGE", folder="2026\x1b[31m\nused       FORGE    fake")
    # Found by probing: each of these stopped the whole run, GOOD included.
    mixed = extract(inbox, "MIXED") / "cases.csv"
    mixed.write_bytes(mixed.read_bytes().replace(b"\n", b"\r\n", 1))  # a CRLF header over LF rows
    odd_names = extract(inbox, "ODDNAME") / "cases.csv"
    header, *rows = odd_names.read_text().splitlines()
    odd_names.write_text("\n".join([header + ",ordinality,CASE_ID,", *(row + ",x,y," for row in rows)]) + "\n")
    year_zero = extract(inbox, "YEARNIL") / "cases.csv"
    year_zero.write_text(year_zero.read_text().replace("2026-05-10", "0000-01-01", 1))
    # Without the capabilities that let root read anything, permissions are what an operator sees.
    run = subprocess.run(
        ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search",
         str(FLIGHTDECK), "run", "--extracts", str(inbox), "--out", str(root / "out"),
         "--warehouse", str(root / "w.duckdb")],
        capture_output=True, text=True, timeout=900, env={**os.environ, "DAGSTER_HOME": str(root / "dagster")},
    )  # fmt: skip
    locked.chmod(0o755)
    verdicts = {}
    manifest = json.loads((latest(root / "out") / "manifest.json").read_text()) if latest(root / "out") else {}
    for entry in manifest.get("rejected_extracts", []):
        verdicts[entry["extract_id"]] = " ".join(entry["reasons"])
    return {"run": run, "manifest": manifest, "verdicts": verdicts, "chatty": chatty, "forged": forged}


def test_the_good_force_publishes_and_the_exit_code_says_some_were_rejected(hostile):
    run = hostile["run"]
    assert run.returncode == 1, run.stderr
    assert [e["force_code"] for e in hostile["manifest"]["extracts"]] == ["CHATTY", "FORGE", "GOOD", "ODDNAME"]
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "extract_id, reason",
    [
        ("DEEP/2026-10-31", "nested too deeply"),
        ("FARFUT/2026-10-31", "later than the start of this run"),
        ("SOON/2026-10-31", "later than the start of this run"),
        ("ANCIENT/2026-10-31", "before 1900"),
        ("UNREAD/2026-10-31", "cases.csv: cannot be read: permission denied"),
        ("LOCKED/2026-10-31", "folder cannot be listed: permission denied"),
        ("PASSWD/2026-10-31", "cases.csv: cannot be read: cases.csv is a symbolic link"),
        ("OTHER/2026-10-31", "devices.csv: cannot be read: devices.csv is a symbolic link"),
        ("LINKDIR", "is a symbolic link; it is not followed"),
        ("MIXED/2026-10-31", "cases.csv: line 2: ends with LF where line 1 ends with CRLF"),
        ("YEARNIL/2026-10-31", "cases.csv: 1 of 12 rows quarantined (8.3%)"),
    ],
)
def test_each_odd_extract_is_rejected_with_its_reason(hostile, extract_id, reason):
    found = {k: v for k, v in hostile["verdicts"].items() if k.startswith(extract_id)}
    assert found and reason in next(iter(found.values())), hostile["verdicts"]


def test_nothing_outside_the_inbox_reaches_the_manifest(hostile):
    text = json.dumps(hostile["manifest"])
    assert "root:" not in text and "/bin/" not in text


def test_a_long_source_system_is_cut_short_in_the_manifest(hostile):
    (chatty,) = [e for e in hostile["manifest"]["extracts"] if e["force_code"] == "CHATTY"]
    assert chatty["source_system"] == "x" * 200 + "... (truncated from 5,000 characters)"


def test_control_characters_in_folder_names_cannot_forge_summary_lines(hostile):
    out = hostile["run"].stdout
    assert "\x1b" not in out
    assert not any(line.strip().startswith("used       FORGE    fake") for line in out.splitlines())
    assert "FORGE/2026\\x1b[31m\\nused" in out


