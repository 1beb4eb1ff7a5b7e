"""Adapt stage: turn each raw force export in `<inbox>/raw/` into a canonical extract."""

from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from pipelines.adapt.adapter import adapt, clear_folder
from pipelines.extracts import MAPPING_FILE, RAW_AREA, find_raw_exports
from pipelines.resources import FlightDeckSettings


def _check_apart(adapted: Path, inbox: Path) -> None:
    """The adapted area is emptied every run, so it must never hold or sit inside the inbox."""
    adapted, inbox = adapted.resolve(), inbox.resolve()
    if adapted == inbox or adapted in inbox.parents or inbox in adapted.parents:
        raise ValueError(f"adapted_dir {adapted} must be outside the inbox {inbox} (it is emptied every run)")


@asset(group_name="adapt")
def adapted_extracts(context: AssetExecutionContext, settings: FlightDeckSettings) -> MaterializeResult:
    """Canonical extracts made from the raw exports in the inbox's `raw/` area. Each raw
    export is a folder holding a `mapping.toml` beside the force's own files; its extract is
    written to the adapted area (rebuilt from scratch every run, inputs never touched) with
    a coverage report (`adapt_report.md` / `.json`: per column mapped, unmapped and blank
    counts, and every unmapped value with example lines). An export whose mapping is
    broken or leaves a value unmapped under the `error` policy gets no extract; discovery
    lists it as rejected with the adapter's reasons."""
    inbox, adapted = settings.inbox_path, settings.adapted_path
    _check_apart(adapted, inbox)
    clear_folder(adapted)
    raw = inbox / RAW_AREA
    exports = find_raw_exports(inbox)
    lines, reports, failed = [], [], 0
    for folder in exports:
        relative = folder.relative_to(raw)
        report = adapt(folder / MAPPING_FILE, folder, adapted / relative, progress=context.log.info)
        status = "adapted" if report.ok else "not adapted"
        failed += not report.ok
        context.log.info(f"adapt: {RAW_AREA}/{relative.as_posix()}: {status}")
        for problem in report.problems:
            context.log.warning(f"rejected: {RAW_AREA}/{relative.as_posix()}: {problem}")
        unmapped = sum(c.unmapped for c in report.columns)
        lines.append(
            f"- `{RAW_AREA}/{relative.as_posix()}` ({report.force_code or '?'}): {status}; "
            f"{sum(report.tables.values()):,} rows, {unmapped:,} values unmapped; see "
            f"`{(adapted / relative / 'adapt_report.md').as_posix()}`"
        )
        lines += [f"  - {p}" for p in report.problems[:5]]
        reports.append(report.to_markdown())
    context.log.info(f"adapt: {len(exports)} raw export(s) found in {raw}, {failed} not adapted")
    return MaterializeResult(
        metadata={
            "raw_exports": len(exports),
            "not_adapted": failed,
            "adapted_dir": str(adapted),
            "summary": MetadataValue.md("\n".join(lines) or "no raw exports"),
            "coverage": MetadataValue.md("\n\n".join(reports) or "no raw exports"),
        }
    )
