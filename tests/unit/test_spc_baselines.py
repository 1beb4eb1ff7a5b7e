"""pipelines.spc.read_baselines / write_baselines: the hand-edited SPC baseline file."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.spc import BaselineFileError, read_baselines, write_baselines

HEADER = "force_code,baseline_from,baseline_to\n"


def write(tmp_path, text: str, name: str = "baselines.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_set_means_no_baselines():
    assert read_baselines(None) == []


def test_good_file_parses(tmp_path):
    path = write(tmp_path, HEADER + "NORTHA,,2024-06\n*,2024-01,\nSOUTHB,2023-04,2023-04\nEAST1, 2023-01 , 2023-12 \n")
    assert read_baselines(path) == [
        ("NORTHA", None, date(2024, 6, 1)),
        ("*", date(2024, 1, 1), None),
        ("SOUTHB", date(2023, 4, 1), date(2023, 4, 1)),
        ("EAST1", date(2023, 1, 1), date(2023, 12, 1)),
    ]


def test_header_only_file_is_empty(tmp_path):
    assert read_baselines(write(tmp_path, HEADER)) == []


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "NORTHA,,2024-06\n").encode("utf-8"))
    assert read_baselines(path) == [("NORTHA", None, date(2024, 6, 1))]


def error_of(path) -> str:
    with pytest.raises(BaselineFileError) as caught:
        read_baselines(path)
    return str(caught.value)


@pytest.mark.parametrize("bad", ["2024-13", "2024-00", "2024-1", "24-01", "2024/01", "2024-01-01"])
def test_bad_month_names_file_line_and_column(tmp_path, bad):
    path = write(tmp_path, HEADER + "NORTHA,,2024-06\nSOUTHB,2023-01," + bad + "\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 3" in message
    assert "column baseline_to" in message
    assert bad in message


def test_bad_month_in_from_column(tmp_path):
    path = write(tmp_path, HEADER + "NORTHA,2024-13,\n")
    message = error_of(path)
    assert str(path) in message and "line 2" in message and "column baseline_from" in message
    assert "2024-13" in message


@pytest.mark.parametrize("force", ["north a", "n", "TOOLONGCODE", "north", ""])
def test_bad_force_code(tmp_path, force):
    path = write(tmp_path, HEADER + "NORTHA,,2024-06\n" + force + ",,2024-06\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 3" in message
    assert "column force_code" in message


def test_duplicate_force(tmp_path):
    path = write(tmp_path, HEADER + "NORTHA,,2024-06\n*,,2024-01\nNORTHA,2023-01,\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 4" in message
    assert "column force_code" in message
    assert "NORTHA" in message


def test_duplicate_star(tmp_path):
    message = error_of(write(tmp_path, HEADER + "*,,2024-06\n*,2023-01,\n"))
    assert "line 3" in message and "column force_code" in message


def test_from_after_to(tmp_path):
    path = write(tmp_path, HEADER + "NORTHA,,2024-06\nSOUTHB,2024-07,2024-06\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 3" in message
    assert "baseline_from" in message and "baseline_to" in message


@pytest.mark.parametrize(
    "header",
    [
        "force,baseline_from,baseline_to\n",
        "force_code,baseline_to,baseline_from\n",
        "force_code,baseline_from\n",
        "force_code,baseline_from,baseline_to,note\n",
    ],
)
def test_wrong_header(tmp_path, header):
    path = write(tmp_path, header + "NORTHA,,2024-06\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 1" in message
    assert "force_code,baseline_from,baseline_to" in message


def test_missing_file(tmp_path):
    path = tmp_path / "absent.csv"
    message = error_of(path)
    assert str(path) in message and "not found" in message


def test_write_baselines_table(tmp_path):
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    rows = [("NORTHA", None, date(2024, 6, 1)), ("*", date(2024, 1, 1), None)]
    write_baselines(con, rows)
    assert con.execute("select * from spc_baselines order by force_code").fetchall() == sorted(rows)
    write_baselines(con, [])
    assert con.execute("select count(*) from spc_baselines").fetchone()[0] == 0


def test_a_baseline_file_that_is_not_utf8_is_named_with_its_line(tmp_path):
    # Found by probing: the message was Python's decoding error, naming no file or line.
    path = tmp_path / "spc.csv"
    path.write_bytes(b"force_code,baseline_from,baseline_to\nNORTHA,2024-01,2025-0\xe9\n")
    with pytest.raises(BaselineFileError, match=r"spc.csv: line 2, byte 22: not valid UTF-8$"):
        read_baselines(path)
