"""flightdeck: run the nightly job, adapt raw force exports, make synthetic extracts, regenerate suites and docs."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from pipelines.extracts import printable
from pipelines.failures import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, describe, raise_on_signals

# The assets' own progress lines start with their stage; see assets/.
PROGRESS_PREFIXES = (
    "adapt:", "discover:", "stage:", "validate:", "kpi:", "publish:", "quality gate:", "rejected:", "extract ",
)  # fmt: skip
DAGSTER_HOME_DEFAULT = Path(__file__).resolve().parents[1] / ".dagster_home"
INSTANCE_SETTINGS = Path(__file__).resolve().parent / "dagster.yaml"


def _progress_logger(log_file: Path | None):
    """A Dagster logger that prints the pipeline's own progress lines and any failure (and keeps
    every line, with tracebacks, in the run's log file)."""
    from dagster import logger

    started = time.monotonic()
    record_file = log_file.open("a", encoding="utf-8") if log_file else None

    class ProgressHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", {}) or {}
            event = meta.get("dagster_event")
            text = meta.get("orig_message") or record.getMessage()
            if record_file:
                record_file.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} {text}\n")
                record_file.flush()
            if event is not None:
                if event.is_step_failure or event.event_type_value == "ASSET_CHECK_EVALUATION":
                    if event.is_step_failure or "failed" in text.lower():
                        print(f"  ! {printable(text.splitlines()[0] if text else '')}", file=sys.stderr)
                return
            # Dagster's own "Dependencies for step ... Not executing" lines repeat, for every
            # later step, what the failure above and the summary below already say.
            if text.startswith(PROGRESS_PREFIXES) or (
                record.levelno >= logging.ERROR and not text.startswith("Dependencies for step")
            ):
                print(f"[{time.monotonic() - started:7.1f}s] {printable(text)}", file=sys.stderr)

    @logger
    def progress(_init_context):
        log = logging.getLogger("flightdeck.progress")
        log.setLevel(logging.INFO)
        log.propagate = False
        log.handlers = [ProgressHandler()]
        return log

    return progress


def open_instance():
    """The persistent Dagster instance every run is recorded in: $DAGSTER_HOME, else .dagster_home/
    in the repository (the one `make ui` shows)."""
    import shutil

    from dagster import DagsterInstance

    from pipelines import locks
    from pipelines.resources import FORCES_PARTITIONS

    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(DAGSTER_HOME_DEFAULT)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    # Runs started together on a new instance would each create its SQLite tables ("table ...
    # already exists"): one at a time makes them, the others wait and find them made.
    with locks.holding([home / ".flightdeck-instance.lock"], wait=True):
        if not (home / "dagster.yaml").exists():
            shutil.copyfile(INSTANCE_SETTINGS, home / "dagster.yaml")
        instance = DagsterInstance.get()
        instance.get_runs(limit=1)  # the run and event storages' tables, made now if new
        instance.get_dynamic_partitions(FORCES_PARTITIONS)
    return instance


def _summary(warehouse: Path) -> bool:
    """Print what the run used and found; returns whether any extract was rejected."""
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return False
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
        print(f"  {status:<10} {force or '?':<8} {printable(extract_id)}")
        for reason in reasons or []:
            print(f"             - {printable(reason)}")
    for file, columns in ignored:
        print(f"Ignored columns (not in the contract): {printable(file)}: {printable(', '.join(columns))}")
    print(f"Rows in used extracts: {counts[0]:,} read, {counts[1]:,} accepted, {counts[2]:,} quarantined")
    return any(status == "rejected" for _, _, status, _ in verdicts)


def _clean_leftovers(paths) -> None:
    """Remove what interrupted runs left half-written: hidden work folders of the output folder and
    of the warehouse's store, and pointer files that were never moved into place."""
    from pipelines.publish import remove_tree

    leftovers = [
        (".incomplete-*", paths.out / "versions"),
        (".latest-*.json", paths.out),
        (".*", paths.cache / "extracts"),
        (".*", paths.cache / "kpi"),
        (".*", paths.adapted),
    ]
    for pattern, root in leftovers:
        if root.is_dir() and not root.is_symlink():
            for leftover in root.glob(pattern):
                if leftover.is_dir() and not leftover.is_symlink():
                    remove_tree(leftover)
                else:
                    leftover.unlink(missing_ok=True)


def _run_under_locks(args, settings, started: datetime, log_file: Path) -> int:
    from pipelines.definitions import build_defs
    from pipelines.nightly import run_nightly

    _clean_leftovers(settings.paths)
    defs = build_defs(settings, loggers={"progress": _progress_logger(log_file)}, wait=args.wait)
    outcome = run_nightly(defs, open_instance(), settings, started, args.workers)
    rejected = _summary(settings.paths.warehouse)
    if outcome.published:
        print(f"KPI rows: {outcome.published['kpi_rows']:,}")
        print(f"Published: {outcome.published['path']}")
        return EXIT_REJECTED if rejected else EXIT_OK
    reason = outcome.blocked_by or "the run stopped before publishing"
    print(f"flightdeck: {reason}; nothing was published (latest.json and earlier versions are unchanged)",
          file=sys.stderr)  # fmt: skip
    return EXIT_FAILED


def command_run(args: argparse.Namespace) -> int:
    """Run discovery and the nightly job in-process on an inbox and publish a version."""
    from pipelines import gate_process

    # Great Expectations' import (seconds) runs in the gate's own process, started first, while
    # Dagster starts and the run discovers and stages; a run with nothing to gate ends it unused.
    if args.workers <= 1:
        gate_process.start()
    try:
        return _command_run(args)
    finally:
        gate_process.stop()


def _command_run(args: argparse.Namespace) -> int:
    from pipelines import locks
    from pipelines.env import SettingProblem
    from pipelines.paths import PathProblem, check_paths
    from pipelines.resources import settings_from_env

    started = datetime.now(UTC)
    raise_on_signals()
    try:
        # Paths not given on the command line come from FLIGHTDECK_* or the defaults, read in one
        # place (pipelines/resources.py) for the CLI, the UI and the scheduler alike.
        settings = settings_from_env(
            inbox=args.extracts and str(Path(args.extracts).absolute()),
            out_dir=args.out and str(Path(args.out).absolute()),
            warehouse=args.warehouse and str(Path(args.warehouse).absolute()),
            quarantine_threshold=args.quarantine_threshold,
            spc_baselines=args.spc_baselines,
            min_denominator=args.min_denominator,
        )
        paths = settings.paths
        check_paths(paths)
    except (SettingProblem, PathProblem) as problem:
        print(f"flightdeck: {problem}; nothing was published", file=sys.stderr)
        return EXIT_FAILED
    log_file = None
    try:
        paths.logs.mkdir(parents=True, exist_ok=True)
        log_file = paths.logs / f"run-{started:%Y%m%dT%H%M%SZ}-{os.getpid()}.log"
        log_file.touch()
        print(f"Flight Deck nightly run: extracts {paths.inbox}, outputs {paths.out}, warehouse {paths.warehouse}",
              file=sys.stderr)  # fmt: skip
        with locks.holding(paths.lock_files(), wait=args.wait, on_wait=lambda m: print(m, file=sys.stderr)):
            return _run_under_locks(args, settings, started, log_file)
    except locks.LockHeld as held:
        print(f"flightdeck: {held}; nothing was published", file=sys.stderr)
        return EXIT_FAILED
    except BaseException as error:  # every failure ends in one line and the documented exit code
        cause = describe(error)
        if log_file is not None:
            try:
                with log_file.open("a", encoding="utf-8") as handle:
                    handle.write("".join(traceback.format_exception(error)))
                    handle.write(getattr(error, "details", "") or "")
            except OSError:
                log_file = None
        where = f" (details: {log_file})" if log_file else ""
        print(f"flightdeck: {printable(cause)}; nothing was published{where}", file=sys.stderr)
        return EXIT_FAILED


def command_force_worker(args: argparse.Namespace) -> int:
    """Internal: run the per-force job on one range of forces (started by `flightdeck run --workers`)."""
    from pipelines import gate_process

    gate_process.start()  # as in `flightdeck run`: GX's import overlaps this worker's staging
    from pipelines.definitions import build_defs
    from pipelines.nightly import INVENTORY_TAG, execute, partition_range_tags

    raise_on_signals()
    defs = build_defs(loggers={"progress": _progress_logger(None)})
    tags = {INVENTORY_TAG: args.inventory, **partition_range_tags([args.first, args.last])}
    try:
        execute(defs, "force_partitions", open_instance(), tags)
    except BaseException as error:
        print(f"flightdeck force worker {args.first}..{args.last}: {printable(describe(error))}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        gate_process.stop()
    return EXIT_OK


def command_adapt(args: argparse.Namespace) -> int:
    """Adapt one raw export with its mapping file, or with --check only report coverage."""
    from pipelines.adapt.adapter import adapt

    if not args.check and not args.out:
        print("flightdeck adapt: give --out DIR, or --check for a dry run", file=sys.stderr)
        return EXIT_FAILED
    source = Path(args.source) if args.source else Path(args.mapping).parent
    if not args.check:
        from pipelines.resources import settings_from_env

        inbox, out = settings_from_env().inbox_path.resolve(), Path(args.out).resolve()
        if out == inbox or inbox in out.parents:
            print(f"flightdeck adapt: --out {out} must not be inside the inbox {inbox} "
                  "(the adapted extract would be read twice)", file=sys.stderr)  # fmt: skip
            return EXIT_FAILED
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

    extra = {"extracted_at": args.extracted_at} if args.extracted_at else {}
    folders = write_inbox(
        Path(args.out), forces=args.forces, years=args.years, seed=args.seed,
        cases_per_force_year=args.cases_per_force_year, progress=lambda m: print(m, file=sys.stderr), **extra,
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
    """Regenerate the KPI table and the data dictionary in docs/."""
    from pipelines.docs import write_docs

    for path in write_docs():
        print(path)
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
    run.add_argument(
        "--wait",
        action="store_true",
        help="if another run holds the warehouse or the output folder, wait for it instead of stopping (exit 2)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="run the per-force work in this many processes side by side (default 1: all in this process)",
    )
    run.set_defaults(handler=command_run)

    worker = commands.add_parser("force-worker", help=argparse.SUPPRESS)
    worker.add_argument("first")
    worker.add_argument("last")
    worker.add_argument("inventory")
    worker.set_defaults(handler=command_force_worker)

    synth = commands.add_parser("synth", help="write synthetic canonical extracts")
    synth.add_argument("--out", required=True)
    synth.add_argument("--forces", type=int, default=2)
    synth.add_argument("--years", type=int, default=3)
    synth.add_argument("--seed", type=int, default=20261123)
    synth.add_argument("--cases-per-force-year", type=int, default=400)
    synth.add_argument("--extracted-at", default=None, help="T of every extract (ISO 8601 with offset)")
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

    docs = commands.add_parser("docs", help="rewrite the KPI table and the data dictionary in docs/")
    docs.set_defaults(handler=command_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `flightdeck` console script."""
    import warnings

    # Dagster's notices about its own beta parameters are for its developers, not for operators.
    warnings.filterwarnings("ignore", message=r".*(is currently in beta|is superseded|is deprecated).*")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except Exception as error:  # `run` ends its own failures; any other command's end here, in one line
        print(f"flightdeck {args.command}: {printable(describe(error))}", file=sys.stderr)
        return EXIT_FAILED


def entry() -> None:
    """The console script: `main`, then the process ends without Python's teardown.

    Freeing the modules and memory of a finished run (Great Expectations, Dagster, DuckDB's
    allocator) takes most of a second and does nothing a new process needs: every file and
    connection is closed by the time `main` returns, so only the output streams are flushed."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
