"""flightdeck: run the nightly job, adapt raw force exports, make synthetic extracts, regenerate suites and docs."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 2
# The assets' own progress lines start with their stage; see assets/.
PROGRESS_PREFIXES = (
    "adapt:", "discover:", "stage:", "validate:", "kpi:", "publish:", "quality gate:", "rejected:", "extract ",
)  # fmt: skip


def _progress_logger():
    """A Dagster logger that prints the pipeline's own progress lines and any failure."""
    from dagster import logger

    class ProgressHandler(logging.Handler):
        def __init__(self):
            super().__init__()
            self.started = time.monotonic()

        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", {}) or {}
            event = meta.get("dagster_event")
            if event is not None:
                if event.is_step_failure or event.event_type_value == "ASSET_CHECK_EVALUATION":
                    text = meta.get("orig_message") or record.getMessage()
                    if event.is_step_failure or "failed" in text.lower():
                        print(f"  ! {text}", file=sys.stderr)
                return
            text = meta.get("orig_message") or record.getMessage()
            # Dagster's own "Dependencies for step ... Not executing" lines repeat, for every
            # later step, what the failure above and the summary below already say.
            if text.startswith(PROGRESS_PREFIXES) or (
                record.levelno >= logging.ERROR and not text.startswith("Dependencies for step")
            ):
                print(f"[{time.monotonic() - self.started:7.1f}s] {text}", file=sys.stderr)

    @logger
    def progress(_init_context):
        log = logging.getLogger("flightdeck.progress")
        log.setLevel(logging.INFO)
        log.propagate = False
        log.handlers = [ProgressHandler()]
        return log

    return progress


def _summary(out: Path, result_ok: bool, warehouse: Path) -> int:
    """Print what the run used and published; return the exit status."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        verdicts = con.execute(
            "select extract_id, force_code, status, reasons from extract_verdicts order by all"
        ).fetchall()
        counts = con.execute(
            """
            select coalesce(sum(rows_read), 0), coalesce(sum(rows_accepted), 0), coalesce(sum(rows_quarantined), 0)
            from extract_table_counts inner join extract_verdicts using (extract_id)
            where status = 'used'
            """
        ).fetchone()
        ignored = con.execute(
            """
            select extract_id || '/' || table_name || '.csv', ignored_columns
            from extract_files where len(ignored_columns) > 0 order by all
            """
        ).fetchall()
    except duckdb.Error:
        verdicts, counts, ignored = [], (0, 0, 0), []
    finally:
        con.close()
    print("\nExtracts:")
    for extract_id, force, status, reasons in verdicts:
        print(f"  {status:<10} {force or '?':<8} {extract_id}")
        for reason in reasons or []:
            print(f"             - {reason}")
    for file, columns in ignored:
        print(f"Ignored columns (not in the contract): {file}: {', '.join(columns)}")
    print(f"Rows in used extracts: {counts[0]:,} read, {counts[1]:,} accepted, {counts[2]:,} quarantined")
    rejected = any(status == "rejected" for _, _, status, _ in verdicts)
    latest = out / "latest.json"
    if result_ok and latest.exists():
        pointer = json.loads(latest.read_text())
        manifest = json.loads((out / pointer["path"] / "manifest.json").read_text())
        print(f"KPI rows: {manifest['outputs']['kpi_monthly.parquet']['rows']:,}")
        print(f"Published: {out / pointer['path']}")
        return EXIT_REJECTED if rejected else EXIT_OK
    print("Nothing was published; latest.json and earlier versions are unchanged.", file=sys.stderr)
    return EXIT_FAILED


def command_run(args: argparse.Namespace) -> int:
    """Execute the nightly job in-process on an inbox and publish a version."""
    from dagster import DagsterInstance

    from pipelines.definitions import build_defs
    from pipelines.resources import settings_from_env, warehouse_from_env

    # Paths not given on the command line come from FLIGHTDECK_* or the defaults, read in one
    # place (pipelines/resources.py) for the CLI, the UI and the scheduler alike.
    settings = settings_from_env(
        inbox=args.extracts and str(Path(args.extracts).resolve()),
        out_dir=args.out and str(Path(args.out).resolve()),
        quarantine_threshold=args.quarantine_threshold,
        spc_baselines=args.spc_baselines,
        min_denominator=args.min_denominator,
    )
    warehouse_resource = warehouse_from_env(args.warehouse)
    inbox, out, warehouse = settings.inbox_path, settings.out_path, Path(warehouse_resource.database)
    if not inbox.is_dir():
        print(f"flightdeck: extracts folder {inbox} does not exist", file=sys.stderr)
        return EXIT_FAILED
    print(f"Flight Deck nightly run: extracts {inbox}, outputs {out}, warehouse {warehouse}", file=sys.stderr)
    defs = build_defs(settings, warehouse_resource, loggers={"progress": _progress_logger()})
    job = defs.resolve_job_def("nightly")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
    return _summary(out, result.success, warehouse)


def command_adapt(args: argparse.Namespace) -> int:
    """Adapt one raw export with its mapping file, or with --check only report coverage."""
    from pipelines.adapt.adapter import adapt

    if not args.check and not args.out:
        print("flightdeck adapt: give --out DIR, or --check for a dry run", file=sys.stderr)
        return EXIT_FAILED
    source = Path(args.source) if args.source else Path(args.mapping).parent
    report = adapt(
        Path(args.mapping), source, None if args.check else Path(args.out),
        progress=lambda message: print(message, file=sys.stderr),
    )  # fmt: skip
    print(report.to_markdown(), end="")
    if not report.ok:
        print(f"flightdeck adapt: {len(report.problems)} problem(s); no extract written", file=sys.stderr)
        return EXIT_FAILED
    if not args.check:
        print(f"flightdeck adapt: canonical extract written to {args.out}", file=sys.stderr)
    return EXIT_OK


def command_synth(args: argparse.Namespace) -> int:
    """Write synthetic canonical extracts (or, with --raw-samples, the two raw sample exports)."""
    from pipelines.synth import write_inbox

    if args.raw_samples:
        from pipelines.adapt.sample import write_raw_samples

        for folder in write_raw_samples(Path(args.out), seed=args.seed):
            print(folder)
        return EXIT_OK

    folders = write_inbox(
        Path(args.out), forces=args.forces, years=args.years, seed=args.seed,
        cases_per_force_year=args.cases_per_force_year, progress=lambda m: print(m, file=sys.stderr),
    )  # fmt: skip
    for folder in folders:
        print(folder)
    return EXIT_OK


def command_expectations(_args: argparse.Namespace) -> int:
    """Regenerate the Great Expectations suites from the contract."""
    from pipelines.quality import write_suites

    for path in write_suites():
        print(path)
    return EXIT_OK


def command_docs(_args: argparse.Namespace) -> int:
    """Regenerate README.md's KPI table and data dictionary."""
    from pipelines.docs import write_readme

    print(write_readme())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="flightdeck", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the nightly job on an inbox and publish a version")
    run.add_argument(
        "--extracts",
        default=None,
        help="inbox folder (default: $FLIGHTDECK_INBOX, else the sample)",
    )
    run.add_argument(
        "--out",
        default=None,
        help="output folder (default: $FLIGHTDECK_OUT, else outputs/)",
    )
    run.add_argument(
        "--warehouse",
        default=None,
        help="DuckDB file (default: $FLIGHTDECK_WAREHOUSE, else warehouse/flightdeck.duckdb)",
    )
    run.add_argument(
        "--quarantine-threshold",
        type=float,
        default=None,
        help="largest share of a table's rows quarantined before an extract is rejected (default 0.05)",
    )
    run.add_argument(
        "--spc-baselines",
        default=None,
        help="CSV fixing SPC baseline months per force: force_code,baseline_from,baseline_to "
        "(default: $FLIGHTDECK_SPC_BASELINES, else every month)",
    )
    run.add_argument(
        "--min-denominator",
        type=int,
        default=None,
        help="disclosure rule for kpi_export and the flight deck page: suppress proportions with a smaller "
        "denominator (default: $FLIGHTDECK_MIN_DENOMINATOR, else 10; 0 = off)",
    )
    run.set_defaults(handler=command_run)

    synth = commands.add_parser("synth", help="write synthetic canonical extracts")
    synth.add_argument("--out", required=True)
    synth.add_argument("--forces", type=int, default=2)
    synth.add_argument("--years", type=int, default=3)
    synth.add_argument("--seed", type=int, default=20261123)
    synth.add_argument("--cases-per-force-year", type=int, default=400)
    synth.add_argument(
        "--raw-samples",
        action="store_true",
        help="write the EASTC and WESTD raw sample exports under OUT (their mapping.toml files are kept)",
    )
    synth.set_defaults(handler=command_synth)

    adapt = commands.add_parser(
        "adapt", help="turn a raw force export into a canonical extract with a mapping file (exit 2 on any problem)"
    )
    adapt.add_argument("--mapping", required=True, help="the mapping file (TOML)")
    adapt.add_argument("--source", help="folder holding the raw files (default: the mapping file's folder)")
    adapt.add_argument("--out", help="folder to write the canonical extract and its coverage report to")
    adapt.add_argument("--check", action="store_true", help="dry run: print coverage only, write nothing")
    adapt.set_defaults(handler=command_adapt)

    expectations = commands.add_parser("expectations", help="rewrite expectations/*.json from the contract")
    expectations.set_defaults(handler=command_expectations)

    docs = commands.add_parser("docs", help="rewrite README.md's KPI table and data dictionary")
    docs.set_defaults(handler=command_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `flightdeck` console script."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
