"""Deterministic synthetic canonical extracts (contract v1.1) for demos, tests and benchmarks.

`write_inbox` writes one extract folder per fictional force, `<out_dir>/<FORCE>/<D_T>/`,
holding `manifest.json`, `cases.csv`, `devices.csv`, `contacts.csv` and `workforce.csv`,
and, for most forces, the optional `suspect_actions.csv` and `victim_survey.csv` (see
`optional_files`: the second force, and every fifth after it, supplies neither, so the
committed two-force sample has one force without them). Every row is valid under the
contract, so nothing is quarantined, and the rates are realistic (they follow the research
figures quoted in the KPI catalogue as context, not as targets).

The output is a pure function of the arguments: the same arguments give byte-identical
files. Each force draws from its own generator, derived from the seed and the force's
index, so adding forces never changes the earlier ones; the two optional tables draw from a
second generator of their own, so adding them changed none of the other files. Columns are
built as whole numpy arrays (no loops over rows) and written with pyarrow, so a million
cases take seconds.

Internally dates are whole days and timestamps whole seconds since the Unix epoch (UTC);
timestamps are written as `YYYY-MM-DDTHH:MM:SSZ`. An event whose date or time would fall
after the extract's T simply has not happened yet and is left blank.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

DEFAULT_SEED = 20261123
FORCE_CODES = (
    "NORTHA", "SOUTHB", "EASTC", "WESTD", "MIDLE",
    "COASTF", "HILLG", "VALEH", "RIVERJ", "MOORK",
)  # fmt: skip
"""Fictional force codes; forces beyond this list are named F011, F012, ..."""

SCHEMA_VERSION = "1.1"  # the producer knows contract v1.1's optional files
SOURCE_SYSTEM = "flightdeck synth"
LONDON = ZoneInfo("Europe/London")
EPOCH = date(1970, 1, 1)
HOUR = 3_600
DAY = 86_400
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
OPEN_CASES_PER_OFFICER = 19  # sizes the roster: 15-25 open cases each is typical

CASE_COLUMNS = (
    "case_id", "offence_code", "reported_date", "offence_date", "victim_age", "victim_sex",
    "victim_ethnicity", "suspect_id", "suspect_age", "suspect_sex", "suspect_ethnicity",
    "relationship", "domestic_abuse", "third_party_report", "officer_id",
    "victim_support_at_report", "victim_withdrawal_date", "isva_referral_date",
    "early_advice_requested_date", "early_advice_received_date", "cps_referral_date",
    "outcome_code", "outcome_date",
)  # fmt: skip
DEVICE_COLUMNS = (
    "device_id", "case_id", "owner", "requested_date", "consent", "seized_at",
    "returned_at", "replacement_at", "examined_at",
)  # fmt: skip
CONTACT_COLUMNS = ("case_id", "contact_date", "contact_type")
WORKFORCE_COLUMNS = ("officer_id", "month", "accredited", "contracted_days", "sickness_days")
SUSPECT_ACTION_COLUMNS = ("case_id", "action", "action_date", "order_type", "breach_response")
SURVEY_ITEMS = (
    "treated_with_respect", "treated_fairly", "listened_to", "kept_informed", "felt_believed",
    "would_recommend_reporting",
)  # fmt: skip
SURVEY_COLUMNS = ("response_id", "response_date", "journey_stage", *SURVEY_ITEMS)

# Code lists with their shares; None is a blank field.
VICTIM_SEX = {"female": 0.87, "male": 0.10, "other": 0.005, "unknown": 0.01, None: 0.015}
SUSPECT_SEX = {"male": 0.93, "female": 0.03, "unknown": 0.02, None: 0.02}
VICTIM_ETHNICITY = {
    "white": 0.71, "black": 0.06, "asian": 0.08, "mixed": 0.03, "other": 0.02,
    "unknown": 0.05, None: 0.05,
}  # fmt: skip
SUSPECT_ETHNICITY = {
    "white": 0.62, "black": 0.08, "asian": 0.09, "mixed": 0.03, "other": 0.02,
    "unknown": 0.08, None: 0.08,
}  # fmt: skip
RELATIONSHIP_WITH_SUSPECT = {
    "intimate": 0.30, "acquaintance": 0.30, "family": 0.12, "stranger": 0.10, "other": 0.06,
    "unknown": 0.07, None: 0.05,
}  # fmt: skip
RELATIONSHIP_NO_SUSPECT = {"stranger": 0.35, "acquaintance": 0.10, "unknown": 0.35, None: 0.20}
SUPPORT_AT_REPORT = {"supports": 0.80, "does_not_support": 0.12, "unknown": 0.05, None: 0.03}
VICTIM_PHONE_CONSENT = {
    "given": 0.47, "refused": 0.46, "not_required": 0.03, "unknown": 0.02, None: 0.02,
}  # fmt: skip
SUSPECT_DEVICE_CONSENT = {"not_required": 0.70, "given": 0.05, "unknown": 0.05, None: 0.20}
OTHER_DEVICE_CONSENT = {"given": 0.60, "not_required": 0.30, None: 0.10}
CONTACT_TYPES = {"update": 0.78, "needs_assessment": 0.08, "other": 0.14}

# Outcome codes by route (Home Office outcome types).
OUTCOME_WITHDRAWN_SUSPECT = {"16": 0.92, "21": 0.04, "20": 0.02, "10": 0.02}
OUTCOME_WITHDRAWN_NO_SUSPECT = {"14": 0.92, "18": 0.06, "21": 0.02}
OUTCOME_CHARGED = {"1": 0.90, "1A": 0.10}
OUTCOME_NOT_CHARGED = {
    "15": 0.60, "16": 0.06, "21": 0.10, "20": 0.08, "9": 0.04, "10": 0.03, "13": 0.03,
    "12": 0.02, "17": 0.02, "22": 0.02,
}  # fmt: skip
OUTCOME_NO_SUSPECT = {"18": 0.78, "14": 0.08, "20": 0.06, "21": 0.08}

CONTRACTED_DAYS = {20.0: 0.25, 20.5: 0.10, 21.0: 0.35, 21.5: 0.10, 22.0: 0.20}

# Suspect actions (contract v1.1). Codes in contract order; the generator indexes into this.
SUSPECT_ACTIONS = (
    "arrest", "voluntary_interview", "pre_charge_bail", "released_under_investigation", "bail_breach",
    "order_applied", "order_granted", "order_breach", "s63g_applied", "s63g_granted",
)  # fmt: skip
ORDER_TYPES = {
    "shpo": 0.30, "sro": 0.08, "restraining": 0.17, "non_molestation": 0.15, "dapo": 0.18, "stalking": 0.08,
    "other": 0.04,
}  # fmt: skip
# About half of breaches are met with an arrest or a charge; None is a blank (read as unknown).
BREACH_RESPONSES = {
    "arrested": 0.40, "charged": 0.10, "warning": 0.20, "no_further_action": 0.15, "unknown": 0.05, None: 0.10,
}  # fmt: skip

# Victim survey (contract v1.1): responses a year per 100 cases a year, journey stages, and the
# share agreeing (4 or 5) with each item at each stage (reporting, investigation, outcome).
# Victims rate the start of their case better than what follows, "kept informed" most of all.
SURVEY_RESPONSES_PER_CASE = 0.75
JOURNEY_STAGES = {"reporting": 0.45, "investigation": 0.35, "outcome": 0.20}
SURVEY_AGREEMENT = {
    "treated_with_respect": (0.82, 0.74, 0.68),
    "treated_fairly": (0.76, 0.66, 0.58),
    "listened_to": (0.78, 0.66, 0.60),
    "kept_informed": (0.70, 0.40, 0.36),
    "felt_believed": (0.74, 0.64, 0.56),
    "would_recommend_reporting": (0.62, 0.50, 0.42),
}


@dataclass(frozen=True)
class Clock:
    """The extract's moment T and the period its cases are reported in."""

    t_seconds: int  # T, whole seconds since the epoch (floored, so never after T)
    d_t: int  # D_T, T's calendar date in Europe/London, as days since the epoch
    start: int  # first day a case can be reported, days since the epoch

    @property
    def d_t_date(self) -> date:
        """D_T as a calendar date."""
        return EPOCH + timedelta(days=self.d_t)


@dataclass(frozen=True)
class ForceMix:
    """Per-force variation around the national picture."""

    suspect_share: float
    withdrawal_share: float
    charge_share: float  # of suspect cases where the victim did not withdraw
    phone_request_share: float
    rape_share: float
    has_go_live: bool  # force 0 switched to returning victims' phones within 24 hours


def optional_files(index: int) -> tuple[bool, bool]:
    """Whether the force at `index` supplies (suspect_actions.csv, victim_survey.csv): not every
    force keeps these records. Index 1 (the sample's SOUTHB) and every fifth force after it
    supply neither; index 3 and every fifth after it only the suspect actions."""
    if index % 5 == 1:
        return False, False
    return True, index % 5 != 3


def force_code(index: int) -> str:
    """The synthetic force code of the force at `index` (0-based)."""
    if index < len(FORCE_CODES):
        return FORCE_CODES[index]
    return f"F{index + 1:03d}"


def write_inbox(
    out_dir: Path,
    forces: int = 2,
    years: int = 3,
    seed: int = DEFAULT_SEED,
    cases_per_force_year: int = 400,
    extracted_at: str = "2026-10-31T23:00:00+00:00",
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write one extract folder per force under out_dir/<FORCE>/<YYYY-MM-DD>/ and return the folders.

    The folder date is D_T, the extract date in Europe/London. Reported dates are spread
    over the `years` years ending at D_T; each force gets `cases_per_force_year * years`
    cases. `progress`, if given, is called once per force with a one-line message.
    """
    if forces < 1 or years < 1 or cases_per_force_year < 1:
        raise ValueError("forces, years and cases_per_force_year must be at least 1")
    clock = make_clock(extracted_at, years)
    folders = []
    for index in range(forces):
        code = force_code(index)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
        # The optional tables' own stream: the older files do not change because these exist.
        optional_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index, 1)))
        folder = Path(out_dir) / code / clock.d_t_date.isoformat()
        _write_extract(folder, code, extracted_at, clock, rng, cases_per_force_year * years, index, optional_rng)
        folders.append(folder)
        if progress is not None:
            progress(f"synth: {code} {cases_per_force_year * years} cases -> {folder}")
    return folders


def make_clock(extracted_at: str, years: int) -> Clock:
    """Parse T (it must carry an offset) and derive D_T and the first reportable day."""
    t = datetime.fromisoformat(extracted_at)  # Python 3.11+ reads a trailing Z
    if t.tzinfo is None:
        raise ValueError(f"extracted_at {extracted_at!r} has no offset")
    d_t = t.astimezone(LONDON).date()
    try:
        first = d_t.replace(year=d_t.year - years)
    except ValueError:  # 29 February
        first = d_t.replace(year=d_t.year - years, day=28)
    first += timedelta(days=1)
    return Clock(
        t_seconds=math.floor(t.timestamp()),
        d_t=(d_t - EPOCH).days,
        start=(first - EPOCH).days,
    )


# --------------------------------------------------------------------------- one extract


def _write_extract(
    folder: Path,
    code: str,
    extracted_at: str,
    clock: Clock,
    rng: np.random.Generator,
    n_cases: int,
    index: int,
    optional_rng: np.random.Generator,
) -> None:
    """Generate and write the tables and the manifest of one force."""
    folder.mkdir(parents=True, exist_ok=True)
    mix = _force_mix(rng, index)
    cases = _generate_cases(rng, clock, mix, n_cases)
    roster = _generate_roster(rng, clock, cases)
    cases["officer"] = _assign_officers(rng, cases, roster)
    case_ids = _ids("C", np.arange(1, n_cases + 1), 6)
    officer_width = max(3, len(str(len(roster["number"]))))

    _write_csv(folder / "cases.csv", _cases_table(cases, case_ids, officer_width))
    _write_csv(folder / "devices.csv", _devices_table(_generate_devices(rng, clock, mix, cases), case_ids))
    _write_csv(folder / "contacts.csv", _contacts_table(_generate_contacts(rng, clock, cases), case_ids))
    workforce = _generate_workforce(rng, clock, roster)
    _write_csv(folder / "workforce.csv", _workforce_table(workforce, officer_width))
    has_actions, has_survey = optional_files(index)
    if has_actions:
        actions = _generate_suspect_actions(optional_rng, clock, cases)
        _write_csv(folder / "suspect_actions.csv", _suspect_actions_table(actions, case_ids))
    if has_survey:
        responses = _generate_survey(optional_rng, clock, round(SURVEY_RESPONSES_PER_CASE * n_cases))
        _write_csv(folder / "victim_survey.csv", _survey_table(responses))
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "force_code": code,
        "extracted_at": extracted_at,
        "source_system": SOURCE_SYSTEM,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _force_mix(rng: np.random.Generator, index: int) -> ForceMix:
    """Small per-force differences so forces are not clones of each other."""
    low, high = np.array([0.67, 0.62, 0.17, 0.22, 0.52]), np.array([0.73, 0.66, 0.23, 0.24, 0.58])
    suspect, withdrawal, charge, phone, rape = rng.uniform(low, high)
    return ForceMix(
        suspect_share=float(suspect),
        withdrawal_share=float(withdrawal),
        charge_share=float(charge),
        phone_request_share=float(phone),
        rape_share=float(rape),
        has_go_live=index == 0,
    )


# --------------------------------------------------------------------------- random helpers


def _pick(rng: np.random.Generator, shares: dict, size: int) -> np.ndarray:
    """Indices into `list(shares)` drawn with the given shares."""
    p = np.fromiter(shares.values(), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _lognormal_days(
    rng: np.random.Generator, median: float, sigma: float, low: int, high: int, size: int
) -> np.ndarray:
    """Whole days with a right-skewed (log-normal) spread, clipped to [low, high]."""
    days = median * np.exp(sigma * rng.standard_normal(size))
    return np.clip(np.rint(days), low, high).astype(np.int64)


def _time_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight UTC: mostly working hours, a fifth in the evening, some late."""
    band = rng.random(size)
    start = np.select([band < 0.70, band < 0.90], [8 * HOUR, 20 * HOUR], 22 * HOUR)
    width = np.select([band < 0.70, band < 0.90], [12 * HOUR, 2 * HOUR], 2 * HOUR)
    return start + rng.integers(0, width)


def _seizure_times(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Seizure instants on the given days; ~3% moved to 23:00-23:59 UTC on the month's last day.

    In summer those are already the next month in Europe/London, so the sample exercises
    the rule that a timestamp belongs to the month of its London date.
    """
    size = len(day)
    month_end = (day.astype("datetime64[D]").astype("datetime64[M]") + 1).astype("datetime64[D]").astype(np.int64) - 1
    late = rng.random(size) < 0.03
    late_time = 23 * HOUR + rng.integers(0, HOUR, size)
    return np.where(late, month_end * DAY + late_time, day * DAY + _time_of_day(rng, size))


def _month_index(days: np.ndarray) -> np.ndarray:
    """Months since January 1970 of days since the epoch."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


# --------------------------------------------------------------------------- cases


def _generate_cases(rng: np.random.Generator, clock: Clock, mix: ForceMix, n: int) -> dict[str, np.ndarray]:
    """Every case column as numpy arrays (latent dates plus `has_*` masks for blanks)."""
    cases: dict[str, np.ndarray] = {"reported": np.sort(rng.integers(clock.start, clock.d_t + 1, n))}
    cases.update(_victims(rng, n))
    cases["offence_code"] = _offence_codes(rng, mix, cases["victim_sex"], cases["victim_age"], cases["has_victim_age"])
    cases.update(_offence_dates(rng, cases["reported"]))
    cases.update(_suspects(rng, mix, n))
    cases.update(_circumstances(rng, cases["has_suspect"]))
    cases.update(_withdrawals(rng, clock, mix, cases))
    cases.update(_outcomes(rng, clock, mix, cases))
    cases.update(_referrals(rng, clock, cases))
    return cases


def _victims(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Victim sex, age (a fifth under 18, ~8% blank) and ethnicity."""
    is_child = rng.random(n) < 0.20
    child_age = np.clip(np.rint(rng.normal(14.0, 2.3, n)), 3, 17)
    adult_age = np.clip(np.rint(18 + rng.gamma(1.6, 10.0, n)), 18, 95)
    return {
        "victim_sex": _pick(rng, VICTIM_SEX, n),
        "victim_age": np.where(is_child, child_age, adult_age).astype(np.int64),
        "has_victim_age": rng.random(n) >= 0.08,
        "victim_ethnicity": _pick(rng, VICTIM_ETHNICITY, n),
    }


def _offence_codes(
    rng: np.random.Generator, mix: ForceMix, sex: np.ndarray, age: np.ndarray, has_age: np.ndarray
) -> np.ndarray:
    """Home Office offence codes consistent with the victim's sex and age."""
    n = len(sex)
    male = sex == list(VICTIM_SEX).index("male")
    age = np.where(has_age, age, 30)
    rape = np.select(
        [male & (age < 13), male & (age < 16), male, age < 13, age < 16],
        ["19H", "19G", "19F", "19E", "19D"],
        "19C",
    )
    other = np.select([male & (age < 13), male, age < 13], ["17B", "17A", "20B"], "20A")
    generic = np.where(age < 16, "22B", "22A")
    other = np.where(rng.random(n) < 0.15, generic, other)
    return np.where(rng.random(n) < mix.rape_share, rape, other)


def _offence_dates(rng: np.random.Generator, reported: np.ndarray) -> dict[str, np.ndarray]:
    """Offence date on or before the report: mostly days, some months, some years before."""
    n = len(reported)
    band = rng.random(n)
    lag = np.select(
        [band < 0.55, band < 0.80, band < 0.92],
        [np.zeros(n, np.int64), rng.integers(1, 31, n), rng.integers(31, 366, n)],
        rng.integers(366, 20 * 365, n),
    )
    return {"offence_date": reported - lag, "has_offence_date": rng.random(n) >= 0.06}


def _suspects(rng: np.random.Generator, mix: ForceMix, n: int) -> dict[str, np.ndarray]:
    """Suspect pseudonyms (about a quarter of suspect cases share a suspect) and details.

    `suspect` is the suspect's number (-1 when none is identified); age, sex and
    ethnicity belong to the person, so a repeat suspect looks the same on every case.
    """
    has_suspect = rng.random(n) < mix.suspect_share
    m = int(has_suspect.sum())
    target = round(0.25 * m) if m >= 4 else 0
    sizes = 1 + rng.geometric(0.65, size=max(target, 1))  # cases per repeat suspect, >= 2
    ends = np.cumsum(sizes)
    groups = int(np.searchsorted(ends, target)) + 1 if target else 0
    while groups and ends[groups - 1] > m:
        groups -= 1
    on_repeat = int(ends[groups - 1]) if groups else 0
    labels = np.concatenate([np.repeat(np.arange(groups), sizes[:groups]), groups + np.arange(m - on_repeat)])
    people = groups + m - on_repeat
    person = np.full(n, -1, np.int64)
    person[has_suspect] = rng.permutation(labels)

    size = max(people, 1)  # per-person draws; index 0 stands in where there is no suspect
    youth = rng.random(size) < 0.10
    age = np.where(youth, rng.integers(12, 18, size), np.clip(np.rint(16 + rng.gamma(2.0, 9.0, size)), 18, 90))
    age_known = rng.random(size) >= 0.15
    sex, ethnicity = _pick(rng, SUSPECT_SEX, size), _pick(rng, SUSPECT_ETHNICITY, size)
    number = rng.permutation(size) + 1  # pseudonyms carry no order
    safe = np.maximum(person, 0)
    return {
        "has_suspect": has_suspect,
        "suspect": np.where(has_suspect, number[safe], -1),
        "suspect_count": np.array([people]),
        "suspect_age": age.astype(np.int64)[safe],
        "has_suspect_age": has_suspect & age_known[safe],
        "suspect_sex": np.where(has_suspect, sex[safe], -1),
        "suspect_ethnicity": np.where(has_suspect, ethnicity[safe], -1),
    }


def _circumstances(rng: np.random.Generator, has_suspect: np.ndarray) -> dict[str, np.ndarray]:
    """Relationship, domestic abuse and third-party flags, and support at report."""
    n = len(has_suspect)
    with_suspect = _pick(rng, RELATIONSHIP_WITH_SUSPECT, n)
    without = np.array([list(RELATIONSHIP_WITH_SUSPECT).index(c) for c in RELATIONSHIP_NO_SUSPECT])
    relationship = np.where(has_suspect, with_suspect, without[_pick(rng, RELATIONSHIP_NO_SUSPECT, n)])
    names = np.array([str(c) for c in RELATIONSHIP_WITH_SUSPECT])[relationship]
    p_domestic = np.select([names == "intimate", names == "family"], [0.90, 0.60], 0.05)
    return {
        "relationship": relationship,
        "domestic_abuse": rng.random(n) < p_domestic,
        "has_domestic_abuse": rng.random(n) >= 0.10,
        "third_party_report": rng.random(n) < 0.13,
        "has_third_party_report": rng.random(n) >= 0.08,
        "support": _pick(rng, SUPPORT_AT_REPORT, n),
    }


def _withdrawals(rng: np.random.Generator, clock: Clock, mix: ForceMix, cases: dict) -> dict[str, np.ndarray]:
    """Victim withdrawal: a mixture giving ~38% within 7 days and ~64% within 30 days.

    `withdraws` is the latent fate; the date is blank while it lies after D_T.
    """
    n = len(cases["reported"])
    not_supporting = cases["support"] == list(SUPPORT_AT_REPORT).index("does_not_support")
    withdraws = rng.random(n) < np.where(not_supporting, 0.90, mix.withdrawal_share - 0.02)
    band = rng.random(n)
    lag = np.select(
        [band < 0.365, band < 0.615],
        [rng.integers(0, 8, n), rng.integers(8, 31, n)],
        31 + np.rint(rng.gamma(1.1, 100.0, n)).astype(np.int64),
    )
    day = cases["reported"] + lag
    return {"withdraws": withdraws, "withdrawal": day, "has_withdrawal": withdraws & (day <= clock.d_t)}


def _outcomes(rng: np.random.Generator, clock: Clock, mix: ForceMix, cases: dict) -> dict[str, np.ndarray]:
    """Outcome code and date by route; a case whose outcome lies after D_T is still open."""
    n = len(cases["reported"])
    suspect, withdraws, reported = cases["has_suspect"], cases["withdraws"], cases["reported"]
    charged = suspect & ~withdraws & (rng.random(n) < mix.charge_share)
    routes = [
        (withdraws & suspect, OUTCOME_WITHDRAWN_SUSPECT),
        (withdraws & ~suspect, OUTCOME_WITHDRAWN_NO_SUSPECT),
        (charged, OUTCOME_CHARGED),
        (suspect & ~withdraws & ~charged, OUTCOME_NOT_CHARGED),
        (~suspect & ~withdraws, OUTCOME_NO_SUSPECT),
    ]
    code = np.full(n, "", dtype="<U2")
    for mask, shares in routes:
        code = np.where(mask, np.array(list(shares))[_pick(rng, shares, n)], code)

    after_withdrawal = cases["withdrawal"] + np.rint(rng.gamma(1.2, 30.0, n)).astype(np.int64)
    lag = np.select(
        [charged, suspect],
        [_lognormal_days(rng, 330, 0.45, 45, 1000, n), _lognormal_days(rng, 200, 0.7, 14, 900, n)],
        _lognormal_days(rng, 90, 0.7, 7, 730, n),
    )
    lag = np.where(rng.random(n) < 0.03, lag * 2, lag)  # a few long-running investigations
    day = np.where(withdraws, after_withdrawal, reported + lag)
    return {
        "outcome_code": code,
        "outcome": day,
        "has_outcome": day <= clock.d_t,
        "charged": charged,
    }


def _referrals(rng: np.random.Generator, clock: Clock, cases: dict) -> dict[str, np.ndarray]:
    """ISVA referral, CPS early advice and CPS charging referral dates."""
    n = len(cases["reported"])
    reported, outcome, charged = cases["reported"], cases["outcome"], cases["charged"]
    band = rng.random(n)
    isva = reported + np.select(
        [band < 0.05, band < 0.80],
        [-rng.integers(1, 91, n), np.minimum(rng.geometric(0.4, n) - 1, 7)],
        rng.integers(8, 121, n),
    )
    has_isva = (rng.random(n) < 0.72) & (isva <= clock.d_t)

    span = np.maximum(outcome - reported, 0)
    asks = cases["has_suspect"] & (rng.random(n) < np.where(charged, 0.50, 0.12))
    requested = reported + np.floor(rng.random(n) * 0.8 * span).astype(np.int64)
    received = requested + np.rint(rng.gamma(2.0, 14.0, n)).astype(np.int64)
    has_requested = asks & (requested <= clock.d_t)
    has_received = has_requested & (rng.random(n) >= 0.10) & (received <= clock.d_t)

    others = cases["has_suspect"] & ~cases["withdraws"] & ~charged & (rng.random(n) < 0.12)
    cps = np.where(
        charged,
        np.maximum(outcome - rng.integers(0, 61, n), reported),
        reported + np.floor(rng.random(n) * span).astype(np.int64),
    )
    return {
        "isva": isva,
        "has_isva": has_isva,
        "advice_requested": requested,
        "has_advice_requested": has_requested,
        "advice_received": received,
        "has_advice_received": has_received,
        "cps": cps,
        "has_cps": (charged | others) & (cps <= clock.d_t),
    }


# --------------------------------------------------------------------------- officers and workforce


def _generate_roster(rng: np.random.Generator, clock: Clock, cases: dict) -> dict[str, np.ndarray]:
    """Officers sized to the open caseload; most start with the period, some join in year one.

    Officers are held in joining order; `number` is the pseudonym's number.
    """
    open_at_d_t = int((~cases["has_outcome"]).sum())
    k = max(2, round(open_at_d_t / OPEN_CASES_PER_OFFICER))
    founders = max(1, round(0.7 * k))
    ramp = min(365, clock.d_t - clock.start + 1)
    newcomers = clock.start + rng.integers(0, ramp, k - founders)
    joined = np.sort(np.concatenate([np.full(founders, clock.start), newcomers]))
    trainee = rng.random(k) < 0.30
    return {
        "joined": joined,
        "number": rng.permutation(k) + 1,
        "accredited_from": _month_index(joined) + np.where(trainee, rng.integers(6, 25, k), 0),
    }


def _assign_officers(rng: np.random.Generator, cases: dict, roster: dict) -> np.ndarray:
    """Officer in charge of each case, chosen among officers already in post: the pseudonym
    number, or -1 for a blank (~3%)."""
    n = len(cases["reported"])
    in_post = np.searchsorted(roster["joined"], cases["reported"], side="right")
    position = np.floor(rng.random(n) * in_post).astype(np.int64)
    return np.where(rng.random(n) < 0.03, -1, roster["number"][position])


def _generate_workforce(rng: np.random.Generator, clock: Clock, roster: dict) -> dict[str, np.ndarray]:
    """One row per officer per month from the month they joined to the month of D_T."""
    first = _month_index(roster["joined"])
    last = int(_month_index(np.array([clock.d_t]))[0])
    months = last - first + 1
    officer = np.repeat(np.arange(len(first)), months)
    month = first[officer] + (np.arange(len(officer)) - np.repeat(np.cumsum(months) - months, months))
    rows = len(officer)

    contracted = np.fromiter(CONTRACTED_DAYS, float)[_pick(rng, CONTRACTED_DAYS, rows)]
    part_time = (rng.random(len(first)) < 0.08)[officer]
    contracted = np.where(part_time, np.rint(contracted * 1.2) / 2, contracted)
    band = rng.random(rows)
    sickness = np.select(
        [band < 0.62, band < 0.90, band < 0.98],
        [np.zeros(rows), rng.integers(1, 7, rows) / 2, rng.integers(4, 11, rows).astype(float)],
        contracted,
    )
    return {
        "officer": officer,
        "number": roster["number"],
        "month": month,
        "accredited": month >= roster["accredited_from"][officer],
        "contracted": contracted,
        "sickness": np.minimum(sickness, contracted),
    }


# --------------------------------------------------------------------------- devices


def _generate_devices(rng: np.random.Generator, clock: Clock, mix: ForceMix, cases: dict) -> dict[str, np.ndarray]:
    """Victims' phones, suspects' devices and a few others, ordered by case then owner."""
    parts = [
        _victim_phones(rng, clock, mix, cases),
        _seized_devices(rng, clock, cases, "suspect"),
        _seized_devices(rng, clock, cases, "other"),
    ]
    devices = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    order = np.lexsort((devices["owner"], devices["case"]))
    return {key: value[order] for key, value in devices.items()}


def _device_rows(case: np.ndarray, owner: int) -> dict[str, np.ndarray]:
    """Blank device columns for the given case positions (timestamps in seconds, -1 blank)."""
    size = len(case)
    blank = np.full(size, -1, np.int64)
    return {
        "case": case,
        "owner": np.full(size, owner, np.int64),
        "requested": blank.copy(),
        "consent": blank.copy(),
        "seized": blank.copy(),
        "returned": blank.copy(),
        "replacement": blank.copy(),
        "examined": blank.copy(),
    }


def _keep_until(values: np.ndarray, present: np.ndarray, limit: int) -> np.ndarray:
    """`values` where present and not after `limit`, else -1 (blank)."""
    return np.where(present & (values <= limit), values, -1)


def _victim_phones(rng: np.random.Generator, clock: Clock, mix: ForceMix, cases: dict) -> dict[str, np.ndarray]:
    """Victims' phones: requested in ~23% of cases, seized only with consent, held ~89 days.

    In a force with a go-live date (two-thirds of the way through its period) most phones
    seized afterwards come back within 24 hours; some just under, some just over.
    """
    reported = cases["reported"]
    case = np.flatnonzero(rng.random(len(reported)) < mix.phone_request_share)
    requested = reported[case] + np.minimum(rng.geometric(0.35, len(case)) - 1, 30)
    keep = requested <= clock.d_t
    case, requested = case[keep], requested[keep]
    size = len(case)
    rows = _device_rows(case, 0)
    rows["requested"] = np.where(rng.random(size) < 0.03, -1, requested)
    rows["consent"] = _pick(rng, VICTIM_PHONE_CONSENT, size)
    rows["consent"] = np.where(rows["consent"] == len(VICTIM_PHONE_CONSENT) - 1, -1, rows["consent"])

    seized = _seizure_times(rng, requested + rng.integers(0, 3, size))
    is_seized = (rows["consent"] == 0) & (rng.random(size) < 0.95) & (seized <= clock.t_seconds)
    rows["seized"] = np.where(is_seized, seized, -1)

    go_live = (clock.start + 2 * (clock.d_t - clock.start) // 3) * DAY
    fast = mix.has_go_live & (seized >= go_live) & (rng.random(size) < 0.80)
    near_a_day = rng.random(size) < 0.15
    fast_hold = np.where(near_a_day, rng.integers(23 * HOUR, 25 * HOUR, size), rng.integers(HOUR, 23 * HOUR, size))
    slow_hold = np.rint(rng.gamma(1.3, 89.0 / 1.3, size) * DAY).astype(np.int64) + HOUR
    hold = np.where(fast, fast_hold, slow_hold)
    kept = ~fast & (rng.random(size) < 0.06)  # retained as evidence
    rows["returned"] = _keep_until(seized + hold, is_seized & ~kept, clock.t_seconds)

    replacement = seized + rng.integers(HOUR // 2, 72 * HOUR, size)
    rows["replacement"] = _keep_until(replacement, is_seized & ~fast & (rng.random(size) < 0.30), clock.t_seconds)
    examined = seized + np.floor(rng.random(size) * np.minimum(hold, 60 * DAY)).astype(np.int64)
    rows["examined"] = _keep_until(examined, is_seized & (rng.random(size) < 0.70), clock.t_seconds)
    return rows


def _seized_devices(rng: np.random.Generator, clock: Clock, cases: dict, owner: str) -> dict[str, np.ndarray]:
    """Suspects' devices (1-3 in ~30% of suspect cases) or others' (~2% of cases), examined after a delay."""
    reported = cases["reported"]
    n = len(reported)
    if owner == "suspect":
        chosen = np.flatnonzero(cases["has_suspect"] & (rng.random(n) < 0.30))
        case = np.repeat(chosen, 1 + rng.binomial(2, 0.3, len(chosen)))
        shares, owner_index = SUSPECT_DEVICE_CONSENT, 1
    else:
        case = np.flatnonzero(rng.random(n) < 0.02)
        shares, owner_index = OTHER_DEVICE_CONSENT, 2
    size = len(case)
    seized = _seizure_times(rng, reported[case] + np.minimum(rng.geometric(0.1, size) - 1, 120))
    seized_day = seized // DAY
    keep = seized <= clock.t_seconds  # not yet taken: no row
    case, seized_day, seized = case[keep], seized_day[keep], seized[keep]
    size = len(case)
    rows = _device_rows(case, owner_index)
    rows["requested"] = np.where(rng.random(size) < 0.5, seized_day, -1)
    consent = _pick(rng, shares, size)
    codes = np.array([-1 if c is None else list(VICTIM_PHONE_CONSENT).index(c) for c in shares])
    rows["consent"] = codes[consent]
    rows["seized"] = seized

    examined = seized + _lognormal_days(rng, 75, 0.8, 1, 900, size) * DAY + rng.integers(-6 * HOUR, 6 * HOUR, size)
    is_examined = (rng.random(size) < 0.85) & (examined <= clock.t_seconds)
    rows["examined"] = np.where(is_examined, examined, -1)
    returned = examined + np.rint(rng.gamma(2.0, 30.0, size) * DAY).astype(np.int64)
    rows["returned"] = _keep_until(returned, is_examined & (rng.random(size) < 0.40), clock.t_seconds)
    return rows


# --------------------------------------------------------------------------- contacts


def _generate_contacts(rng: np.random.Generator, clock: Clock, cases: dict) -> dict[str, np.ndarray]:
    """Contacts between report and min(outcome, D_T): a needs assessment, updates, an NFA letter."""
    reported = cases["reported"]
    n = len(reported)
    end = np.where(cases["has_outcome"], cases["outcome"], clock.d_t)
    span = end - reported
    names = list(CONTACT_TYPES) + ["nfa_explained"]

    count = np.minimum(rng.poisson(0.8 + span / 35.0), 80)
    case = np.repeat(np.arange(n), count)
    day = reported[case] + np.floor(rng.random(len(case)) * (span[case] + 1)).astype(np.int64)
    kind = _pick(rng, CONTACT_TYPES, len(case))

    first = np.flatnonzero(rng.random(n) < 0.70)
    first_day = reported[first] + np.minimum(rng.geometric(0.3, len(first)) - 1, span[first])
    nfa = np.flatnonzero(cases["has_outcome"] & ~cases["charged"] & (rng.random(n) < 0.60))
    nfa_day = np.maximum(cases["outcome"][nfa] - rng.integers(0, 4, len(nfa)), reported[nfa])

    case = np.concatenate([case, first, nfa])
    day = np.concatenate([day, first_day, nfa_day])
    first_kind = np.full(len(first), names.index("needs_assessment"))
    kind = np.concatenate([kind, first_kind, np.full(len(nfa), names.index("nfa_explained"))])
    twice = 1 + (rng.random(len(case)) < 0.015)  # recorded twice: identical rows are valid
    case, day, kind = np.repeat(case, twice), np.repeat(day, twice), np.repeat(kind, twice)
    order = np.lexsort((kind, day, case))
    return {"case": case[order], "day": day[order], "kind": kind[order], "names": np.array(names)}


# --------------------------------------------------------------------------- suspect actions


def _action_rows(case: np.ndarray, action: str, day: np.ndarray, order_type=None, response=None) -> dict:
    """Rows of one action for the given case positions; order type and response -1 (blank) unless given."""
    size = len(case)
    blank = np.full(size, -1, np.int64)
    return {
        "case": case,
        "action": np.full(size, SUSPECT_ACTIONS.index(action), np.int64),
        "day": day,
        "order_type": blank if order_type is None else order_type,
        "response": blank if response is None else response,
    }


def _breach_responses(rng: np.random.Generator, size: int) -> np.ndarray:
    """Breach responses as indices into BREACH_RESPONSES, -1 for a blank."""
    picked = _pick(rng, BREACH_RESPONSES, size)
    return np.where(picked == list(BREACH_RESPONSES).index(None), -1, picked)


def _generate_suspect_actions(rng: np.random.Generator, clock: Clock, cases: dict) -> dict[str, np.ndarray]:
    """Arrests and interviews for most identified suspects (a little over half within 30 days of
    the report, a few before it), bail or release under investigation, a minority of breaches
    (about half met with arrest or charge), protection orders applied for and granted in small
    numbers, and rare section 63G applications after no further action. Only cases with a
    suspect have actions; an action after D_T has not happened yet."""
    reported = cases["reported"]
    n = len(reported)
    suspect = np.flatnonzero(cases["has_suspect"])
    parts = []

    # Arrest or voluntary interview: fewer where the victim withdrew.
    p_arrest = np.where(cases["withdraws"][suspect], 0.70, 0.90)
    seen = suspect[rng.random(len(suspect)) < p_arrest]
    size = len(seen)
    band = rng.random(size)
    lag = np.select(
        [band < 0.04, band < 0.50],
        [-rng.integers(1, 31, size), rng.integers(0, 8, size)],
        _lognormal_days(rng, 40, 0.8, 8, 400, size),
    )
    is_arrest = rng.random(size) < 0.65
    arrest_day = reported[seen] + lag
    parts.append(_action_rows(seen[is_arrest], "arrest", arrest_day[is_arrest]))
    parts.append(_action_rows(seen[~is_arrest], "voluntary_interview", arrest_day[~is_arrest]))

    # After an arrest: pre-charge bail or release under investigation, the same day.
    arrested, arrested_day = seen[is_arrest], arrest_day[is_arrest]
    outcome = rng.random(len(arrested))
    bailed = outcome < 0.35
    parts.append(_action_rows(arrested[bailed], "pre_charge_bail", arrested_day[bailed]))
    released = (outcome >= 0.35) & (outcome < 0.80)
    parts.append(_action_rows(arrested[released], "released_under_investigation", arrested_day[released]))
    breached = rng.random(int(bailed.sum())) < 0.10
    breach_case = arrested[bailed][breached]
    breach_day = arrested_day[bailed][breached] + rng.integers(5, 121, len(breach_case))
    responses = _breach_responses(rng, len(breach_case))
    parts.append(_action_rows(breach_case, "bail_breach", breach_day, response=responses))

    # Protection orders: more often where there is domestic abuse.
    p_order = np.where(cases["domestic_abuse"][suspect] & cases["has_domestic_abuse"][suspect], 0.08, 0.03)
    applied = suspect[rng.random(len(suspect)) < p_order]
    size = len(applied)
    order_type = _pick(rng, ORDER_TYPES, size)
    applied_day = reported[applied] + rng.integers(10, 201, size)
    parts.append(_action_rows(applied, "order_applied", applied_day, order_type=order_type))
    granted = rng.random(size) < 0.75
    granted_day = applied_day[granted] + rng.integers(7, 61, int(granted.sum()))
    parts.append(_action_rows(applied[granted], "order_granted", granted_day, order_type=order_type[granted]))
    order_breached = rng.random(len(granted_day)) < 0.15
    size = int(order_breached.sum())
    parts.append(
        _action_rows(
            applied[granted][order_breached], "order_breach", granted_day[order_breached] + rng.integers(10, 301, size),
            order_type=order_type[granted][order_breached], response=_breach_responses(rng, size),
        )
    )  # fmt: skip

    # Section 63G: rare, after (or shortly before) an outcome of 15 or 16 on a suspect case.
    codes = cases["outcome_code"]
    no_further_action = cases["has_suspect"] & cases["has_outcome"] & ((codes == "15") | (codes == "16"))
    nfa = np.flatnonzero(no_further_action & (rng.random(n) < 0.08))
    size = len(nfa)
    s63g_day = cases["outcome"][nfa] + np.where(
        rng.random(size) < 0.80, rng.integers(0, 61, size), -rng.integers(0, 31, size)
    )
    parts.append(_action_rows(nfa, "s63g_applied", s63g_day))
    granted = rng.random(size) < 0.75
    parts.append(
        _action_rows(nfa[granted], "s63g_granted", s63g_day[granted] + rng.integers(14, 91, int(granted.sum())))
    )

    actions = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
    happened = actions["day"] <= clock.d_t
    actions = {key: value[happened] for key, value in actions.items()}
    order = np.lexsort((actions["action"], actions["day"], actions["case"]))
    return {key: value[order] for key, value in actions.items()}


# --------------------------------------------------------------------------- victim survey


def _generate_survey(rng: np.random.Generator, clock: Clock, size: int) -> dict[str, np.ndarray]:
    """Anonymous survey responses spread over the period: each respondent's answers share a mood
    (so items go together), and agreement falls from the reporting stage to the outcome stage."""
    day = np.sort(rng.integers(clock.start, clock.d_t + 1, size))
    stage = _pick(rng, JOURNEY_STAGES, size)
    mood = rng.normal(0.0, 0.8, size)
    answers = {}
    for item, by_stage in SURVEY_AGREEMENT.items():
        base = np.array(by_stage)[stage]
        p_agree = 1 / (1 + np.exp(-(np.log(base / (1 - base)) + mood)))
        agree = rng.random(size) < p_agree
        agreeing = np.where(rng.random(size) < 0.45, 5, 4)
        disagreeing = 1 + _pick(rng, {1: 0.30, 2: 0.30, 3: 0.40}, size)
        blank = rng.random(size) < (0.10 if item == "would_recommend_reporting" else 0.05)
        answers[item] = np.where(blank, -1, np.where(agree, agreeing, disagreeing))
    return {"day": day, "stage": stage, **answers}


# --------------------------------------------------------------------------- arrow output


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Pseudonyms like C000001: prefix plus the zero-padded number; -1 is a blank."""
    digits = pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), width=width, padding="0")
    ids = pc.binary_join_element_wise(prefix, digits, "")
    return pc.if_else(pa.array(numbers < 0), pa.nulls(len(numbers), pa.string()), ids)


def _codes(labels: Sequence, index: np.ndarray) -> pa.Array:
    """Code text for each index into `labels`; -1 or a None label is a blank."""
    dictionary = pa.array([None if c is None else str(c) for c in labels], pa.string())
    return pc.take(dictionary, pa.array(index, pa.int64(), mask=index < 0))


def _dates(days: np.ndarray, present: np.ndarray) -> pa.Array:
    """Dates (days since the epoch) written as YYYY-MM-DD; blank where not present."""
    return pa.array(days.astype("datetime64[D]"), pa.date32(), mask=~present)


def _timestamps(seconds: np.ndarray) -> pa.Array:
    """UTC timestamps (seconds since the epoch, -1 blank) written as YYYY-MM-DDTHH:MM:SSZ."""
    stamps = pa.array(seconds.astype("datetime64[s]"), pa.timestamp("s"), mask=seconds < 0)
    return pc.strftime(stamps, format=TIMESTAMP_FORMAT)


def _integers(values: np.ndarray, present: np.ndarray) -> pa.Array:
    """Whole numbers; blank where not present."""
    return pa.array(values, pa.int64(), mask=~present)


def _booleans(values: np.ndarray, present: np.ndarray) -> pa.Array:
    """true/false; blank where not present."""
    return pa.array(values, pa.bool_(), mask=~present)


def _cases_table(cases: dict, case_ids: pa.Array, officer_width: int) -> pa.Table:
    """cases.csv in contract column order."""
    n = len(case_ids)
    suspect_width = max(4, len(str(int(cases["suspect_count"][0]))))
    has_outcome = cases["has_outcome"]
    columns = {
        "case_id": case_ids,
        "offence_code": pa.array(cases["offence_code"], pa.string()),
        "reported_date": _dates(cases["reported"], np.ones(n, bool)),
        "offence_date": _dates(cases["offence_date"], cases["has_offence_date"]),
        "victim_age": _integers(cases["victim_age"], cases["has_victim_age"]),
        "victim_sex": _codes(list(VICTIM_SEX), cases["victim_sex"]),
        "victim_ethnicity": _codes(list(VICTIM_ETHNICITY), cases["victim_ethnicity"]),
        "suspect_id": _ids("S", cases["suspect"], suspect_width),
        "suspect_age": _integers(cases["suspect_age"], cases["has_suspect_age"]),
        "suspect_sex": _codes(list(SUSPECT_SEX), cases["suspect_sex"]),
        "suspect_ethnicity": _codes(list(SUSPECT_ETHNICITY), cases["suspect_ethnicity"]),
        "relationship": _codes(list(RELATIONSHIP_WITH_SUSPECT), cases["relationship"]),
        "domestic_abuse": _booleans(cases["domestic_abuse"], cases["has_domestic_abuse"]),
        "third_party_report": _booleans(cases["third_party_report"], cases["has_third_party_report"]),
        "officer_id": _ids("O", cases["officer"], officer_width),
        "victim_support_at_report": _codes(list(SUPPORT_AT_REPORT), cases["support"]),
        "victim_withdrawal_date": _dates(cases["withdrawal"], cases["has_withdrawal"]),
        "isva_referral_date": _dates(cases["isva"], cases["has_isva"]),
        "early_advice_requested_date": _dates(cases["advice_requested"], cases["has_advice_requested"]),
        "early_advice_received_date": _dates(cases["advice_received"], cases["has_advice_received"]),
        "cps_referral_date": _dates(cases["cps"], cases["has_cps"]),
        "outcome_code": pa.array(cases["outcome_code"], pa.string(), mask=~has_outcome),
        "outcome_date": _dates(cases["outcome"], has_outcome),
    }
    return pa.table([columns[c] for c in CASE_COLUMNS], names=list(CASE_COLUMNS))


def _devices_table(devices: dict, case_ids: pa.Array) -> pa.Table:
    """devices.csv in contract column order; device ids follow case order."""
    size = len(devices["case"])
    requested = devices["requested"]
    columns = {
        "device_id": _ids("D", np.arange(1, size + 1), 6),
        "case_id": pc.take(case_ids, pa.array(devices["case"], pa.int64())),
        "owner": _codes(("victim", "suspect", "other"), devices["owner"]),
        "requested_date": _dates(requested, requested >= 0),
        "consent": _codes(list(VICTIM_PHONE_CONSENT), devices["consent"]),
        "seized_at": _timestamps(devices["seized"]),
        "returned_at": _timestamps(devices["returned"]),
        "replacement_at": _timestamps(devices["replacement"]),
        "examined_at": _timestamps(devices["examined"]),
    }
    return pa.table([columns[c] for c in DEVICE_COLUMNS], names=list(DEVICE_COLUMNS))


def _contacts_table(contacts: dict, case_ids: pa.Array) -> pa.Table:
    """contacts.csv in contract column order."""
    columns = {
        "case_id": pc.take(case_ids, pa.array(contacts["case"], pa.int64())),
        "contact_date": _dates(contacts["day"], np.ones(len(contacts["day"]), bool)),
        "contact_type": _codes(list(contacts["names"]), contacts["kind"]),
    }
    return pa.table([columns[c] for c in CONTACT_COLUMNS], names=list(CONTACT_COLUMNS))


def _workforce_table(workforce: dict, width: int) -> pa.Table:
    """workforce.csv in contract column order, by officer then month."""
    number = workforce["number"][workforce["officer"]]
    order = np.lexsort((workforce["month"], number))
    months = np.datetime_as_string(workforce["month"][order].astype("datetime64[M]"), unit="M")
    present = np.ones(len(order), bool)
    columns = {
        "officer_id": _ids("O", number[order], width),
        "month": pa.array(months, pa.string()),
        "accredited": _booleans(workforce["accredited"][order], present),
        "contracted_days": pa.array(workforce["contracted"][order], pa.float64()),
        "sickness_days": pa.array(workforce["sickness"][order], pa.float64()),
    }
    return pa.table([columns[c] for c in WORKFORCE_COLUMNS], names=list(WORKFORCE_COLUMNS))


def _suspect_actions_table(actions: dict, case_ids: pa.Array) -> pa.Table:
    """suspect_actions.csv in contract column order, by case, date and action."""
    columns = {
        "case_id": pc.take(case_ids, pa.array(actions["case"], pa.int64())),
        "action": _codes(SUSPECT_ACTIONS, actions["action"]),
        "action_date": _dates(actions["day"], np.ones(len(actions["day"]), bool)),
        "order_type": _codes(list(ORDER_TYPES), actions["order_type"]),
        "breach_response": _codes(list(BREACH_RESPONSES), actions["response"]),
    }
    return pa.table([columns[c] for c in SUSPECT_ACTION_COLUMNS], names=list(SUSPECT_ACTION_COLUMNS))


def _survey_table(responses: dict) -> pa.Table:
    """victim_survey.csv in contract column order, by response date; a blank item was not answered."""
    size = len(responses["day"])
    columns = {
        "response_id": _ids("R", np.arange(1, size + 1), 6),
        "response_date": _dates(responses["day"], np.ones(size, bool)),
        "journey_stage": _codes(list(JOURNEY_STAGES), responses["stage"]),
        **{item: _integers(responses[item], responses[item] > 0) for item in SURVEY_ITEMS},
    }
    return pa.table([columns[c] for c in SURVEY_COLUMNS], names=list(SURVEY_COLUMNS))


def _write_csv(path: Path, table: pa.Table) -> None:
    """Write a table as CSV; nulls become empty fields, text is quoted."""
    pa_csv.write_csv(table, path, write_options=pa_csv.WriteOptions(quoting_style="needed"))
