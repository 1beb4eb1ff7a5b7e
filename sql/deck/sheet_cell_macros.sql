-- Worksheet XML for one cell (SpreadsheetML, ECMA-376 part 1, 18.3.1.4): text as an inline string,
-- numbers as they are with the column's number format (its index in styles.xml).
-- Characters XML 1.0 cannot hold are dropped; &, < and > are escaped. Most text needs neither,
-- and one search costs less than the four rewrites.
create or replace macro xml_text(t) as
case
    when regexp_matches(t, '[\x00-\x08\x0B\x0C\x0E-\x1F&<>]')
        then replace(
            replace(replace(regexp_replace(t, '[\x00-\x08\x0B\x0C\x0E-\x1F]', '', 'g'), '&', '&amp;'), '<', '&lt;'),
            '>',
            '&gt;'
        )
    else t
end;

-- A text cell; a null is no cell at all (the cell stays empty). Leading or trailing spaces are kept.
create or replace macro text_cell(ref, t) as
case
    when t is null then ''
    else
        '<c r="' || ref || '" t="inlineStr"><is><t'
        || if(t <> trim(t), ' xml:space="preserve"', '') || '>'
        || xml_text(t) || '</t></is></c>'
end;

-- A number cell: [c] on a suppressed row, [x] where no number exists (null, or not finite), else
-- the number in its shortest exact decimal form.
create or replace macro number_cell(ref, x, style_index, is_suppressed) as
case
    when is_suppressed then text_cell(ref, '[c]')
    when x is null or not isfinite(x) then text_cell(ref, '[x]')
    else '<c r="' || ref || '" s="' || style_index || '"><v>' || cast(x as varchar) || '</v></c>'
end;
