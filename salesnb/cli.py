"""The ``salesnb`` command: ``sample``, ``validate``, ``copy``, ``run``, ``list`` and ``app``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from salesnb.errors import SalesnbError

__all__ = ["main"]


def _day_arg(text: str) -> dt.date | None:
    from salesnb.core.periods import parse_day  # pandas: only when a date is given

    try:
        return parse_day(text, name="date")
    except SalesnbError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be from 1 to 65535")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="salesnb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write the synthetic sample dataset",
                       description="Generate the synthetic sales dataset (deterministic by seed).")
    p.add_argument("--out", type=Path, required=True, help="folder to write the tables into")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: 42)")
    p.add_argument("--scale", type=_positive, default=1.0,
                   help="size multiplier: 1 = ~140k order lines, 70 = ~10M (default: 1)")
    p.add_argument("--format", choices=["csv", "parquet"], default=None,
                   help="file format (default: csv, parquet when --scale > 5)")

    v = sub.add_parser("validate", help="check a source; exit 0 clean, 1 quarantined, 2 unusable",
                       description="Validate every table of a source and report quarantined "
                                   "rows. Exit status: 0 clean, 1 rows quarantined, 2 a table "
                                   "unusable.")
    v.add_argument("source", help="folder of table files or a .duckdb file")
    v.add_argument("--mapping", type=Path, default=None, help="YAML column mapping")
    v.add_argument("--as-of", type=_day_arg, default=None,
                   help="reject dates after this day (default: today)")
    v.add_argument("--quarantine", type=Path, default=None,
                   help="write the quarantined rows to this CSV file")
    v.add_argument("--examples", type=int, default=3,
                   help="example rows to print per rule (default: 3)")
    c = sub.add_parser("copy", help="validate a source and copy it into a PostgreSQL schema",
                       description="Validate every table of SOURCE and write it into the "
                                   "schema of DEST (postgresql://user@host/db?schema=name, "
                                   "password from the URL, PGPASSWORD or ~/.pgpass): valid "
                                   "rows into the tables, rejected rows into a 'quarantine' "
                                   "table with their reasons. The schema is replaced in one "
                                   "transaction: a failed copy leaves it as it was.")
    c.add_argument("source", help="folder of table files, a .duckdb file or a database URL")
    c.add_argument("dest", help="postgresql://... URL (?schema=name, default public)")
    c.add_argument("--mapping", type=Path, default=None, help="YAML column mapping")
    c.add_argument("--as-of", type=_day_arg, default=None,
                   help="reject dates after this day (default: today); kept with the copy")

    r = sub.add_parser(
        "run", help="execute report notebooks into HTML reports under outputs/",
        description="Execute report notebooks with papermill into a dated run folder: executed "
                    "notebooks, an HTML page each (code hidden), index.html and manifest.json. "
                    "outputs/latest moves only when every notebook succeeded. Exit status: 0 ok, "
                    "1 a notebook failed (kept as <run>-failed), 2 bad arguments or an unusable "
                    "--out (a file, read-only, full disk; nothing is left behind), 130 "
                    "interrupted by SIGINT (Ctrl-C), 143 by SIGTERM (kept as <run>-interrupted; "
                    "every kernel is stopped).")
    r.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                   help="catalog name (00_data_quality or data_quality) or .ipynb path")
    r.add_argument("--all", action="store_true", dest="run_all", help="run every report")
    r.add_argument("--source", default=None,
                   help="data folder, .duckdb file or postgresql:// URL for every report")
    r.add_argument("-p", "--param", nargs=2, action="append", default=[],
                   metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    r.add_argument("-f", "--param-file", type=Path, default=None,
                   help="YAML file of parameters (flags win)")
    r.add_argument("--out", type=Path, default=None,
                   help="output folder, relative to the current folder (default: outputs/)")
    r.add_argument("--jobs", type=int, default=1, help="notebooks run in parallel (default: 1)")
    r.add_argument("--timeout", type=int, default=None,
                   help="seconds a cell may run before its kernel is stopped (default: 600)")
    r.add_argument("--show-pii", action="store_true",
                   help="let reports show personal data (names, e-mails, phones)")
    r.add_argument("--each", choices=("region", "manager", "rep"), default=None,
                   help="one report set per region, manager's team or rep, plus the "
                        "company's, each in a folder of its own with its own index (data "
                        "loaded and shared models fitted once per worker)")
    r.add_argument("--engine", choices=("duckdb", "spark"), default=None,
                   help="where reports that read order lines as sums (the forecast) sum them: "
                        "duckdb (default; a 'salesnb copy' schema sums on its PostgreSQL "
                        "server) or spark (--source a folder of Parquet tables; "
                        "SALESNB_SPARK_MASTER names the cluster, default local)")
    r.add_argument("--memory-limit", default=None, metavar="SIZE",
                   help="DuckDB's memory limit in each kernel (e.g. 4GB); past it DuckDB "
                        "spills to a temporary folder (default: 80%% of the machine's memory)")
    r.add_argument("--lang", choices=("en", "zh-CN"), default=None,
                   help="language every report is written in (the lang parameter): en or "
                        "zh-CN (Chinese)")
    r.add_argument("--pdf", action="store_true",
                   help="also print each report to a PDF beside its HTML page (headless "
                        "Chromium: Debian's chromium, or SALESNB_CHROMIUM)")
    r.add_argument("-q", "--quiet", action="store_true",
                   help="no progress (default: live bars on a terminal, plain lines in a log)")

    sub.add_parser("list", help="list report notebooks and their parameters")
    sc = sub.add_parser("scopes", help="list every scope a report can be run for",
                        description="Every value the scope parameter takes on a source: "
                                    "company, each region, each manager's team, each rep "
                                    "(with names when the source has a reps table).")
    sc.add_argument("--source", default="data",
                    help="data folder, .duckdb file or postgresql:// URL")
    sc.add_argument("--mapping", type=Path, default=None, help="YAML column mapping")

    a = sub.add_parser(
        "app", help="serve the reports as the managers' app (Voila, code hidden)",
        description="Serve the report notebooks as a web app for managers: a landing page "
                    "listing the analyses, each page showing results and controls, no code. "
                    "Runs until Ctrl-C. Login: set SALESNB_APP_TOKEN (at least 16 "
                    "characters) in the environment and every browser must enter it first; "
                    "without it there is no login, and serving beyond 127.0.0.1 prints a "
                    "warning.")
    a.add_argument("--port", type=_port, default=None,
                   help="port to listen on (default: 8866)")
    a.add_argument("--ip", default=None,
                   help="address to listen on (default: 127.0.0.1, this machine only; "
                        "another address serves the reports to the network: set "
                        "SALESNB_APP_TOKEN or use an authenticating proxy)")
    a.add_argument("--open", action="store_true", dest="open_browser",
                   help="open the landing page in a web browser")
    a.add_argument("--scope", default=None,
                   help="serve one scope only (region:<name>, manager:<rep_id>, "
                        "rep:<rep_id>): every page shows it and its scope control is fixed, "
                        "so this app cannot show another team (default: each page has a "
                        "scope control)")
    a.add_argument("--source", default=None,
                   help="data folder or .duckdb file the --scope is checked against "
                        "(default: the reports' default source)")
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from salesnb.report.progress import BarProgress, LineProgress, Progress
    from salesnb.report.runner import DEFAULT_TIMEOUT, plan_runs, run_reports

    if args.jobs < 1:
        raise SalesnbError("--jobs must be at least 1")
    from salesnb.paths import ENGINE_ENV, MEMORY_ENV

    if args.memory_limit is not None and not re.fullmatch(
            r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", args.memory_limit, re.I):
        raise SalesnbError(f"--memory-limit {args.memory_limit!r}: give a size such as 4GB or "
                           "500MB")
    if args.pdf:  # refused before any kernel starts
        from salesnb.report.pdf import check_pdf

        check_pdf()
    for name, value in ((ENGINE_ENV, args.engine), (MEMORY_ENV, args.memory_limit)):
        if value:  # the kernels inherit it
            os.environ[name] = value.strip()
    params = dict(args.param)
    if args.lang:
        params["lang"] = args.lang
    runs = plan_runs(args.notebooks, run_all=args.run_all, params=params,
                     param_file=args.param_file, source=args.source, show_pii=args.show_pii,
                     each=args.each)
    progress: Progress
    if args.quiet:
        progress = Progress()
    elif sys.stderr.isatty():  # a person watching: live bars
        progress = BarProgress(sys.stderr)
    else:  # a cron log or a pipe: a few plain lines
        progress = LineProgress(lambda line: print(line, file=sys.stderr, flush=True))
    result = run_reports(runs, out=args.out, jobs=args.jobs,
                         timeout=args.timeout or DEFAULT_TIMEOUT, progress=progress,
                         pdf=args.pdf)
    if result.status == "ok":
        print(f"reports: {result.run_dir / 'index.html'}")
    elif result.status == "interrupted":  # one line: the user asked for it
        name = signal.Signals(result.signum or signal.SIGINT).name
        print(f"salesnb run: interrupted by {name}; every kernel stopped, partial run kept in "
              f"{result.run_dir}; the previous good report is untouched", file=sys.stderr)
    else:
        print(f"salesnb run: {result.status}; the previous good report is untouched\n"
              f"{result.failure_message()}", file=sys.stderr)
    return result.exit_code


def _cmd_copy(args: argparse.Namespace) -> int:
    from salesnb.data import postgres

    if not postgres.is_url(args.dest):
        raise SalesnbError(f"{args.dest}: the destination must be a postgresql:// URL, e.g. "
                           "postgresql://sales@db.example/crm?schema=sales")
    written = postgres.copy(args.source, args.dest, args.mapping, as_of=args.as_of)
    for table, n in written.items():
        print(f"{table}: {n:,} row{'s' if n != 1 else ''}")
    print(f"copied into {postgres.redact(args.dest)}")
    return 0


def _cmd_list(_args: argparse.Namespace) -> int:
    from salesnb.report.catalog import NOTEBOOKS

    for spec in NOTEBOOKS.values():
        print(f"{spec.name}  {spec.title}: {spec.description}")
        for p in spec.params:
            print(f"    {p.name} = {p.default!r}  ({p.allowed()}) {p.help}")
    return 0


def _cmd_scopes(args: argparse.Namespace) -> int:
    from salesnb.data.loader import load
    from salesnb.data.mapping import load_mapping
    from salesnb.data.sources import open_source
    from salesnb.paths import resolve_source
    from salesnb.report.datacheck import data_values

    source = resolve_source(args.source)
    found = data_values(source, args.mapping, kinds=("scope",)).scopes or {}
    src = open_source(source, load_mapping(args.mapping))
    try:
        has_reps = "reps" in src.available()
    finally:
        src.close()
    names: dict[str, str] = {}
    if has_reps:
        reps = load(source, args.mapping, tables=["reps"]).reps
        if "name" in reps.columns:
            names = dict(zip(reps["rep_id"].astype(str), reps["name"].astype(str), strict=True))
    print("company")
    for kind in ("region", "manager", "rep"):
        for value in found.get(kind, []):
            name = f"  {names[value]}" if value in names else ""
            print(f"{kind}:{value}{name}")
    return 0


def _cmd_app(args: argparse.Namespace) -> int:
    from salesnb.app.server import DEFAULT_IP, DEFAULT_PORT, serve

    return serve(port=args.port or DEFAULT_PORT, ip=args.ip or DEFAULT_IP,
                 open_browser=args.open_browser, scope=args.scope, source=args.source)


def _cmd_sample(args: argparse.Namespace) -> int:
    from salesnb.data.sample import DEFAULT_SEED, write_sample

    fmt = args.format or ("parquet" if args.scale > 5 else "csv")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    counts = write_sample(args.out, seed=seed, scale=args.scale, fmt=fmt)
    for table, n in counts.items():
        print(f"{table:<14}{n:>12,} rows")
    print(f"wrote {fmt} files to {args.out} (seed {seed}, scale {args.scale:g})")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import pandas as pd

    from salesnb.core.export import SUFFIXES, write_table
    from salesnb.data.loader import validate

    if args.quarantine is not None and args.quarantine.suffix.lower() not in SUFFIXES:
        raise SalesnbError(f"--quarantine {args.quarantine}: write to a file ending in "
                           f"{' or '.join(SUFFIXES)}, e.g. rejected.csv")
    report = validate(args.source, args.mapping, as_of=args.as_of)
    counts = report.counts
    print(f"source: {report.source}")
    if not counts.empty:
        print(counts.drop(columns=["file"]).to_string(index=False))
    for reason in report.errors.values():
        print(f"UNUSABLE {reason}", file=sys.stderr)
    for table, notes in report.skipped.items():
        for note in notes:
            print(f"skipped check on {table}: {note}")
    for table, notes in report.notes.items():  # e.g. an unsure encoding, decimal commas
        for note in notes:
            print(f"note on {table}: {note}")
    q = report.quarantine
    if not q.empty:
        print("\nquarantined rows by rule (a row may break several rules):")
        print(report.by_rule().to_string(index=False))
        print("\nexamples:")
        for (_table, _rule), grp in q.groupby(["table", "rule"], sort=True):
            for rec in grp.head(args.examples).itertuples(index=False):
                value = "<empty>" if pd.isna(rec.value) else repr(rec.value)
                print(f"  {rec.file} row {rec.row}: {rec.column}={value}: {rec.message}")
    if args.quarantine is not None:  # values that would run as formulas are neutralised
        write_table(q, args.quarantine)
        print(f"\nquarantine written to {args.quarantine}")
    status = {0: "clean", 1: "rows quarantined", 2: "table(s) unusable"}[report.exit_code]
    left = report.left_out()
    if left:  # not faults: dated after the --as-of day given
        status += " (" + ", ".join(f"{n:,} {t} row{'s' if n != 1 else ''}"
                                   for t, n in left.items()) + " left out: after the as-of day)"
    print(f"\nresult: {status}")
    return report.exit_code


#: Set to 1 to let an unexpected error's traceback through (:func:`main`).
DEBUG_ENV = "SALESNB_DEBUG"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``salesnb`` command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        command = {"sample": _cmd_sample, "validate": _cmd_validate, "copy": _cmd_copy,
                   "run": _cmd_run,
                   "list": _cmd_list, "scopes": _cmd_scopes, "app": _cmd_app}[args.command]
        return command(args)
    except SalesnbError as exc:
        print(f"salesnb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line (no traceback, no password), and how to see it
        if os.environ.get(DEBUG_ENV) == "1":
            raise
        from salesnb.data.urls import redact

        text = re.sub(r"postgres(?:ql)?://\S+", lambda m: redact(m.group(0)),
                      (str(exc).strip().splitlines() or [""])[0])
        print(f"salesnb {args.command}: internal error: {type(exc).__name__}: {text}\n"
              f"This is a bug in salesnb; please report it with the command you ran "
              f"({DEBUG_ENV}=1 shows the traceback).", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
