-- Shared definitions from the catalogue's common rules, as DuckDB macros (run before every KPI query).
create or replace macro month_of(d) as cast(date_trunc('month', d) as date);
create or replace macro london_month(ts) as cast(date_trunc('month', timezone('Europe/London', ts)) as date);
create or replace macro is_charged(code) as coalesce(code in ('1', '1A'), false);
create or replace macro hours_between(earlier, later) as (epoch_us(later) - epoch_us(earlier)) / 3600000000.0;
