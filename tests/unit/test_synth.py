"""pipelines/synth.py's optional tables (contract v1.1): which forces supply them, that every row
keeps the contract's rules, and that the patterns the sample data promises are there."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.synth import optional_files, write_inbox


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("synth") / "inbox"
    folders = write_inbox(inbox, forces=6, years=3, seed=5, cases_per_force_year=400)
    return {folder.parent.name: folder for folder in folders}


def read(folder, name):
    return f"read_csv('{folder / name}', all_varchar = true)"


def test_which_forces_supply_the_optional_files(inbox):
    # The second force and every fifth after it supply neither file; the fourth only suspect actions.
    assert [optional_files(i) for i in range(7)] == [
        (True, True), (False, False), (True, True), (True, False), (True, True), (True, True), (False, False),
    ]  # fmt: skip
    present = {force: ((f / "suspect_actions.csv").exists(), (f / "victim_survey.csv").exists())
               for force, f in inbox.items()}  # fmt: skip
    assert present == {
        "NORTHA": (True, True), "SOUTHB": (False, False), "EASTC": (True, True), "WESTD": (True, False),
        "MIDLE": (True, True), "COASTF": (True, True),
    }  # fmt: skip


def test_suspect_actions_keep_the_contract_rules(inbox):
    folder = inbox["NORTHA"]
    actions, cases = read(folder, "suspect_actions.csv"), read(folder, "cases.csv")
    broken = duckdb.sql(
        f"""
        select count(*) filter (where cases.case_id is null or cases.suspect_id is null) as without_suspect,
            count(*) filter (where action_date::date > date '2026-10-31') as after_t,
            count(*) filter (where action like 'order_%' and order_type is null) as order_without_type,
            count(*) filter (where action not like '%breach' and breach_response is not null) as stray_response,
            count(*) as actions
        from {actions} as actions left join {cases} as cases using (case_id)
        """
    ).fetchone()
    assert broken[:4] == (0, 0, 0, 0) and broken[4] > 500


def test_suspect_action_patterns(inbox):
    shares = []
    for force in ("NORTHA", "EASTC", "MIDLE"):
        folder = inbox[force]
        actions, cases = read(folder, "suspect_actions.csv"), read(folder, "cases.csv")
        shares.append(
            duckdb.sql(
                f"""
                with suspect_cases as (
                    select case_id, reported_date::date as reported, outcome_code from {cases}
                    where suspect_id is not null
                ),
                first_contact as (
                    select case_id, min(action_date::date) as first_day from {actions}
                    where action in ('arrest', 'voluntary_interview') group by case_id
                )
                select
                    count(first_day) / count(*) as seen,
                    count(*) filter (where first_day - reported <= 30) / count(*) as seen_in_30_days,
                    (select count(*) filter (where breach_response in ('arrested', 'charged')) / count(*)
                     from {actions} where action like '%breach') as breach_arrests,
                    (select count(*) from {actions} where action like '%breach') / count(*) as breaches,
                    (select count(*) from {actions} where action = 'order_applied') / count(*) as orders,
                    (select count(*) from {actions} where action = 's63g_applied')
                        / count(*) filter (where outcome_code in ('15', '16')) as s63g
                from suspect_cases left join first_contact using (case_id)
                """
            ).fetchone()
        )
    seen, in_30_days, breach_arrests, breaches, orders, s63g = (sum(s[i] for s in shares) / 3 for i in range(6))
    assert 0.65 < seen < 0.9  # most identified suspects arrested or interviewed
    assert 0.35 < in_30_days < seen  # some within 30 days
    assert breaches < 0.1 and 0.3 < breach_arrests < 0.7  # a minority of breaches, about half met with arrest
    assert 0.01 < orders < 0.1  # orders applied for in small numbers
    assert 0 < s63g < 0.15  # section 63G applications rare


def test_survey_patterns(inbox):
    stages = {}
    for force in ("NORTHA", "EASTC", "MIDLE"):
        survey = read(inbox[force], "victim_survey.csv")
        per_year = duckdb.sql(f"select count(*) / 3 from {survey}").fetchone()[0]
        assert 200 < per_year < 500  # several hundred responses a year per force
        bad = duckdb.sql(
            f"""
            select count(*) filter (where response_date::date > date '2026-10-31')
                + count(*) - count(distinct response_id)
                + count(*) filter (where journey_stage not in ('reporting', 'investigation', 'outcome'))
                + count(*) filter (where kept_informed::integer not between 1 and 5)
            from {survey}
            """
        ).fetchone()[0]
        assert bad == 0
        for stage, agree in duckdb.sql(
            f"select journey_stage, avg((kept_informed::integer >= 4)::integer) from {survey} group by all"
        ).fetchall():
            stages.setdefault(stage, []).append(agree)
    kept_informed = {stage: sum(v) / len(v) for stage, v in stages.items()}
    # Lower agreement on "kept informed" at the investigation and outcome stages than at reporting.
    assert kept_informed["reporting"] > kept_informed["investigation"] + 0.15
    assert kept_informed["reporting"] > kept_informed["outcome"] + 0.15
