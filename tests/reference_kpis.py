"""Independent reference implementation of a subset of the KPI catalogue, for tests.

The production pipeline computes KPIs in DuckDB SQL. This module recomputes the
``breakdown = 'all'`` rows of ``kpi_monthly`` for a subset of KPIs in plain Python,
written only from the two specs (``extract-contract.md`` and ``kpi-catalogue.md``) and
without reading the production code, so that tests can compare the two.

It is deliberately simple: plain loops over small data, clarity over speed. It assumes
the extracts in the inbox are structurally acceptable (no rejected extracts), but it
applies the contract's row-level quarantine rules itself and uses only valid rows.

Public API::

    reference_kpi_rows(inbox, kpi_ids) -> list[dict]

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


# ---------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT_RE = re.compile(r"-?[0-9]+")


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
    quarantined: dict[str, int] = field(default_factory=dict)  # file -> count


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
    # Not used by the KPIs supported here; validated for completeness.
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
    # workforce.csv is not needed by the supported KPIs and is not read.
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


KPIS: dict[str, tuple[str, object]] = {
    "withdrawal_rate": (
        "proportion",
        lambda ex: _cohort(ex, lambda _ex, c: c["victim_withdrawal_date"] is not None),
    ),
    "withdrawal_within_7d": ("proportion", _withdrawal_within(7)),
    "withdrawal_within_30d": ("proportion", _withdrawal_within(30)),
    "median_days_to_withdrawal": ("median", _median_days_to_withdrawal),
    "outcome14_share": ("proportion", _outcome_share({"14"})),
    "outcome15_share": ("proportion", _outcome_share({"15"})),
    "outcome16_share": ("proportion", _outcome_share({"16"})),
    "outcome18_share": ("proportion", _outcome_share({"18"})),
    "victim_withdrawal_outcome_share": ("proportion", _outcome_share({"14", "16"})),
    "charge_outcome_share": ("proportion", _outcome_share(CHARGED)),
    "charge_rate": (
        "proportion",
        lambda ex: _cohort(ex, lambda _ex, c: c["outcome_code"] in CHARGED),
    ),
    "charges": ("count", _charges),
    "median_days_report_to_charge": ("median", _median_days_report_to_charge),
    "median_days_report_to_outcome": ("median", _median_days_report_to_outcome),
    "victim_phone_request_rate": ("proportion", _victim_phone_request_rate),
    "victim_phone_consent_rate": ("proportion", _victim_phone_consent_rate),
    "victim_phone_returned_24h": ("proportion", _victim_phone_returned_24h),
    "victim_without_phone_over_24h": ("proportion", _victim_without_phone_over_24h),
    "victim_phone_median_hours_held": ("km", _victim_phone_median_hours_held),
}


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------


def _make_row(force: str, period: date, kpi_id: str, kind: str, items: list) -> dict | None:
    row = {
        "force_code": force,
        "period": period,
        "kpi_id": kpi_id,
        "breakdown": "all",
        "numerator": None,
        "denominator": None,
        "value": None,
        "ci_low": None,
        "ci_high": None,
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
    raise AssertionError(kind)


def reference_kpi_rows(inbox: Path | list[Path], kpi_ids: Iterable[str]) -> list[dict]:
    """kpi_monthly rows (breakdown 'all' only) for the given KPI ids, per force and force 'ALL'.

    Rows are sorted by (force_code, kpi_id, period). Numbers are floats (or None).
    """
    kpi_ids = list(kpi_ids)
    unknown = [k for k in kpi_ids if k not in KPIS]
    if unknown:
        raise ValueError(f"reference does not implement: {unknown}")

    extracts = load_latest_extracts(inbox)
    ranges = {force: _force_range(ex) for force, ex in extracts.items()}
    ranges = {force: r for force, r in ranges.items() if r is not None}

    rows: list[dict] = []
    if not ranges:
        return rows
    all_first = min(r[0] for r in ranges.values())
    all_last = max(r[1] for r in ranges.values())

    for kpi_id in kpi_ids:
        kind, generator = KPIS[kpi_id]
        pooled: dict[date, list] = {}
        for force in sorted(ranges):
            first, last = ranges[force]
            per_month: dict[date, list] = {}
            for month, item in generator(extracts[force]):
                # Nothing outside the force's own range is published, and a force
                # contributes to ALL only in months inside its own range.
                if first <= month <= last:
                    per_month.setdefault(month, []).append(item)
                    pooled.setdefault(month, []).append(item)
            for month in _months(first, last):
                row = _make_row(force, month, kpi_id, kind, per_month.get(month, []))
                if row is not None:
                    rows.append(row)
        # ALL: every month from the earliest to the latest month of any force; a count
        # KPI gets a row (possibly zero) for each of them.
        for month in _months(all_first, all_last):
            row = _make_row("ALL", month, kpi_id, kind, pooled.get(month, []))
            if row is not None:
                rows.append(row)

    rows.sort(key=lambda r: (r["force_code"], r["kpi_id"], r["period"]))
    return rows
