-- sheet_rows: each workbook row (workbook_cells: sql/deck/workbook.sql's rows in table order, with
-- the worksheet row each goes to and the style indexes of its table's number columns) as one
-- worksheet XML <row>, columns A to I as the table's headers. Grain: one row per kpi_export row,
-- in the order of workbook_cells (DuckDB keeps the scan's order: nothing here reorders).
with cells as (
    select
        *,
        coalesce(status = 'suppressed', false) as is_suppressed,
        cast(sheet_row as varchar) as r
    from workbook_cells
),

final as (
    select
        '<row r="' || r || '">'
        || text_cell('A' || r, force_code)
        || text_cell('B' || r, month)
        || text_cell('C' || r, breakdown)
        || number_cell('D' || r, numerator, count_style, is_suppressed)
        || number_cell('E' || r, denominator, count_style, is_suppressed)
        || number_cell('F' || r, value, value_style, is_suppressed)
        || number_cell('G' || r, ci_low, value_style, is_suppressed)
        || number_cell('H' || r, ci_high, value_style, is_suppressed)
        || text_cell('I' || r, status)
        || '</row>' as row_xml
    from cells
)

select row_xml from final
