"""Canonical extracts written back out in three raw records-system styles.

The styles are deliberately unlike each other and unlike the contract. EASTC and WESTD are
the committed raw samples, each with its mapping file beside it in
`data/sample/inbox/raw/<FORCE>/<date>/mapping.toml`; MIDLE is generated on demand (by the
round-trip test, or `python -m pipelines.adapt.sample`) with its mapping from
`pipelines/adapt/styles/MIDLE.toml`. The same writers make the committed raw samples and the
round-trip test's inputs.

- **EASTC style** (`write_east_style`): Windows-1252 with CRLF line ends (en dashes and
  non-breaking spaces in labels), `31/01/2019` dates, naive UK local date-times, IC-code
  ethnicity labels, outcome labels (`OC16` or long text), offence as a text label, one row
  per crime-victim-suspect with a `Duplicate` flag, and the run time in a `run_info.txt`.
- **WESTD style** (`write_west_style`): UTF-8, `31/01/19` dates and Excel serials,
  numbered labels (`3. IC3 - Black`), a separate suspects file with a primary-suspect flag,
  administrative no-crime rows, and the force and export time in the file names. When the
  canonical extract has the optional `suspect_actions.csv` and `victim_survey.csv`, they are
  written too: coded action labels (`ARR - Arrest`) and survey answers as words
  (`Strongly agree`).
- **MIDLE style** (`write_mid_style`): one wide crime row whose header repeats `Gender`,
  `Age (at offence)` and `Ethnic description` (the victim's block, then the suspect's) and has
  a column with no name (the outcome date); no-crime and recorded-in-error crimes with devices
  and contacts of their own (a filter must take those with them); the victim contact log wide,
  one count per contact type per day; device movements in a register with one row per
  movement; and an `export.log` sidecar whose time has seconds only when they are not zero.

Variation between rows (which null token, which label variant) follows the row number, so
the output is a pure function of the input. Every transformation is one DuckDB query.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.synth import DEFAULT_SEED, write_inbox

LONDON = ZoneInfo("Europe/London")
SAMPLE_FORCES = {"EASTC": 2, "WESTD": 3}  # index in pipelines.synth.FORCE_CODES
GENERATED_STYLES = {"MIDLE": 4}  # not committed: written by the tests and on demand
RAW_SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample" / "inbox" / "raw"
STYLE_DIR = Path(__file__).resolve().parent / "styles"
OPTIONAL_TABLES = ("suspect_actions", "victim_survey")  # written when the canonical extract has them
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


def _name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _connect(canonical: Path) -> duckdb.DuckDBPyConnection:
    """The canonical tables as text, each row numbered `n`; optional tables only when present."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    present = [name for name in OPTIONAL_TABLES if (canonical / f"{name}.csv").is_file()]
    for name in ("cases", "devices", "contacts", *present):
        path = _literal(str(canonical / f"{name}.csv"))
        con.execute(
            f"create table {name} as select row_number() over () as n, * "
            f"from read_csv({path}, all_varchar = true, header = true)"
        )
    return con


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where table_name = ?", [table]).fetchone()[0])


def _copy(con, query: str, path: Path) -> None:
    con.execute(f"copy ({query}) to {_literal(str(path))} (header, delimiter ',', quote '\"')")


def _copy_with_header(con, query: str, header: list[str], path: Path, bom: bool = False) -> None:
    """Write rows under a header line given as is: DuckDB would rename repeated column names."""
    body = path.with_name(path.name + ".body")
    con.execute(f"copy ({query}) to {_literal(str(body))} (header false, delimiter ',', quote '\"')")
    line = ",".join(f'"{h}"' if not h or "," in h else h for h in header)
    with path.open("wb") as sink, body.open("rb") as rows:
        sink.write(("\ufeff" if bom else "").encode("utf-8") + (line + "\n").encode("utf-8"))
        shutil.copyfileobj(rows, sink)
    body.unlink()


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
            {_case("victim_sex", {"female": "Female / Transgender Female", "male": "Male / Transgender Male",
                                  "other": "Indeterminate", "unknown": "Unknown"})} as "Vic - gender",
            {_case("victim_ethnicity", ethnicity, "'#N/A'")} as "Vic - ethnicity",
            suspect as "Suspect Ref",
            coalesce(suspect_age, '-') as "Susp - age",
            {_case("suspect_sex", {"female": "F", "male": "M", "other": "Indeterminate", "unknown": "U"},
                   "'NULL'")} as "Susp - gender",
            {_case("suspect_ethnicity", ethnicity, "'#N/A'")} as "Susp - ethnicity",
            {_case("relationship", relationship, "'None recorded'")} as "Victim Suspect Relationship",
            {_case("domestic_abuse", {"true": "Y", "false": "N"})} as "DA Flag",
            {_case("third_party_report", {"true": "Yes", "false": "No"})} as "Third Party",
            coalesce(officer_id, '') as "OIC",
            {_case("victim_support_at_report", {"supports": "Supports", "does_not_support": "Does not support",
                                                "unknown": "Unknown"})} as "Victim Stance",
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
            {_case("contact_type", {"update": "Victim update", "needs_assessment": "Needs assessment",
                                    "nfa_explained": "NFA explained", "other": "Other"})} as "Contact Type"
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
            {_case("contact_type", {"update": "UPD", "needs_assessment": "NA", "nfa_explained": "NFA",
                                    "other": "OTH"})} as "Type"
        from contacts order by n
    """
    _copy(con, contacts, out / f"{prefix}_contacts.csv")
    if _has(con, "suspect_actions"):
        _copy(con, _west_suspect_actions(), out / f"{prefix}_disruption.csv")
    if _has(con, "victim_survey"):
        _copy(con, _west_victim_survey(), out / f"{prefix}_survey.csv")
    con.close()


WEST_ACTIONS = {
    "arrest": "ARR - Arrest", "voluntary_interview": "VI - Voluntary interview",
    "pre_charge_bail": "PCB - Bail (pre-charge)", "released_under_investigation": "RUI - Released under investigation",
    "bail_breach": "BB - Breach of bail", "order_applied": "OA - Order applied for",
    "order_granted": "OG - Order granted", "order_breach": "OB - Breach of order",
    "s63g_applied": "63G - s63G application", "s63g_granted": "63GG - s63G application granted",
}  # fmt: skip
WEST_ORDERS = {
    "shpo": "SHPO", "sro": "SRO", "restraining": "Restraining order", "non_molestation": "Non-molestation order",
    "dapo": "DAPO", "stalking": "Stalking protection order", "other": "Other order",
}  # fmt: skip
WEST_BREACH_RESPONSES = {
    "arrested": "Arrested", "charged": "Charged", "warning": "Warning", "no_further_action": "NFA",
    "unknown": "Not known",
}  # fmt: skip
AGREEMENT = {"5": "Strongly agree", "4": "Agree", "3": "Neither agree nor disagree", "2": "Disagree",
             "1": "Strongly disagree"}  # fmt: skip
WEST_SURVEY_QUESTIONS = {
    "treated_with_respect": "Q1 Treated with respect", "treated_fairly": "Q2 Treated fairly",
    "listened_to": "Q3 Listened to", "kept_informed": "Q4 Kept informed", "felt_believed": "Q5 Felt believed",
    "would_recommend_reporting": "Q6 Would encourage others to report",
}  # fmt: skip


def _west_suspect_actions() -> str:
    return f"""
        select
            case_id as "Occurrence ID",
            {_case("action", WEST_ACTIONS)} as "Action",
            {_dmy("action_date", "%d/%m/%y")} as "Action Date",
            {_case("order_type", WEST_ORDERS)} as "Order",
            {_case("breach_response", WEST_BREACH_RESPONSES)} as "Breach Outcome"
        from suspect_actions order by n
    """


def _west_victim_survey() -> str:
    # An unanswered question is blank on odd rows and "Not answered" on even ones.
    unanswered = "case when n % 2 = 0 then 'Not answered' else '' end"
    answers = ", ".join(
        f"{_case(item, AGREEMENT, unanswered)} as {_name(label)}" for item, label in WEST_SURVEY_QUESTIONS.items()
    )
    return f"""
        select
            response_id as "Response Ref",
            {_excel_date("response_date")} as "Completed",
            {_case("journey_stage", {"reporting": "1. Reporting", "investigation": "2. Investigation",
                                     "outcome": "3. Outcome"})} as "Stage",
            {answers}
        from victim_survey order by n
    """


# --------------------------------------------------------------------------- MIDLE style

MID_SEX = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
MID_SUSPECT_SEX = {"female": "F", "male": "M", "other": "X", "unknown": "U"}
MID_ETHNICITY = {
    "white": "White - English, Welsh, Scottish, Northern Irish or British",
    "black": "Black, Black British, Caribbean or African - African",
    "asian": "Asian or Asian British - Pakistani", "mixed": "Mixed or multiple ethnic groups - White and Asian",
    "other": "Other ethnic group - Arab", "unknown": "Not stated",
}  # fmt: skip
MID_CRIME_HEADER = [
    "Crime No", "Crime Status", "Offence", "Reported", "Committed",
    "Gender", "Age (at offence)", "Ethnic description",  # the victim's block
    "Suspect", "Gender", "Age (at offence)", "Ethnic description",  # the suspect's block
    "Relationship", "DA", "Third party", "OIC", "Victim stance", "Withdrew", "ISVA", "EA requested",
    "EA received", "CPS file", "Outcome", "",  # the outcome date's column has no name
]  # fmt: skip
MID_MOVEMENTS = {
    "seized_at": "Seized", "returned_at": "Returned to owner", "replacement_at": "Replacement phone issued",
    "examined_at": "Examination complete",
}  # fmt: skip
MID_CONTACT_COUNTS = {
    "update": "Updates", "needs_assessment": "Needs assessments", "nfa_explained": "NFA explained",
    "other": "Other contacts",
}  # fmt: skip


def _mid_date(column: str) -> str:
    return f"coalesce(strftime({column}::date, '%d-%b-%Y'), '')"


def _mid_ethnicity(column: str) -> str:
    # Two labels for white, by row, so a mapping must match on the group, not the full label.
    return (f"case when {column} = 'white' and n % 2 = 0 then 'White - Irish' "
            f"else {_case(column, MID_ETHNICITY)} end")  # fmt: skip


def _seconds_when_not_zero(local: str) -> str:
    """A naive local time written `31/10/2026 23:00`, or `31/10/2026 23:00:17` when the seconds are not zero."""
    return (f"case when second({local}) = 0 then strftime({local}, '%d/%m/%Y %H:%M') "
            f"else strftime({local}, '%d/%m/%Y %H:%M:%S') end")  # fmt: skip


def write_mid_style(canonical: Path, out: Path) -> None:
    """Write a canonical extract in the MIDLE style (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    con = _connect(canonical)
    # Every 20th crime has a twin that was later no-crimed or recorded in error, with its own
    # devices, movements and contacts: none of them may reach the canonical extract.
    con.execute(
        """
        create table twins as
        select case_id, 'N' || case_id as twin_id,
            case when n % 40 = 0 then 'No crime' else 'Recorded in error' end as status
        from cases where n % 20 = 0
        """
    )
    con.execute(
        """
        create table all_devices as
        select device_id, case_id, n, * exclude (device_id, case_id, n) from devices
        union all
        select 'N' || d.device_id, t.twin_id, d.n + 0.5, d.* exclude (device_id, case_id, n)
        from devices as d join twins as t using (case_id)
        """
    )
    con.execute(
        """
        create table all_contacts as
        select case_id, contact_date, contact_type from contacts
        union all
        select t.twin_id, c.contact_date, c.contact_type from contacts as c join twins as t using (case_id)
        """
    )
    crimes = f"""
        select
            case_id, status, offence_code, strftime(reported_date::date, '%d-%b-%Y'), {_mid_date("offence_date")},
            {_case("victim_sex", MID_SEX)}, coalesce(victim_age, ''), {_mid_ethnicity("victim_ethnicity")},
            coalesce(suspect_id, ''), {_case("suspect_sex", MID_SUSPECT_SEX)}, coalesce(suspect_age, ''),
            {_mid_ethnicity("suspect_ethnicity")},
            {_case("relationship", {"intimate": "Partner or ex-partner", "family": "Family member",
                                    "acquaintance": "Acquaintance", "stranger": "Stranger", "other": "Other",
                                    "unknown": "Not known"})},
            {_case("domestic_abuse", {"true": "Yes", "false": "No"})},
            {_case("third_party_report", {"true": "Y", "false": "N"})},
            coalesce(officer_id, ''),
            {_case("victim_support_at_report", {"supports": "Supports police action",
                                                "does_not_support": "Does not support police action",
                                                "unknown": "Not known"})},
            {_mid_date("victim_withdrawal_date")}, {_mid_date("isva_referral_date")},
            {_mid_date("early_advice_requested_date")}, {_mid_date("early_advice_received_date")},
            {_mid_date("cps_referral_date")},
            coalesce('Outcome ' || outcome_code, ''), {_mid_date("outcome_date")}
        from (
            select *, 'Confirmed' as status, n as sort_key from cases
            union all
            select c.* replace (t.twin_id as case_id), t.status, c.n + 0.5
            from cases as c join twins as t using (case_id)
        )
        order by sort_key
    """
    _copy_with_header(con, crimes, MID_CRIME_HEADER, out / "crime_extract.csv", bom=True)
    owner = {"victim": "Victim", "suspect": "Suspect", "other": "Third party"}
    consent = {"given": "Given", "refused": "Refused", "not_required": "Not required", "unknown": "Not known"}
    exhibits = f"""
        select
            device_id as "Exhibit", case_id as "Crime No", {_case("owner", owner)} as "Owner",
            {_mid_date("requested_date")} as "Requested", {_case("consent", consent)} as "Consent"
        from all_devices order by n
    """
    _copy(con, exhibits, out / "exhibits.csv")
    local = "timezone('Europe/London', stamp::timestamptz)"
    moves = " union all ".join(
        f"select device_id, n, {i} as step, {_literal(label)} as movement, {column} as stamp "
        f"from all_devices where {column} is not null"
        for i, (column, label) in enumerate(MID_MOVEMENTS.items())
    )
    movements = f"""
        select device_id as "Exhibit", movement as "Movement", {_seconds_when_not_zero(local)} as "When"
        from (
            {moves}
            union all
            -- a step the canonical extract has no column for: the mapping must leave it out
            select device_id, n, 0.5, 'Bagged and tagged', seized_at from all_devices where seized_at is not null
        )
        order by n, step
    """
    _copy(con, movements, out / "movements.csv")
    counts = ", ".join(
        f"count(*) filter (where contact_type = {_literal(code)}) as {_name(label)}"
        for code, label in MID_CONTACT_COUNTS.items()
    )
    # A zero is written as 0 on odd days of the month and left blank on even ones.
    shown = ", ".join(
        f"case when {_name(label)} = 0 and day(contact_date::date) % 2 = 0 then '' else {_name(label)}::varchar end "
        f"as {_name(label)}"
        for label in MID_CONTACT_COUNTS.values()
    )
    contacts = f"""
        select case_id as "Crime No", strftime(contact_date::date, '%d/%m/%Y') as "Date", {shown}
        from (select case_id, contact_date, {counts} from all_contacts group by case_id, contact_date)
        order by case_id, contact_date
    """
    _copy(con, contacts, out / "contact_log.csv")
    crime_rows = con.execute("select count(*) from cases").fetchone()[0] + con.execute(
        "select count(*) from twins"
    ).fetchone()[0]
    con.close()
    manifest = _manifest(canonical)
    finished = datetime.fromisoformat(manifest["extracted_at"]).astimezone(LONDON)
    started = finished - timedelta(seconds=101)
    stamp = "%d/%m/%Y %H:%M:%S" if finished.second else "%d/%m/%Y %H:%M"
    (out / "export.log").write_text(
        f"RASSO extract\nForce: {manifest['force_code']}\nExport started {started:%d/%m/%Y %H:%M:%S}\n"
        f"Export completed {finished.strftime(stamp)}\nCrime rows: {crime_rows}\n"
    )


STYLES = {"EASTC": write_east_style, "WESTD": write_west_style, "MIDLE": write_mid_style}
# The optional v1.1 tables each style carries (when the canonical extract has them).
STYLE_OPTIONAL_TABLES = {"EASTC": (), "WESTD": OPTIONAL_TABLES, "MIDLE": ()}


def mapping_of(force: str) -> Path:
    """The mapping file of a style: the committed sample's, or the generated style's."""
    if force in SAMPLE_FORCES:
        return RAW_SAMPLE_DIR / force / "2026-10-31" / "mapping.toml"
    return STYLE_DIR / f"{force}.toml"


def write_style_export(force: str, canonical: Path, out: Path) -> None:
    """A raw export in a style, ready to adapt: the style's files and its mapping file."""
    STYLES[force](canonical, out)
    shutil.copy(mapping_of(force), out / "mapping.toml")


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



def main(argv: list[str] | None = None) -> int:
    """Write one synthetic force export in a raw style, e.g. to time the adapter on it."""
    parser = argparse.ArgumentParser(prog="python -m pipelines.adapt.sample", description=main.__doc__)
    parser.add_argument("style", choices=sorted(STYLES))
    parser.add_argument("--out", required=True, help="folder to write the raw export (and its mapping.toml) to")
    parser.add_argument("--cases", type=int, default=10_000, help="cases over ten years (default 10,000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="flightdeck-raw-") as work:
        canonical = write_inbox(Path(work), forces=1, years=10, seed=args.seed,
                                cases_per_force_year=max(1, args.cases // 10))[0]  # fmt: skip
        write_style_export(args.style, canonical, Path(args.out))
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
