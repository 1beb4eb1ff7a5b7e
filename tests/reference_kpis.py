"""Independent reference implementation of the KPI catalogue v1.1, for tests.

The production pipeline computes KPIs in DuckDB SQL. This module recomputes the rows of
``kpi_monthly`` (``breakdown = 'all'`` and, on request, the ``dimension=value`` breakdown
rows) for every KPI of catalogue v1.1 in plain Python, with the ``provisional`` column,
written only from the two specs (``extract-contract.md`` and ``kpi-catalogue.md``, both
v1.1) and without reading the production code, so that tests can compare the two.

It is deliberately simple: plain loops over small data, clarity over speed. It assumes
the extracts in the inbox are structurally acceptable (no rejected extracts), but it
applies the contract's row-level quarantine rules itself (including those of the optional
v1.1 files ``suspect_actions.csv`` and ``victim_survey.csv``) and uses only valid rows.

Public API::

    reference_kpi_rows(inbox, kpi_ids, *, breakdowns=False) -> list[dict]
    reference_row_counts(inbox) -> {(force, table): (rows read, rows quarantined)}
    ALL_KPI_IDS           # every catalogue kpi_id, in catalogue order
    BREAKDOWN_KPI_IDS     # the kpi_ids with the case breakdowns (`offence_group=rape`, ...)
    JOURNEY_STAGE_KPI_IDS # the victim-voice kpi_ids, with `journey_stage=<value>` rows
    BREAKDOWN_DIMENSIONS  # the case breakdown dimensions, in catalogue order
    SETTLING_DAYS         # kpi_id -> settling period P in days (0 where not listed)
    PROPORTION_KPI_IDS    # the KPIs whose rows carry a Wilson interval
    SPEC_BETTER           # the better directions the catalogue itself states

Readings chosen where the specs leave room are marked ``AMBIGUITY:`` below.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
Z95 = 1.959963984540054

# ---------------------------------------------------------------------------
# Code lists (contract v1)
# ---------------------------------------------------------------------------

SEX = {"female", "male", "other", "unknown"}
ETHNICITY = {"white", "black", "asian", "mixed", "other", "unknown"}
RELATIONSHIP = {"intimate", "family", "acquaintance", "stranger", "other", "unknown"}
SUPPORT = {"supports", "does_not_support", "unknown"}
OUTCOMES = {"1", "1A", "2", "2A", "3", "3A", "20", "21", "22"}
OUTCOMES |= {str(i) for i in range(4, 19)}
OWNER = {"victim", "suspect", "other"}
CONSENT = {"given", "refused", "not_required", "unknown"}
CONTACT_TYPE = {"update", "needs_assessment", "nfa_explained", "other"}
CHARGED = {"1", "1A"}

# Contract v1.1 (optional files)
SUSPECT_ACTION = {
    "arrest", "voluntary_interview", "pre_charge_bail", "released_under_investigation", "bail_breach",
    "order_applied", "order_granted", "order_breach", "s63g_applied", "s63g_granted",
}  # fmt: skip
ORDER_TYPE = {"shpo", "sro", "restraining", "non_molestation", "dapo", "stalking", "other"}
BREACH_RESPONSE = {"arrested", "charged", "warning", "no_further_action", "unknown"}
JOURNEY_STAGE = ("reporting", "investigation", "outcome")  # catalogue order
SURVEY_ITEMS = (
    "treated_with_respect", "treated_fairly", "listened_to", "kept_informed", "felt_believed",
    "would_recommend_reporting",
)  # fmt: skip
ORDER_ACTIONS = {"order_applied", "order_granted", "order_breach"}  # order_type required
BREACHES = {"bail_breach", "order_breach"}

# Column specs: column -> type. Types: "str", "date", "timestamp", "bool",
# ("int", lo, hi), ("code", allowed_set).
CASE_COLUMNS: dict[str, object] = {
    "case_id": "str",
    "offence_code": "str",  # no code list in the contract: any non-blank string
    "reported_date": "date",
    "offence_date": "date",
    "victim_age": ("int", 0, 120),
    "victim_sex": ("code", SEX),
    "victim_ethnicity": ("code", ETHNICITY),
    "suspect_id": "str",
    "suspect_age": ("int", 0, 120),
    "suspect_sex": ("code", SEX),
    "suspect_ethnicity": ("code", ETHNICITY),
    "relationship": ("code", RELATIONSHIP),
    "domestic_abuse": "bool",
    "third_party_report": "bool",
    "officer_id": "str",
    "victim_support_at_report": ("code", SUPPORT),
    "victim_withdrawal_date": "date",
    "isva_referral_date": "date",
    "early_advice_requested_date": "date",
    "early_advice_received_date": "date",
    "cps_referral_date": "date",
    "outcome_code": ("code", OUTCOMES),
    "outcome_date": "date",
}
CASE_REQUIRED = ("case_id", "offence_code", "reported_date")

DEVICE_COLUMNS: dict[str, object] = {
    "device_id": "str",
    "case_id": "str",
    "owner": ("code", OWNER),
    "requested_date": "date",
    "consent": ("code", CONSENT),
    "seized_at": "timestamp",
    "returned_at": "timestamp",
    "replacement_at": "timestamp",
    "examined_at": "timestamp",
}
DEVICE_REQUIRED = ("device_id", "case_id", "owner")

CONTACT_COLUMNS: dict[str, object] = {
    "case_id": "str",
    "contact_date": "date",
    "contact_type": ("code", CONTACT_TYPE),
}
CONTACT_REQUIRED = ("case_id", "contact_date", "contact_type")

WORKFORCE_COLUMNS: dict[str, object] = {
    "officer_id": "str",
    "month": "month",
    "accredited": "bool",
    "contracted_days": "number",
    "sickness_days": "number",
}
WORKFORCE_REQUIRED = ("officer_id", "month", "accredited", "contracted_days", "sickness_days")

SUSPECT_ACTION_COLUMNS: dict[str, object] = {
    "case_id": "str",
    "action": ("code", SUSPECT_ACTION),
    "action_date": "date",
    "order_type": ("code", ORDER_TYPE),
    "breach_response": ("code", BREACH_RESPONSE),
}
SUSPECT_ACTION_REQUIRED = ("case_id", "action", "action_date")

SURVEY_COLUMNS: dict[str, object] = {
    "response_id": "str",
    "response_date": "date",
    "journey_stage": ("code", set(JOURNEY_STAGE)),
    **{item: ("int", 1, 5) for item in SURVEY_ITEMS},
}
SURVEY_REQUIRED = ("response_id", "response_date", "journey_stage")


# ---------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT_RE = re.compile(r"-?[0-9]+")
_MONTH_RE = re.compile(r"[0-9]{4}-[0-9]{2}")
_NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class _Bad(Exception):
    """A field that makes its row quarantined."""


def _parse_date(text: str) -> date:
    # Strictly YYYY-MM-DD (ASCII digits), and a real calendar date.
    if not _DATE_RE.fullmatch(text):
        raise _Bad(f"unparseable date {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise _Bad(f"unparseable date {text!r}") from exc


def _parse_timestamp(text: str) -> datetime:
    # AMBIGUITY: "ISO 8601 with an offset or Z". We accept whatever Python 3.11's
    # datetime.fromisoformat accepts (this includes a space instead of "T") provided
    # the result carries an offset; a timestamp without an offset is unparseable.
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise _Bad(f"unparseable timestamp {text!r}") from exc
    if value.tzinfo is None or value.utcoffset() is None:
        raise _Bad(f"timestamp without offset {text!r}")
    return value


def _parse_field(text: str, kind: object) -> object:
    if kind == "str":
        return text
    if kind == "date":
        return _parse_date(text)
    if kind == "timestamp":
        return _parse_timestamp(text)
    if kind == "month":
        # `YYYY-MM`, a real month (01-12); stored as the date of its first day.
        if not _MONTH_RE.fullmatch(text):
            raise _Bad(f"unparseable month {text!r}")
        try:
            return date(int(text[:4]), int(text[5:]), 1)
        except ValueError as exc:
            raise _Bad(f"unparseable month {text!r}") from exc
    if kind == "number":
        # AMBIGUITY: a "number" is a plain decimal: optional '-', ASCII digits, and an
        # optional '.' followed by digits ("20", "20.5", "-1"). Exponents, "+", a leading
        # or trailing '.', spaces, "NaN" and "inf" are unparseable. Kept exact (Fraction)
        # so sums of sickness and contracted days are exact.
        if not _NUMBER_RE.fullmatch(text):
            raise _Bad(f"unparseable number {text!r}")
        return Fraction(text)
    if kind == "bool":
        # Booleans are exactly `true` / `false` (lower case).
        if text == "true":
            return True
        if text == "false":
            return False
        raise _Bad(f"unparseable boolean {text!r}")
    if isinstance(kind, tuple) and kind[0] == "int":
        # AMBIGUITY: an integer is an optional '-' followed by ASCII digits
        # ("+5", "5.0", " 5" are unparseable). Leading zeros are accepted.
        if not _INT_RE.fullmatch(text):
            raise _Bad(f"unparseable integer {text!r}")
        number = int(text)
        if not kind[1] <= number <= kind[2]:
            raise _Bad(f"out of range {number}")
        return number
    if isinstance(kind, tuple) and kind[0] == "code":
        # Codes are case-sensitive: they are written exactly as listed.
        if text not in kind[1]:
            raise _Bad(f"not in code list {text!r}")
        return text
    raise AssertionError(kind)


def _read_csv(path: Path) -> list[dict[str, str | None]]:
    # utf-8-sig tolerates a BOM; newline="" lets csv handle RFC 4180 quoting, LF/CRLF.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _parse_row(
    raw: dict[str, str | None],
    columns: dict[str, object],
    required: tuple[str, ...],
) -> dict[str, object]:
    """Typed row (None for null) or raise _Bad.

    AMBIGUITY: "a blank field is a null" is read as: the empty string only. A field of
    spaces is not blank (so it is an unparseable date, a value outside a code list, or
    a plain string). A column absent from the header, or a short row, is null.
    """
    out: dict[str, object] = {}
    for name, kind in columns.items():
        text = raw.get(name)
        if text is None or text == "":
            if name in required:
                raise _Bad(f"required {name} blank")
            out[name] = None
            continue
        out[name] = _parse_field(text, kind)
    return out


def _after(
    row: dict[str, object],
    dates: Iterable[str],
    stamps: Iterable[str],
    t: datetime,
    d_t: date,
) -> None:
    for name in dates:
        if row[name] is not None and row[name] > d_t:
            raise _Bad(f"{name} after D_T")
    for name in stamps:
        if row[name] is not None and row[name] > t:
            raise _Bad(f"{name} after T")


def _not_before(row: dict[str, object], later: str, earlier: str) -> None:
    """Raise when both are present and row[later] < row[earlier]."""
    if row[later] is not None and row[earlier] is not None and row[later] < row[earlier]:
        raise _Bad(f"{later} before {earlier}")


def _duplicated(rows: list[dict[str, str | None]], key: str) -> set[str]:
    # AMBIGUITY: a key is "duplicated" when the same non-blank raw string appears on two
    # or more rows of the file, whatever else is wrong with those rows; every copy is
    # then quarantined (even a copy that would otherwise be valid).
    seen: dict[str, int] = {}
    for raw in rows:
        value = raw.get(key)
        if value:
            seen[value] = seen.get(value, 0) + 1
    return {value for value, count in seen.items() if count > 1}


# ---------------------------------------------------------------------------
# Extracts
# ---------------------------------------------------------------------------


@dataclass
class Extract:
    force_code: str
    t: datetime  # extracted_at (aware)
    d_t: date  # T's calendar date in Europe/London
    folder: Path
    cases: list[dict[str, object]] = field(default_factory=list)  # valid rows only
    devices: list[dict[str, object]] = field(default_factory=list)  # valid rows only
    contacts: list[dict[str, object]] = field(default_factory=list)  # valid rows only
    workforce: list[dict[str, object]] = field(default_factory=list)  # valid rows only (may be empty)
    # The optional v1.1 files: None when the extract does not have the file (its KPIs are
    # then not published for the force), else the valid rows (possibly none).
    suspect_actions: list[dict[str, object]] | None = None
    victim_survey: list[dict[str, object]] | None = None
    quarantined: dict[str, int] = field(default_factory=dict)  # file -> count
    rows_read: dict[str, int] = field(default_factory=dict)  # file -> data rows in the file


def _valid_cases(rows, t, d_t) -> list[dict[str, object]]:
    dups = _duplicated(rows, "case_id")
    valid = []
    for raw in rows:
        try:
            row = _parse_row(raw, CASE_COLUMNS, CASE_REQUIRED)
            if row["case_id"] in dups:
                raise _Bad("duplicated case_id")
            _not_before(row, "reported_date", "offence_date")
            _not_before(row, "victim_withdrawal_date", "reported_date")
            _not_before(row, "early_advice_received_date", "early_advice_requested_date")
            _not_before(row, "outcome_date", "reported_date")
            dates = [n for n, k in CASE_COLUMNS.items() if k == "date"]
            _after(row, dates, [], t, d_t)
            if (row["outcome_code"] is None) != (row["outcome_date"] is None):
                raise _Bad("outcome_code / outcome_date not both present")
        except _Bad:
            continue
        valid.append(row)
    return valid


def _valid_devices(rows, case_ids, t, d_t) -> list[dict[str, object]]:
    dups = _duplicated(rows, "device_id")
    valid = []
    for raw in rows:
        try:
            row = _parse_row(raw, DEVICE_COLUMNS, DEVICE_REQUIRED)
            if row["device_id"] in dups:
                raise _Bad("duplicated device_id")
            if row["case_id"] not in case_ids:
                raise _Bad("case_id not a valid case")
            _not_before(row, "returned_at", "seized_at")
            _not_before(row, "examined_at", "seized_at")
            # replacement_at has no order rule in the contract.
            _after(
                row,
                ["requested_date"],
                ["seized_at", "returned_at", "replacement_at", "examined_at"],
                t,
                d_t,
            )
        except _Bad:
            continue
        valid.append(row)
    return valid


def _valid_contacts(rows, case_ids, t, d_t) -> list[dict[str, object]]:
    valid = []
    for raw in rows:
        try:
            row = _parse_row(raw, CONTACT_COLUMNS, CONTACT_REQUIRED)
            if row["case_id"] not in case_ids:
                raise _Bad("case_id not a valid case")
            _after(row, ["contact_date"], [], t, d_t)
        except _Bad:
            continue
        valid.append(row)
    return valid


def _duplicated_pairs(rows: list[dict[str, str | None]], keys: tuple[str, str]) -> set[tuple[str, str]]:
    # AMBIGUITY: as for single keys, (officer_id, month) is duplicated when the same pair
    # of non-blank raw strings appears on two or more rows, whatever else is wrong with
    # them; every copy is quarantined. Raw strings are compared ("2026-01" only; a
    # non-canonical month spelling is unparseable anyway).
    seen: dict[tuple[str, str], int] = {}
    for raw in rows:
        pair = (raw.get(keys[0]), raw.get(keys[1]))
        if pair[0] and pair[1]:
            seen[pair] = seen.get(pair, 0) + 1
    return {pair for pair, count in seen.items() if count > 1}


def _valid_workforce(rows, d_t) -> list[dict[str, object]]:
    dups = _duplicated_pairs(rows, ("officer_id", "month"))
    valid = []
    for raw in rows:
        try:
            row = _parse_row(raw, WORKFORCE_COLUMNS, WORKFORCE_REQUIRED)
            if (raw.get("officer_id"), raw.get("month")) in dups:
                raise _Bad("duplicated (officer_id, month)")
            if not row["contracted_days"] > 0:
                raise _Bad("contracted_days not > 0")
            if not 0 <= row["sickness_days"] <= row["contracted_days"]:
                raise _Bad("sickness_days outside 0..contracted_days")
            # A month is "after T" when it is later than D_T's month.
            if row["month"] > _month(d_t):
                raise _Bad("month after T")
            # AMBIGUITY: workforce.officer_id need not appear on any case (the contract
            # gives workforce no reference to cases.csv).
        except _Bad:
            continue
        valid.append(row)
    return valid


def _valid_suspect_actions(rows, suspect_of_case: dict[str, object], d_t) -> list[dict[str, object]]:
    """Valid rows of suspect_actions.csv; suspect_of_case maps each valid case to its suspect_id."""
    valid = []
    for raw in rows:
        try:
            row = _parse_row(raw, SUSPECT_ACTION_COLUMNS, SUSPECT_ACTION_REQUIRED)
            if row["case_id"] not in suspect_of_case:
                raise _Bad("case_id not a valid case")  # unknown or quarantined case
            if suspect_of_case[row["case_id"]] is None:
                raise _Bad("action on a case without a suspect_id")
            if row["action"] in ORDER_ACTIONS and row["order_type"] is None:
                raise _Bad("order_type required for an order action")
            # "not after T": a date is after T when later than D_T. No order rule against
            # reported_date (an arrest can precede the record).
            _after(row, ["action_date"], [], None, d_t)
            # AMBIGUITY: the contract makes order_type *required* for the three order
            # actions and describes breach_response as being "for bail_breach and
            # order_breach", but lists no quarantine rule for an order_type on another
            # action or a breach_response on a non-breach action. Such a row is read as
            # valid (the extra field is simply not used by any KPI), not quarantined.
        except _Bad:
            continue
        valid.append(row)
    return valid


def _valid_victim_survey(rows, d_t) -> list[dict[str, object]]:
    """Valid rows of victim_survey.csv (response_id is its key; no case reference)."""
    dups = _duplicated(rows, "response_id")
    valid = []
    for raw in rows:
        try:
            row = _parse_row(raw, SURVEY_COLUMNS, SURVEY_REQUIRED)
            if row["response_id"] in dups:
                raise _Bad("duplicated response_id")
            _after(row, ["response_date"], [], None, d_t)
            # Items are integers 1-5; blank = not answered (null). 0, 6, "4.0" and " 4"
            # quarantine the whole response (a value outside its range / unparseable).
        except _Bad:
            continue
        valid.append(row)
    return valid


def _load_extract(folder: Path) -> Extract:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8-sig"))
    t = datetime.fromisoformat(manifest["extracted_at"])
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{folder}: extracted_at has no offset")
    d_t = t.astimezone(LONDON).date()
    ex = Extract(force_code=manifest["force_code"], t=t, d_t=d_t, folder=folder)

    case_rows = _read_csv(folder / "cases.csv")
    ex.cases = _valid_cases(case_rows, t, d_t)
    case_ids = {c["case_id"] for c in ex.cases}

    device_rows = _read_csv(folder / "devices.csv")
    ex.devices = _valid_devices(device_rows, case_ids, t, d_t)

    contact_rows = _read_csv(folder / "contacts.csv")
    ex.contacts = _valid_contacts(contact_rows, case_ids, t, d_t)

    ex.quarantined = {
        "cases": len(case_rows) - len(ex.cases),
        "devices": len(device_rows) - len(ex.devices),
        "contacts": len(contact_rows) - len(ex.contacts),
    }
    ex.rows_read = {"cases": len(case_rows), "devices": len(device_rows), "contacts": len(contact_rows)}

    # The optional v1.1 files. AMBIGUITY: a force "has" the file when the file is in its
    # used extract, even with a header and no rows, or with every row quarantined: its
    # count KPIs are then published with zeros.
    actions_path = folder / "suspect_actions.csv"
    if actions_path.exists():
        action_rows = _read_csv(actions_path)
        suspect_of_case = {c["case_id"]: c["suspect_id"] for c in ex.cases}
        ex.suspect_actions = _valid_suspect_actions(action_rows, suspect_of_case, d_t)
        ex.quarantined["suspect_actions"] = len(action_rows) - len(ex.suspect_actions)
        ex.rows_read["suspect_actions"] = len(action_rows)
    survey_path = folder / "victim_survey.csv"
    if survey_path.exists():
        survey_rows = _read_csv(survey_path)
        ex.victim_survey = _valid_victim_survey(survey_rows, d_t)
        ex.quarantined["victim_survey"] = len(survey_rows) - len(ex.victim_survey)
        ex.rows_read["victim_survey"] = len(survey_rows)

    # workforce.csv is optional: absent means no workforce rows (the workforce KPIs
    # sickness_rate and unaccredited_share then have no rows for this force).
    workforce_path = folder / "workforce.csv"
    if workforce_path.exists():
        workforce_rows = _read_csv(workforce_path)
        ex.workforce = _valid_workforce(workforce_rows, d_t)
        ex.quarantined["workforce"] = len(workforce_rows) - len(ex.workforce)
        ex.rows_read["workforce"] = len(workforce_rows)
    return ex


def load_latest_extracts(inbox: Path | list[Path]) -> dict[str, Extract]:
    """force_code -> the extract with the latest extracted_at (compared as instants).

    `inbox` may be a list of folders (an inbox and the folder of adapted extracts).
    """
    roots = [inbox] if isinstance(inbox, str | Path) else list(inbox)
    by_force: dict[str, list[tuple[datetime, Path]]] = {}
    for manifest_path in sorted(p for root in roots for p in Path(root).rglob("manifest.json")):
        folder = manifest_path.parent
        manifest = json.loads(manifest_path.read_text(encoding="utf-8-sig"))
        t = datetime.fromisoformat(manifest["extracted_at"])
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"{folder}: extracted_at has no offset")
        by_force.setdefault(manifest["force_code"], []).append((t, folder))
    chosen: dict[str, Extract] = {}
    for force, candidates in by_force.items():
        latest = max(t for t, _ in candidates)  # aware datetimes compare as instants
        folders = [f for t, f in candidates if t == latest]
        if len(folders) > 1:
            # AMBIGUITY: the contract does not say which of two extracts with the same
            # instant wins; the reference refuses to guess.
            raise ValueError(f"{force}: several extracts share extracted_at {latest}")
        chosen[force] = _load_extract(folders[0])
    return chosen


# ---------------------------------------------------------------------------
# Months and statistics
# ---------------------------------------------------------------------------


def _month(d: date) -> date:
    return d.replace(day=1)


def _ts_month(ts: datetime) -> date:
    """Month of a timestamp: the month of its Europe/London calendar date."""
    return _month(ts.astimezone(LONDON).date())


def _next_month(m: date) -> date:
    return date(m.year + 1, 1, 1) if m.month == 12 else date(m.year, m.month + 1, 1)


def _months(first: date, last: date) -> list[date]:
    out = []
    m = first
    while m <= last:
        out.append(m)
        m = _next_month(m)
    return out


def _force_range(ex: Extract) -> tuple[date, date] | None:
    # AMBIGUITY: a force with no valid case has no earliest reported_date, hence no
    # published months at all (not even zero `charges` rows), and it does not widen
    # the ALL range.
    if not ex.cases:
        return None
    first = _month(min(c["reported_date"] for c in ex.cases))
    last = _month(ex.d_t)
    return first, last


def _median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    if n % 2:
        return float(s[n // 2])
    return (s[n // 2 - 1] + s[n // 2]) / 2


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # AMBIGUITY: the interval is clamped to [0, 1] to absorb float noise at p = 0 or 1
    # (mathematically it already lies in [0, 1]).
    return max(0.0, centre - half), min(1.0, centre + half)


def _km_median(items: list[tuple[float, bool]]) -> float | None:
    """Kaplan-Meier median of (duration, event) pairs, S(t) computed exactly."""
    event_times = sorted({d for d, event in items if event})
    s = Fraction(1)
    for t_i in event_times:
        n_i = sum(1 for d, _ in items if d >= t_i)  # censored at t_i still at risk
        d_i = sum(1 for d, event in items if event and d == t_i)
        s *= 1 - Fraction(d_i, n_i)
        if s <= Fraction(1, 2):
            return float(t_i)
    return None


# ---------------------------------------------------------------------------
# KPI item generators: yield (month, item) for one extract
# ---------------------------------------------------------------------------
# proportion items: bool (counted in the numerator?) -- one per denominator member
# median items: the value
# km items: (duration, event)
# count items: anything (one per counted record)


def _days(a: date, b: date) -> int:
    return (b - a).days


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _cohort(ex: Extract, predicate) -> Iterator[tuple[date, bool]]:
    for c in ex.cases:
        yield _month(c["reported_date"]), bool(predicate(ex, c))


def _withdrawals(ex: Extract) -> Iterator[tuple[date, dict[str, object]]]:
    for c in ex.cases:
        if c["victim_withdrawal_date"] is not None:
            yield _month(c["victim_withdrawal_date"]), c


def _outcomes(ex: Extract) -> Iterator[tuple[date, dict[str, object]]]:
    for c in ex.cases:
        if c["outcome_date"] is not None:
            yield _month(c["outcome_date"]), c


def _victim_seizures(ex: Extract) -> Iterator[tuple[date, dict[str, object]]]:
    for d in ex.devices:
        if d["owner"] == "victim" and d["seized_at"] is not None:
            yield _ts_month(d["seized_at"]), d


def _withdrawal_within(limit: int):
    def gen(ex: Extract):
        for m, c in _withdrawals(ex):
            yield m, _days(c["reported_date"], c["victim_withdrawal_date"]) <= limit

    return gen


def _outcome_share(codes: set[str]):
    def gen(ex: Extract):
        for m, c in _outcomes(ex):
            yield m, c["outcome_code"] in codes

    return gen


def _median_days_to_withdrawal(ex: Extract):
    for m, c in _withdrawals(ex):
        yield m, _days(c["reported_date"], c["victim_withdrawal_date"])


def _charges(ex: Extract):
    for m, c in _outcomes(ex):
        if c["outcome_code"] in CHARGED:
            yield m, c


def _median_days_report_to_charge(ex: Extract):
    for m, c in _outcomes(ex):
        if c["outcome_code"] in CHARGED:
            yield m, _days(c["reported_date"], c["outcome_date"])


def _median_days_report_to_outcome(ex: Extract):
    for m, c in _outcomes(ex):
        yield m, _days(c["reported_date"], c["outcome_date"])


def _victim_phone_request_rate(ex: Extract):
    # AMBIGUITY: "at least one device row whose owner = victim" counts valid device
    # rows only (quarantined rows are out of the KPIs); the device's own dates do not
    # matter (the basis is the case's reporting cohort, as at T).
    with_victim_device = {d["case_id"] for d in ex.devices if d["owner"] == "victim"}
    for c in ex.cases:
        yield _month(c["reported_date"]), c["case_id"] in with_victim_device


def _victim_phone_consent_rate(ex: Extract):
    for d in ex.devices:
        if d["owner"] == "victim" and d["requested_date"] is not None and d["consent"] in ("given", "refused"):
            yield _month(d["requested_date"]), d["consent"] == "given"


def _returned_24h(d: dict[str, object]) -> bool:
    if d["returned_at"] is None:
        return False
    return d["returned_at"] - d["seized_at"] <= timedelta(hours=24)


def _seizures_24h_ago(ex: Extract):
    for m, d in _victim_seizures(ex):
        if d["seized_at"] <= ex.t - timedelta(hours=24):
            yield m, d


def _victim_phone_returned_24h(ex: Extract):
    for m, d in _seizures_24h_ago(ex):
        yield m, _returned_24h(d)


def _victim_without_phone_over_24h(ex: Extract):
    for m, d in _seizures_24h_ago(ex):
        # A replacement_at earlier than seized_at gives a negative difference, which is
        # <= 24 h: read literally, the owner counts as having a phone.
        replaced = d["replacement_at"] is not None and (d["replacement_at"] - d["seized_at"] <= timedelta(hours=24))
        yield m, not (_returned_24h(d) or replaced)


def _victim_phone_median_hours_held(ex: Extract):
    for m, d in _victim_seizures(ex):
        if d["returned_at"] is not None:
            yield m, (_hours(d["seized_at"], d["returned_at"]), True)
        else:
            # Censored at T of this device's own force extract.
            yield m, (_hours(d["seized_at"], ex.t), False)


# --- the rest of attrition, charges and timeliness -------------------------


def _does_not_support_at_report_share(ex: Extract):
    for c in ex.cases:
        if c["victim_support_at_report"] in ("supports", "does_not_support"):
            yield _month(c["reported_date"]), c["victim_support_at_report"] == "does_not_support"


def _cps_referrals(ex: Extract):
    # AMBIGUITY: the contract puts no order rule on cps_referral_date, so a referral may
    # predate reported_date; it is counted in the month it falls in, and dropped (like
    # anything else) when that month is outside the force's published range.
    for c in ex.cases:
        if c["cps_referral_date"] is not None:
            yield _month(c["cps_referral_date"]), c


def _early_advice_median_days(ex: Extract):
    # A received date without a requested date is not in n (the catalogue's "and that
    # have a requested date").
    for c in ex.cases:
        received, requested = c["early_advice_received_date"], c["early_advice_requested_date"]
        if received is not None and requested is not None:
            yield _month(received), _days(requested, received)


def _suspect_device_median_days_to_examination(ex: Extract):
    for d in ex.devices:
        if d["owner"] != "suspect" or d["seized_at"] is None:
            continue
        m = _ts_month(d["seized_at"])
        if d["examined_at"] is not None:
            yield m, (_hours(d["seized_at"], d["examined_at"]) / 24, True)
        else:
            # Censored at T of this device's own force extract.
            yield m, (_hours(d["seized_at"], ex.t) / 24, False)


# --- victim care --------------------------------------------------------------


def _last_day(m: date) -> date:
    return _next_month(m) - timedelta(days=1)


def _snapshots(ex: Extract) -> Iterator[tuple[date, date]]:
    """(month M, month end E) for every month published for this force."""
    r = _force_range(ex)
    if r is None:
        return
    for m in _months(*r):
        yield m, min(_last_day(m), ex.d_t)


def _open_at(c: dict[str, object], e: date) -> bool:
    return c["reported_date"] <= e and (c["outcome_date"] is None or c["outcome_date"] > e)


def _isva_referral_within_7d(ex: Extract):
    for c in ex.cases:
        if c["reported_date"] > ex.d_t - timedelta(days=7):
            continue
        isva = c["isva_referral_date"]
        # A referral before the report gives a negative difference and counts.
        yield _month(c["reported_date"]), isva is not None and _days(c["reported_date"], isva) <= 7


def _victim_updated_within_28d(ex: Extract):
    updates: dict[str, list[date]] = {}
    for k in ex.contacts:
        if k["contact_type"] == "update":
            updates.setdefault(k["case_id"], []).append(k["contact_date"])
    for m, e in _snapshots(ex):
        for c in ex.cases:
            if not _open_at(c, e) or c["reported_date"] > e - timedelta(days=28):
                continue
            withdrawn = c["victim_withdrawal_date"]
            if withdrawn is not None and withdrawn <= e:
                continue
            # AMBIGUITY: the contract puts no order rule on contact_date, so an update
            # dated before reported_date still counts when it lies in (E - 28, E].
            recent = [d for d in updates.get(c["case_id"], []) if e - timedelta(days=28) < d <= e]
            yield m, bool(recent)


# --- suspects -----------------------------------------------------------------


def _repeat_suspect_share(ex: Extract):
    # Per force: pseudonyms are per force, so the same suspect_id in another force's
    # extract is a different person. "Any dates": every valid case of the extract counts
    # (valid cases all lie inside the force's range anyway: reported_date <= D_T).
    # AMBIGUITY: suspect ids are compared as exact strings (case- and space-sensitive).
    cases_per_suspect: dict[str, int] = {}
    for c in ex.cases:
        if c["suspect_id"] is not None:
            cases_per_suspect[c["suspect_id"]] = cases_per_suspect.get(c["suspect_id"], 0) + 1
    for c in ex.cases:
        if c["suspect_id"] is not None:
            yield _month(c["reported_date"]), cases_per_suspect[c["suspect_id"]] >= 2


# --- workforce ----------------------------------------------------------------


def _open_cases_by_officer(ex: Extract, e: date) -> dict[str, int]:
    """officer_id -> number of cases open at E that carry that officer_id."""
    counts: dict[str, int] = {}
    for c in ex.cases:
        if _open_at(c, e) and c["officer_id"] is not None:
            counts[c["officer_id"]] = counts.get(c["officer_id"], 0) + 1
    return counts


def _open_cases_per_investigator(ex: Extract):
    # One item per open case that has an officer_id: the officer as (force, id), so that
    # ALL counts an officer of two forces with the same pseudonym twice.
    # Computed from cases.csv, whether or not workforce.csv exists.
    # AMBIGUITY: officer ids are exact strings; an open case with a blank officer_id is
    # in neither numerator nor denominator, so a month whose open cases all lack an
    # officer has no row (denominator 0).
    for m, e in _snapshots(ex):
        for officer, n in sorted(_open_cases_by_officer(ex, e).items()):
            for _ in range(n):
                yield m, (ex.force_code, officer)


def _investigators_over_15_cases(ex: Extract):
    # One item per distinct officer on cases open at E: more than 15 (16 or more).
    for m, e in _snapshots(ex):
        for _officer, n in sorted(_open_cases_by_officer(ex, e).items()):
            yield m, n > 15


def _sickness_rate(ex: Extract):
    for w in ex.workforce:
        yield w["month"], (w["sickness_days"], w["contracted_days"])


def _unaccredited_share(ex: Extract):
    # (officer_id, month) is unique in valid rows, so one row = one officer for M.
    for w in ex.workforce:
        yield w["month"], w["accredited"] is False


# --- data quality -------------------------------------------------------------


def _completeness(column: str, suspect_only: bool):
    # Numerator: present and not `unknown` (ages have no `unknown`: present is enough,
    # and 0 is a present age).
    def gen(ex: Extract):
        for c in ex.cases:
            if suspect_only and c["suspect_id"] is None:
                continue
            value = c[column]
            yield _month(c["reported_date"]), value is not None and value != "unknown"

    return gen


# --- fixed follow-up (catalogue v1.1) ----------------------------------------


def _followed_cohort(days: int, counted):
    """Cohort M, only cases reported at least `days` days before D_T; yields (month, item, case)."""

    def gen(ex: Extract):
        for c in ex.cases:
            # reported_date <= D_T - days: every case has had the whole follow-up window.
            if c["reported_date"] > ex.d_t - timedelta(days=days):
                continue
            yield _month(c["reported_date"]), bool(counted(c, days)), c

    return gen


def _withdrew_within(c: dict[str, object], days: int) -> bool:
    withdrawn = c["victim_withdrawal_date"]
    return withdrawn is not None and _days(c["reported_date"], withdrawn) <= days


def _charged_within(c: dict[str, object], days: int) -> bool:
    return c["outcome_code"] in CHARGED and _days(c["reported_date"], c["outcome_date"]) <= days


# --- disrupting suspects (only where suspect_actions.csv is supplied) ------------


def _actions(ex: Extract, names: set[str]) -> Iterator[dict[str, object]]:
    for a in ex.suspect_actions or []:
        if a["action"] in names:
            yield a


def _suspect_arrest_within_30d(ex: Extract):
    # Denominator: cohort M with a suspect_id, reported at least 30 days before D_T.
    # Numerator: an `arrest` or `voluntary_interview` of the case with action_date -
    # reported_date <= 30 days.
    # AMBIGUITY: "an action before the report counts" is read with no lower bound: an
    # arrest any number of days before the report counts (the difference is negative).
    arrested: dict[str, list[date]] = {}
    for a in _actions(ex, {"arrest", "voluntary_interview"}):
        arrested.setdefault(a["case_id"], []).append(a["action_date"])
    for c in ex.cases:
        if c["suspect_id"] is None or c["reported_date"] > ex.d_t - timedelta(days=30):
            continue
        days = [_days(c["reported_date"], d) for d in arrested.get(c["case_id"], [])]
        yield _month(c["reported_date"]), any(d <= 30 for d in days)


def _breach_arrest_share(ex: Extract):
    # Every breach row is one breach (identical rows are two breaches). A blank
    # breach_response is `unknown`: in the denominator, not the numerator.
    for a in _actions(ex, BREACHES):
        yield _month(a["action_date"]), a["breach_response"] in ("arrested", "charged")


def _orders(action: str):
    def gen(ex: Extract):
        # AMBIGUITY: an order action dated before the force's first published month (an
        # action can precede every report) is outside the range and counted nowhere.
        for a in _actions(ex, {action}):
            yield _month(a["action_date"]), a

    return gen


def _s63g_application_share(ex: Extract):
    # Denominator: cases with a suspect_id closed as outcome 15 or 16 in M. Numerator: at
    # least one `s63g_applied` action on the case, whatever its date (before or after the
    # outcome). `s63g_granted` alone does not count.
    applied = {a["case_id"] for a in _actions(ex, {"s63g_applied"})}
    for m, c in _outcomes(ex):
        if c["suspect_id"] is not None and c["outcome_code"] in ("15", "16"):
            yield m, c["case_id"] in applied


# --- victim voice (only where victim_survey.csv is supplied) ---------------------


def _add_months(m: date, k: int) -> date:
    for _ in range(k):
        m = _next_month(m)
    return m


def _survey_agreement(item: str):
    """(month M, agrees, response) for every M whose three-month window holds the response."""

    def gen(ex: Extract):
        for r in ex.victim_survey or []:
            answer = r[item]
            if answer is None:  # not answered: not in the denominator
                continue
            first = _month(r["response_date"])
            # Responses in the three months ending with M: M is the response's month or
            # one of the two months after it.
            # AMBIGUITY: a response dated before the force's first published month still
            # counts in the windows of the published months that reach back to it (the
            # row for M is published; its basis is the three months ending with M, and
            # the range only limits which rows are published).
            for k in range(3):
                yield _add_months(first, k), answer >= 4, r

    return gen


def _journey_stage(r: dict[str, object]) -> list[tuple[str, str]]:
    return [("journey_stage", r["journey_stage"])]


# --- breakdowns ---------------------------------------------------------------
# A breakdown generator yields (month, item, subject): the case (or survey response) whose
# attributes place the item in a `dimension=value` group.

BREAKDOWN_DIMENSIONS = (
    "offence_group",
    "victim_sex",
    "victim_age_band",
    "victim_ethnicity",
    "relationship",
    "domestic_abuse",
)


def _age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for upper, band in ((15, "0-15"), (17, "16-17"), (24, "18-24"), (34, "25-34"), (44, "35-44"), (54, "45-54")):
        if age <= upper:
            return band
    return "55+"


def _dimensions(c: dict[str, object]) -> list[tuple[str, str]]:
    # A blank (null) code counts as `unknown`.
    # AMBIGUITY: offence_group is decided on the raw offence_code string: `rape` when it
    # starts with the two characters "19" (so "19C" and also "190" or "19 "), otherwise
    # `other_sexual_offence`; no normalisation of case or spaces.
    domestic = c["domestic_abuse"]
    return [
        ("offence_group", "rape" if c["offence_code"].startswith("19") else "other_sexual_offence"),
        ("victim_sex", c["victim_sex"] or "unknown"),
        ("victim_age_band", _age_band(c["victim_age"])),
        ("victim_ethnicity", c["victim_ethnicity"] or "unknown"),
        ("relationship", c["relationship"] or "unknown"),
        ("domestic_abuse", "unknown" if domestic is None else ("true" if domestic else "false")),
    ]


def _cohort_cases(predicate):
    def gen(ex: Extract):
        for c in ex.cases:
            yield _month(c["reported_date"]), bool(predicate(c)), c

    return gen


def _outcome_share_cases(codes: set[str]):
    def gen(ex: Extract):
        for m, c in _outcomes(ex):
            yield m, c["outcome_code"] in codes, c

    return gen


def _no_subject(gen2):
    """Adapt a (month, item) generator to (month, item, subject) with no subject."""

    def gen(ex: Extract):
        for m, item in gen2(ex):
            yield m, item, None

    return gen


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiSpec:
    """One catalogue KPI as the reference computes it.

    kind: "proportion" (items: bool), "median" (items: number), "km" (items: (duration,
    event)), "count" (items: anything), "per_officer" (items: one (force, officer_id) per
    counted case), "ratio" (items: (numerator part, denominator part)).
    items(ex) yields (month, item, subject); dimensions(subject) gives the breakdown groups
    (None: `all` rows only). settling_days is the catalogue's P. source names the optional
    v1.1 file the KPI exists on (None: every force).
    """

    kind: str
    items: object
    dimensions: object = None
    settling_days: int = 0
    source: str | None = None


def _p(gen2, kind: str = "proportion", **kw) -> KpiSpec:
    return KpiSpec(kind, _no_subject(gen2), **kw)


KPIS: dict[str, KpiSpec] = {
    # Attrition
    "withdrawal_rate": KpiSpec(
        "proportion", _cohort_cases(lambda c: c["victim_withdrawal_date"] is not None), _dimensions, 180
    ),
    "withdrawal_within_7d": _p(_withdrawal_within(7)),
    "withdrawal_within_30d": _p(_withdrawal_within(30)),
    "median_days_to_withdrawal": _p(_median_days_to_withdrawal, "median"),
    "does_not_support_at_report_share": _p(_does_not_support_at_report_share),
    "withdrawal_within_90d_of_report": KpiSpec("proportion", _followed_cohort(90, _withdrew_within), _dimensions, 90),
    # Outcomes
    "outcome14_share": _p(_outcome_share({"14"})),
    "outcome15_share": _p(_outcome_share({"15"})),
    "outcome16_share": KpiSpec("proportion", _outcome_share_cases({"16"}), _dimensions),
    "outcome18_share": _p(_outcome_share({"18"})),
    "victim_withdrawal_outcome_share": KpiSpec("proportion", _outcome_share_cases({"14", "16"}), _dimensions),
    "charge_outcome_share": KpiSpec("proportion", _outcome_share_cases(CHARGED), _dimensions),
    # Charges and timeliness
    "charge_rate": KpiSpec("proportion", _cohort_cases(lambda c: c["outcome_code"] in CHARGED), _dimensions, 365),
    "charged_within_365d_of_report": KpiSpec("proportion", _followed_cohort(365, _charged_within), _dimensions, 365),
    "charges": _p(_charges, "count"),
    "median_days_report_to_charge": _p(_median_days_report_to_charge, "median"),
    "median_days_report_to_outcome": _p(_median_days_report_to_outcome, "median"),
    "cps_referrals": _p(_cps_referrals, "count"),
    "early_advice_median_days": _p(_early_advice_median_days, "median"),
    # Victims' phones and suspects' devices
    "victim_phone_request_rate": _p(_victim_phone_request_rate, settling_days=90),
    "victim_phone_consent_rate": _p(_victim_phone_consent_rate),
    "victim_phone_returned_24h": _p(_victim_phone_returned_24h),
    "victim_without_phone_over_24h": _p(_victim_without_phone_over_24h),
    "victim_phone_median_hours_held": _p(_victim_phone_median_hours_held, "km"),
    "suspect_device_median_days_to_examination": _p(_suspect_device_median_days_to_examination, "km"),
    # Victim care
    "isva_referral_within_7d": _p(_isva_referral_within_7d),
    "victim_updated_within_28d": _p(_victim_updated_within_28d),
    # Suspects
    "repeat_suspect_share": _p(_repeat_suspect_share, settling_days=365),
    # Disrupting suspects
    "suspect_arrest_within_30d": _p(_suspect_arrest_within_30d, settling_days=30, source="suspect_actions"),
    "breach_arrest_share": _p(_breach_arrest_share, settling_days=30, source="suspect_actions"),
    "protection_orders_applied": _p(_orders("order_applied"), "count", source="suspect_actions"),
    "protection_orders_granted": _p(_orders("order_granted"), "count", source="suspect_actions"),
    "s63g_application_share": _p(_s63g_application_share, settling_days=90, source="suspect_actions"),
    # Victim voice
    **{
        f"pj_{item}": KpiSpec("proportion", _survey_agreement(item), _journey_stage, source="victim_survey")
        for item in SURVEY_ITEMS
    },
    # Workforce
    # AMBIGUITY: sickness_rate and unaccredited_share exist only where workforce.csv is
    # supplied, but unlike the v1.1 tables the catalogue gives them no "ALL over those
    # forces only" rule, so their ALL provisional flag follows the common rule (any force
    # whose published range includes M). With P = 0 the two readings differ only when a
    # force without workforce.csv has a different D_T month.
    "open_cases_per_investigator": _p(_open_cases_per_investigator, "per_officer"),
    "investigators_over_15_cases": _p(_investigators_over_15_cases),
    "sickness_rate": _p(_sickness_rate, "ratio"),
    "unaccredited_share": _p(_unaccredited_share),
    # Data quality
    "completeness_victim_age": _p(_completeness("victim_age", False)),
    "completeness_victim_sex": _p(_completeness("victim_sex", False)),
    "completeness_victim_ethnicity": _p(_completeness("victim_ethnicity", False)),
    "completeness_relationship": _p(_completeness("relationship", False)),
    "completeness_suspect_age": _p(_completeness("suspect_age", True)),
    "completeness_suspect_sex": _p(_completeness("suspect_sex", True)),
    "completeness_suspect_ethnicity": _p(_completeness("suspect_ethnicity", True)),
}

# Catalogue order (KPIS is written in that order).
ALL_KPI_IDS: tuple[str, ...] = tuple(KPIS)
BREAKDOWN_KPI_IDS: tuple[str, ...] = tuple(k for k in ALL_KPI_IDS if KPIS[k].dimensions is _dimensions)
JOURNEY_STAGE_KPI_IDS: tuple[str, ...] = tuple(k for k in ALL_KPI_IDS if KPIS[k].dimensions is _journey_stage)
SETTLING_DAYS: dict[str, int] = {k: spec.settling_days for k, spec in KPIS.items()}
PROPORTION_KPI_IDS: tuple[str, ...] = tuple(k for k in ALL_KPI_IDS if KPIS[k].kind == "proportion")
# The only better directions the catalogue states; every other KPI's direction is a
# registry choice the catalogue does not define (see reference_views).
SPEC_BETTER: dict[str, str] = {
    "withdrawal_within_90d_of_report": "lower",
    "charged_within_365d_of_report": "higher",
    **{f"pj_{item}": "higher" for item in SURVEY_ITEMS},
}


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------


def _make_row(
    force: str, period: date, kpi_id: str, kind: str, items: list, provisional: bool, breakdown: str = "all"
) -> dict | None:
    row = {
        "force_code": force,
        "period": period,
        "kpi_id": kpi_id,
        "breakdown": breakdown,
        "numerator": None,
        "denominator": None,
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "provisional": provisional,
    }
    n = len(items)
    if kind == "count":
        row["numerator"] = float(n)
        row["value"] = float(n)
        return row
    if n == 0:
        return None
    if kind == "proportion":
        k = sum(1 for item in items if item)
        row["numerator"] = float(k)
        row["denominator"] = float(n)
        row["value"] = k / n
        row["ci_low"], row["ci_high"] = _wilson(k, n)
        return row
    if kind == "median":
        row["denominator"] = float(n)
        row["value"] = _median(items)
        return row
    if kind == "km":
        median = _km_median(items)
        if median is None:
            return None
        row["numerator"] = float(sum(1 for _, event in items if event))
        row["denominator"] = float(n)
        row["value"] = median
        return row
    if kind == "per_officer":
        # Not a proportion: numerator = cases, denominator = distinct officers, ci null.
        officers = len(set(items))
        row["numerator"] = float(n)
        row["denominator"] = float(officers)
        row["value"] = n / officers
        return row
    if kind == "ratio":
        # Not a proportion: sums, exact until the final division; ci null.
        top = sum((a for a, _ in items), Fraction(0))
        bottom = sum((b for _, b in items), Fraction(0))
        if bottom == 0:
            return None
        row["numerator"] = float(top)
        row["denominator"] = float(bottom)
        row["value"] = float(top / bottom)
        return row
    raise AssertionError(kind)


def _entries(kpi_id: str, ex: Extract, breakdowns: bool) -> Iterator[tuple[date, str, object]]:
    """(month, breakdown, item) for one extract."""
    spec = KPIS[kpi_id]
    for month, item, subject in spec.items(ex):
        yield month, "all", item
        if breakdowns and spec.dimensions is not None:
            for dimension, value in spec.dimensions(subject):
                yield month, f"{dimension}={value}", item


def _rows_for(force: str, kpi_id: str, groups: dict, first: date, last: date, provisional) -> list[dict]:
    """groups: (breakdown, month) -> items. `all` gets every month of the range (so a
    count KPI has its zero rows); a breakdown value only the months where it has items.
    provisional(month) is the `all` row's flag, which every breakdown row of the month takes."""
    kind = KPIS[kpi_id].kind
    rows = []
    for month in _months(first, last):
        row = _make_row(force, month, kpi_id, kind, groups.get(("all", month), []), provisional(month))
        if row is not None:
            rows.append(row)
    for breakdown, month in sorted(k for k in groups if k[0] != "all"):
        row = _make_row(force, month, kpi_id, kind, groups[(breakdown, month)], provisional(month), breakdown)
        if row is not None:
            rows.append(row)
    return rows


def is_provisional(d_t: date, month: date, settling_days: int) -> bool:
    """A force's row for `month` is provisional when D_T <= last day of the month + P days."""
    return d_t <= _last_day(month) + timedelta(days=settling_days)


def _provisional(month: date, *, spans: list[tuple[date, date, date]], p: int) -> bool:
    """True when `month` is provisional for at least one (first, last, D_T) span whose range includes it."""
    return any(is_provisional(d_t, month, p) for first, last, d_t in spans if first <= month <= last)


def reference_kpi_rows(inbox: Path | list[Path], kpi_ids: Iterable[str], *, breakdowns: bool = False) -> list[dict]:
    """kpi_monthly rows for the given KPI ids, per force and force 'ALL'.

    With breakdowns=False (the default), only `breakdown = 'all'` rows; with
    breakdowns=True, also the `dimension=value` rows (the case breakdowns of
    BREAKDOWN_KPI_IDS and the journey_stage rows of JOURNEY_STAGE_KPI_IDS).
    Rows are sorted by (force_code, kpi_id, breakdown, period). Numbers are floats (or
    None); `provisional` is a bool.
    """
    kpi_ids = list(kpi_ids)
    unknown = [k for k in kpi_ids if k not in KPIS]
    if unknown:
        raise ValueError(f"reference does not implement: {unknown}")

    extracts = load_latest_extracts(inbox)
    ranges = {force: _force_range(ex) for force, ex in extracts.items()}
    ranges = {force: r for force, r in ranges.items() if r is not None}

    rows: list[dict] = []
    for kpi_id in kpi_ids:
        spec = KPIS[kpi_id]
        # The forces this KPI exists for: every force with a range, or, for the v1.1
        # tables' KPIs, those whose used extract has the file. ALL is computed over these
        # forces only: their records, their months and their provisional flags.
        forces = [f for f in sorted(ranges) if spec.source is None or getattr(extracts[f], spec.source) is not None]
        if not forces:
            continue

        settling = spec.settling_days
        pooled: dict[tuple[str, date], list] = {}
        for force in forces:
            first, last = ranges[force]
            groups: dict[tuple[str, date], list] = {}
            for month, breakdown, item in _entries(kpi_id, extracts[force], breakdowns):
                # Nothing outside the force's own range is published, and a force
                # contributes to ALL only in months inside its own range.
                if first <= month <= last:
                    groups.setdefault((breakdown, month), []).append(item)
                    pooled.setdefault((breakdown, month), []).append(item)
            spans = [(first, last, extracts[force].d_t)]
            rows.extend(_rows_for(force, kpi_id, groups, first, last, partial(_provisional, spans=spans, p=settling)))

        # ALL is provisional when the month is provisional for at least one of the KPI's
        # forces whose published range includes it.
        spans = [(ranges[f][0], ranges[f][1], extracts[f].d_t) for f in forces]
        all_provisional = partial(_provisional, spans=spans, p=settling)

        # ALL: every month from the earliest to the latest month of the KPI's forces; a
        # count KPI gets a row (possibly zero) for each of them.
        all_first = min(ranges[f][0] for f in forces)
        all_last = max(ranges[f][1] for f in forces)
        rows.extend(_rows_for("ALL", kpi_id, pooled, all_first, all_last, all_provisional))

    rows.sort(key=lambda r: (r["force_code"], r["kpi_id"], r["breakdown"], r["period"]))
    return rows


def reference_row_counts(inbox: Path | list[Path]) -> dict[tuple[str, str], tuple[int, int]]:
    """{(force_code, table): (rows read, rows quarantined)} of each force's used extract,
    for every file the extract has (the optional files only when present)."""
    counts = {}
    for force, ex in load_latest_extracts(inbox).items():
        for table, read in ex.rows_read.items():
            counts[(force, table)] = (read, ex.quarantined[table])
    return counts
