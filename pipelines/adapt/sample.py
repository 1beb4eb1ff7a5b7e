"""Canonical extracts written back out in two raw records-system styles.

The styles are deliberately unlike each other and unlike the contract; each has a mapping
file beside it in `data/sample/inbox/raw/<FORCE>/<date>/mapping.toml`. The same writers
make the committed raw samples and the round-trip test's inputs.

- **EASTC style** (`write_east_style`): Windows-1252 with CRLF line ends (en dashes and
  non-breaking spaces in labels), `31/01/2019` dates, naive UK local date-times, IC-code
  ethnicity labels, outcome labels (`OC16` or long text), offence as a text label, one row
  per crime-victim-suspect with a `Duplicate` flag, and the run time in a `run_info.txt`.
- **WESTD style** (`write_west_style`): UTF-8, `31/01/19` dates and Excel serials,
  numbered labels (`3. IC3 - Black`), a separate suspects file with a primary-suspect flag,
  administrative no-crime rows, and the force and export time in the file names.

Variation between rows (which null token, which label variant) follows the row number, so
the output is a pure function of the input. Every transformation is one DuckDB query.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.synth import DEFAULT_SEED, write_inbox

LONDON = ZoneInfo("Europe/London")
SAMPLE_FORCES = {"EASTC": 2, "WESTD": 3}  # index in pipelines.synth.FORCE_CODES
SAMPLE_YEARS, SAMPLE_CASES_PER_YEAR = 2, 150

OFFENCE_LABELS = {
    "19C": "Rape – female aged 16 or over",
    "19D": "Rape – female aged under 16",
    "19E": "Rape – female child under 13",
    "19F": "Rape – male aged 16 or over",
    "19G": "Rape – male aged under 16",
    "19H": "Rape – male child under 13",
    "17A": "Sexual assault on a male aged 13 and over",
    "17B": "Sexual assault on a male child under 13",
    "20A": "Sexual assault on a female aged 13 and over",
    "20B": "Sexual assault on a female child under 13",
    "22A": "Causing sexual activity without consent",
    "22B": "Causing a child under 16 to engage in sexual activity",
}
LONG_OUTCOMES = {
    "14": "g. Evidential difficulties: no suspect identified; victim does not support further action (OC14)",
    "15": "h. Evidential difficulties: suspect identified; victim supports action (OC15)",
    "16": "i. Evidential difficulties: suspect identified; victim does not support further action (OC16)",
}


def _case(column: str, labels: dict, default: str = "''") -> str:
    """A CASE mapping canonical codes to labels (labels are literal constants of this module)."""
    arms = " ".join(f"when {_literal(code)} then {_literal(label)}" for code, label in labels.items())
    return f"case {column} {arms} else {default} end"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _connect(canonical: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for name in ("cases", "devices", "contacts"):
        path = _literal(str(canonical / f"{name}.csv"))
        con.execute(
            f"create table {name} as select row_number() over () as n, * "
            f"from read_csv({path}, all_varchar = true, header = true)"
        )
    return con


def _copy(con, query: str, path: Path) -> None:
    con.execute(f"copy ({query}) to {_literal(str(path))} (header, delimiter ',', quote '\"')")


def _to_windows(path: Path) -> None:
    """Re-encode a UTF-8 file as Windows-1252 with CRLF line ends, as Windows exports arrive."""
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))


def _local(column: str, fmt: str) -> str:
    """A UTC ISO timestamp column as naive UK local text."""
    return f"strftime(timezone('Europe/London', {column}::timestamptz), '{fmt}')"


def _dmy(column: str, fmt: str = "%d/%m/%Y") -> str:
    return f"strftime({column}::date, '{fmt}')"


def _excel_date(column: str) -> str:
    return f"({column}::date - date '1899-12-30')::varchar"


def _excel_local(column: str) -> str:
    local = f"timezone('Europe/London', {column}::timestamptz)"
    return f"printf('%.10f', epoch({local} - timestamp '1899-12-30') / 86400)"


def _manifest(canonical: Path) -> dict:
    return json.loads((canonical / "manifest.json").read_text())


# --------------------------------------------------------------------------- EASTC style


def write_east_style(canonical: Path, out: Path) -> None:
    """Write a canonical extract in the EASTC style (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    con = _connect(canonical)
    relationship = {
        "intimate": "Ex partner", "family": "Family member", "acquaintance": "Known by\u00a0sight",
        "stranger": "Stranger", "other": "Teacher/pupil", "unknown": "Unknown",
    }  # fmt: skip
    ethnicity = {
        "white": "IC1 – White N European", "black": "IC3 - Black", "asian": "IC4 - Asian",
        "mixed": "Mixed", "other": "IC6 - Arabic", "unknown": "IC9 - Unknown",
    }  # fmt: skip
    outcome = (
        "case when outcome_code is null then '' "
        + " ".join(
            f"when outcome_code = {_literal(c)} and n % 3 = 0 then {_literal(t)}" for c, t in LONG_OUTCOMES.items()
        )
        + " else 'OC' || outcome_code end"
    )
    crimes = f"""
        select
            case_id as "Crime Key",
            {_case("offence_code", OFFENCE_LABELS)} as "HO Text",
            {_dmy("reported_date")} as "Created Date",
            coalesce({_dmy("offence_date")}, '') as "Committed From Date",
            coalesce(victim_age, 'Not recorded') as "Vic - age at committed from date",
            {
        _case(
            "victim_sex",
            {
                "female": "Female / Transgender Female",
                "male": "Male / Transgender Male",
                "other": "Indeterminate",
                "unknown": "Unknown",
            },
        )
    } as "Vic - gender",
            {_case("victim_ethnicity", ethnicity, "'#N/A'")} as "Vic - ethnicity",
            suspect as "Suspect Ref",
            coalesce(suspect_age, '-') as "Susp - age",
            {
        _case("suspect_sex", {"female": "F", "male": "M", "other": "Indeterminate", "unknown": "U"}, "'NULL'")
    } as "Susp - gender",
            {_case("suspect_ethnicity", ethnicity, "'#N/A'")} as "Susp - ethnicity",
            {_case("relationship", relationship, "'None recorded'")} as "Victim Suspect Relationship",
            {_case("domestic_abuse", {"true": "Y", "false": "N"})} as "DA Flag",
            {_case("third_party_report", {"true": "Yes", "false": "No"})} as "Third Party",
            coalesce(officer_id, '') as "OIC",
            {
        _case(
            "victim_support_at_report",
            {"supports": "Supports", "does_not_support": "Does not support", "unknown": "Unknown"},
        )
    } as "Victim Stance",
            coalesce({_dmy("victim_withdrawal_date")}, 'No incident linked') as "Withdrawal Date",
            coalesce({_dmy("isva_referral_date")}, '') as "ISVA Referral",
            coalesce({_dmy("early_advice_requested_date")}, '') as "EA Requested",
            coalesce({_dmy("early_advice_received_date")}, '') as "EA Received",
            coalesce({_dmy("cps_referral_date")}, '') as "CPS Referral",
            {outcome} as "X Outcome recoded",
            coalesce({_dmy("outcome_date")}, '') as "Disposal Date",
            flag as "Duplicate"
        from (
            select *, coalesce(suspect_id, '') as suspect, 'Original' as flag, n as sort_key from cases
            union all
            -- a second suspect on some crimes: one row per crime-victim-suspect
            select *, 'X' || suspect_id, 'Duplicate', n + 0.5 from cases where suspect_id is not null and n % 9 = 0
        )
        order by sort_key
    """
    _copy(con, crimes, out / "crimes.csv")
    consent = {"given": "Consent given", "refused": "Consent refused", "not_required": "Not required",
               "unknown": "Unknown"}  # fmt: skip
    stamp = "%d/%m/%Y %H:%M:%S"
    exhibits = f"""
        select
            device_id as "Exhibit Ref",
            case_id as "Crime Key",
            {_case("owner", {"victim": "Victim", "suspect": "Suspect", "other": "Third party"})} as "Owner Type",
            coalesce({_dmy("requested_date")}, '') as "Requested",
            {_case("consent", consent, "'-'")} as "Consent",
            coalesce({_local("seized_at", stamp)}, '') as "Seized",
            coalesce({_local("returned_at", stamp)}, '') as "Returned",
            coalesce({_local("replacement_at", stamp)}, '') as "Replacement Issued",
            coalesce({_local("examined_at", stamp)}, '') as "Examined"
        from devices order by n
    """
    _copy(con, exhibits, out / "exhibits.csv")
    contacts = f"""
        select
            case_id as "Crime Key",
            {_dmy("contact_date")} as "Contact Date",
            {
        _case(
            "contact_type",
            {
                "update": "Victim update",
                "needs_assessment": "Needs assessment",
                "nfa_explained": "NFA explained",
                "other": "Other",
            },
        )
    } as "Contact Type"
        from contacts order by n
    """
    _copy(con, contacts, out / "victim_contacts.csv")
    con.close()
    for name in ("crimes.csv", "exhibits.csv", "victim_contacts.csv"):
        _to_windows(out / name)
    run_at = datetime.fromisoformat(_manifest(canonical)["extracted_at"]).astimezone(LONDON)
    (out / "run_info.txt").write_text(f"RASSO extract\nRun at: {run_at:%d/%m/%Y %H:%M}\n")


# --------------------------------------------------------------------------- WESTD style


def west_file_prefix(canonical: Path) -> str:
    """`<FORCE>_RASSO_<yyyymmdd-HHMM local>`: the WESTD system names files after the run."""
    manifest = _manifest(canonical)
    run_at = datetime.fromisoformat(manifest["extracted_at"]).astimezone(LONDON)
    return f"{manifest['force_code']}_RASSO_{run_at:%Y%m%d-%H%M}"


def write_west_style(canonical: Path, out: Path) -> None:
    """Write a canonical extract in the WESTD style (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    prefix = west_file_prefix(canonical)
    con = _connect(canonical)
    ethnicity = {
        "white": "1. IC1 - White N European", "black": "3. IC3 - Black", "asian": "4. IC4 - Asian",
        "mixed": "7. Mixed", "other": "6. IC6 - Arabic", "unknown": "9. Not stated",
    }  # fmt: skip
    relationship = {
        "intimate": "5. Intimate/previous intimate", "family": "4. Family", "acquaintance": "3. Acquaintance",
        "stranger": "1. Stranger", "other": "6. Other", "unknown": "9. Unknown",
    }  # fmt: skip
    crimes = f"""
        select
            case_id as "Occurrence ID",
            offence_code as "Offence",
            {_dmy("reported_date", "%d/%m/%y")} as "Recorded",
            coalesce({_excel_date("offence_date")}, '') as "Offence Start",
            coalesce(victim_age, '#N/A') as "Victim Age",
            {_case("victim_sex", {"female": "F", "male": "M", "other": "Indeterminate", "unknown": "U"})}
                as "Victim Gender",
            {_case("victim_ethnicity", ethnicity, "case when n % 2 = 0 then 'NULL' else '' end")}
                as "Victim Ethnicity",
            {_case("relationship", relationship, "'-'")} as "Relationship",
            {_case("domestic_abuse", {"true": "1", "false": "0"})} as "Domestic",
            {_case("third_party_report", {"true": "TRUE", "false": "FALSE"})} as "Third Party Report",
            coalesce(officer_id, 'Not recorded') as "Officer",
            {_case("victim_support_at_report", {"supports": "S", "does_not_support": "NS", "unknown": "U"})}
                as "Support",
            coalesce({_dmy("victim_withdrawal_date", "%d/%m/%y")}, '') as "Withdrawn",
            coalesce({_excel_date("isva_referral_date")}, '') as "ISVA",
            coalesce({_dmy("early_advice_requested_date", "%d/%m/%y")}, '') as "EA Req",
            coalesce({_dmy("early_advice_received_date", "%d/%m/%y")},
                     case when n % 5 = 0 then 'CANCELLED' else '' end) as "EA Rec",
            coalesce({_dmy("cps_referral_date", "%d/%m/%y")}, case when n % 4 = 0 then '#VALUE!' else '' end)
                as "CPS",
            coalesce(outcome_code, '') as "Outcome",
            coalesce({_excel_date("outcome_date")}, '') as "Outcome Date",
            status as "Crime Status"
        from (
            select *, 'Confirmed' as status, n as sort_key from cases
            union all
            -- administrative records the force's system keeps beside real crimes
            select * replace ('NC' || case_id as case_id), 'NC - No crime', n + 0.5 from cases where n % 25 = 0
        )
        order by sort_key
    """
    _copy(con, crimes, out / f"{prefix}_crimes.csv")
    suspects = f"""
        select
            case_id as "Occurrence ID",
            suspect as "Suspect ID",
            coalesce(suspect_age, 'Not recorded') as "Age",
            {_case("suspect_sex", {"female": "F", "male": "M", "other": "Indeterminate", "unknown": "U"}, "'-'")}
                as "Gender",
            {_case("suspect_ethnicity", ethnicity, "'Missing/not known'")} as "Ethnicity",
            flag as "Primary"
        from (
            select *, suspect_id as suspect, 'Y' as flag, n as sort_key from cases where suspect_id is not null
            union all
            select *, 'X' || suspect_id, 'N', n + 0.5 from cases where suspect_id is not null and n % 7 = 0
        )
        order by sort_key
    """
    _copy(con, suspects, out / f"{prefix}_suspects.csv")
    stamp = "%Y-%m-%d %H:%M:%S"
    devices = f"""
        select
            device_id as "Device ID",
            case_id as "Occurrence ID",
            {_case("owner", {"victim": "V", "suspect": "S", "other": "O"})} as "Owner",
            coalesce({_dmy("requested_date")}, '') as "Requested",
            {_case("consent", {"given": "Y", "refused": "N", "not_required": "NR", "unknown": "U"})} as "Consent",
            coalesce({_excel_local("seized_at")}, '') as "Seized",
            coalesce({_local("returned_at", stamp)}, '') as "Returned",
            coalesce({_local("replacement_at", stamp)}, '') as "Replacement",
            coalesce({_local("examined_at", stamp)}, '') as "Examined"
        from devices order by n
    """
    _copy(con, devices, out / f"{prefix}_devices.csv")
    contacts = f"""
        select
            case_id as "Occurrence ID",
            {_dmy("contact_date", "%d/%m/%y")} as "Date",
            {
        _case("contact_type", {"update": "UPD", "needs_assessment": "NA", "nfa_explained": "NFA", "other": "OTH"})
    } as "Type"
        from contacts order by n
    """
    _copy(con, contacts, out / f"{prefix}_contacts.csv")
    con.close()


STYLES = {"EASTC": write_east_style, "WESTD": write_west_style}


def write_raw_samples(raw_dir: Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """The committed raw samples: EASTC and WESTD synthetic data in their own styles.

    Only the data files are written; each folder's hand-written mapping.toml is left alone.
    """
    folders = []
    with tempfile.TemporaryDirectory(prefix="flightdeck-raw-") as work:
        canonical = write_inbox(
            Path(work), forces=max(SAMPLE_FORCES.values()) + 1, years=SAMPLE_YEARS, seed=seed,
            cases_per_force_year=SAMPLE_CASES_PER_YEAR,
        )  # fmt: skip
        for force, index in SAMPLE_FORCES.items():
            folder = Path(raw_dir) / force / canonical[index].name
            STYLES[force](canonical[index], folder)
            folders.append(folder)
    return folders
