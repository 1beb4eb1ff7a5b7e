-- pj_* items (victim voice): for the survey item $item, one item per response that answers it
-- (1-5) and per month M whose three-month window holds the response (response_date in M, the
-- month before M or the month before that), counted when the answer is 4 or 5 (agree or
-- strongly agree). Items carry the response's journey_stage for the breakdown. Published only
-- where victim_survey.csv is supplied. Unit: proportion.
with responses as (
    select * from valid_victim_survey
),

answers as (
    select
        force_code,
        journey_stage,
        response_date,
        case $item
            when 'treated_with_respect' then treated_with_respect
            when 'treated_fairly' then treated_fairly
            when 'listened_to' then listened_to
            when 'kept_informed' then kept_informed
            when 'felt_believed' then felt_believed
            when 'would_recommend_reporting' then would_recommend_reporting
            else error('survey_agreement: no such item ' || $item)
        end as answer
    from responses
),

windows as (
    -- A response is in the windows of its own month and of the next two months.
    select
        force_code,
        journey_stage,
        answer,
        cast(unnest([
            month_of(response_date),
            month_of(response_date) + interval 1 month,
            month_of(response_date) + interval 2 month
        ]) as date) as period
    from answers
    where answer is not null
),

final as (
    select
        force_code,
        journey_stage,
        period,
        answer >= 4 as is_counted
    from windows
)

select * from final
