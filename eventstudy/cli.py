"""The ``eventstudy`` command line.

    eventstudy --version
    eventstudy data check TICKER [--prices-dir DIR] [--start D] [--end D] [--json]
    eventstudy events [--events FILE] [--prices-dir DIR] [--json]
    eventstudy run STUDY.toml [--prices-dir DIR] [--out DIR]
    eventstudy simulate STUDY.toml [--reps N] [--seed S] [--events-per-rep K] [--prices-dir DIR]
                        [--out DIR]

Errors of the package (:class:`eventstudy.exceptions.EventStudyError`), wrong
command-line arguments, and files the system cannot read or decode are printed
as one ``error:`` line naming the value, file or line and the fix (an events
file with several problems gets one line per problem after the first) and exit
with status 2; no traceback. Every argument is checked before anything is
read or written. The package's warnings are logged once (``WARNING ...``
lines on standard error), not repeated as Python warnings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
import warnings
from pathlib import Path

from .exceptions import ArgumentError, EventFileError, EventStudyError, EventStudyWarning
from .outputs import check_out_dir

__all__ = ["build_parser", "check_date", "check_out_dir", "main"]

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one ``error:`` line (status 2), without the usage block."""

    def error(self, message):
        self.exit(2, f"error: {message}; see '{self.prog} --help'\n")


def _path(text: str) -> Path:
    """argparse type of a path option: an empty string would silently mean '.'."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the path is empty; give a file or folder path")
    return Path(text)


def check_date(value, option: str) -> str | None:
    """Return ``value`` (None: not given) if it is a real date ``YYYY-MM-DD``, else raise
    :class:`~eventstudy.exceptions.ArgumentError` naming ``option``."""
    if value is None:
        return None
    try:
        ok = _DATE_RE.fullmatch(value) is not None and bool(dt.date.fromisoformat(value))
    except ValueError:
        ok = False
    if not ok:
        raise ArgumentError(
            f"{option} {value!r} is not a date YYYY-MM-DD; give a real calendar date, "
            "e.g. 2025-11-24"
        )
    return value


def _add_prices_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prices-dir", type=_path, default=None,
                        help="folder of <TICKER>.csv price snapshots (default: "
                             "$EVENTSTUDY_PRICES_DIR, else Yahoo Finance through the cache)")


class _Version(argparse.Action):
    """``--version``: the installed version, read only when asked for."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from . import __version__

        print(f"eventstudy {__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="eventstudy",
                     description="Event studies of trade and diplomatic news on commodity futures.")
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log exclusions and steps")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = sub.add_parser("data", help="price data tools")
    data_sub = data.add_subparsers(dest="data_command", metavar="{check}", required=True,
                                   parser_class=_Parser)
    check = data_sub.add_parser("check", help="data-quality report for one ticker")
    check.add_argument("ticker")
    _add_prices_dir(check)
    check.add_argument("--start", default=None, help="first date, YYYY-MM-DD")
    check.add_argument("--end", default=None, help="last date, YYYY-MM-DD")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=_cmd_data_check)

    events = sub.add_parser("events", help="list the event catalogue with each event's trade date")
    events.add_argument("--events", type=_path, default=None,
                        help="events CSV (default: the project's data/events.csv)")
    _add_prices_dir(events)
    events.add_argument("--asset", required=True,
                        help="ticker whose exchange calendar aligns the events and whose last "
                             "price date bounds the study")
    events.add_argument("--json", action="store_true", help="print a JSON list of objects")
    events.set_defaults(func=_cmd_events)

    run = sub.add_parser("run", help="run a study file and write tidy results")
    run.add_argument("study", type=_path, help="study TOML file")
    _add_prices_dir(run)
    run.add_argument("--out", type=_path, default=None,
                     help="output folder (default: out/<study name>)")
    run.add_argument("--no-size-check", action="store_true",
                     help="skip the simulation that picks the single-event tests whose "
                          "p-values are graded (then none is)")
    run.set_defaults(func=_cmd_run)

    sim = sub.add_parser("simulate", help="size and power of every test on the study's asset")
    sim.add_argument("study", type=_path, help="study TOML file")
    sim.add_argument("--reps", type=int, default=3000, help="replications (default 3000)")
    sim.add_argument("--seed", type=int, default=None, help="seed (default: the study's)")
    sim.add_argument("--events-per-rep", type=int, default=20,
                     help="pseudo-events per replication (default 20)")
    _add_prices_dir(sim)
    sim.add_argument("--out", type=_path, default=None,
                     help="output folder (default: out/<study name>-simulation)")
    sim.set_defaults(func=_cmd_simulate)
    return parser


def _cmd_data_check(args) -> int:
    from .quality import check_data

    report = check_data(args.ticker, prices_dir=args.prices_dir, start=args.start, end=args.end)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.to_text())
    return 0


def _cmd_events(args) -> int:
    from .events import events_report

    report = events_report(args.events, prices_dir=args.prices_dir, asset=args.asset,
                           as_json=args.json)
    print(json.dumps(report, indent=2) if args.json else report)
    return 0


def _cmd_run(args) -> int:
    from .outputs import run_study

    out = run_study(args.study, prices_dir=args.prices_dir, out=args.out,
                    size_check=not args.no_size_check)
    print(f"wrote {out}")
    return 0


def _cmd_simulate(args) -> int:
    from .outputs import run_simulation, size_table

    out, sim = run_simulation(args.study, prices_dir=args.prices_dir, out=args.out,
                              reps=args.reps, seed=args.seed, events_per_rep=args.events_per_rep)
    print(size_table(sim))
    print(f"wrote {out / 'size_power.csv'}")
    return 0


def _check_args(args) -> None:
    """Every date and path of the command line, before anything is read or written."""
    for option in ("start", "end"):
        if hasattr(args, option):
            check_date(getattr(args, option), f"--{option}")
    if getattr(args, "start", None) and getattr(args, "end", None) and args.start > args.end:
        raise ArgumentError(f"--start {args.start} is after --end {args.end}; swap them")
    for name in ("ticker", "asset"):
        if getattr(args, name, None) is not None:
            from .prices import validate_ticker

            validate_ticker(args.__dict__[name])
    prices_dir = getattr(args, "prices_dir", None)
    if prices_dir is not None and not prices_dir.is_dir():
        raise ArgumentError(f"--prices-dir {str(prices_dir)!r} is not a folder; give the folder "
                            "of <TICKER>.csv price files")
    for name in ("events", "study"):
        path = getattr(args, name, None)
        if path is not None and path.is_dir():
            raise ArgumentError(f"{str(path)!r} is a folder; give the path of a file")
    if getattr(args, "out", None) is not None:
        check_out_dir(args.out)


def _decode_message(exc: UnicodeDecodeError, args) -> str:
    """Name the file and the real line of a byte that is not UTF-8."""
    from .prices import first_non_utf8

    for path in (getattr(args, n, None) for n in ("study", "events")):
        if path is None:
            continue
        try:
            bad = first_non_utf8(Path(path).read_bytes())
        except OSError:
            continue
        if bad is not None:
            line, column, byte = bad
            return (f"{path}: line {line}: byte {byte} at position {column} is not UTF-8; "
                    "save the file as UTF-8")
    return f"a file is not UTF-8 ({exc}); save it as UTF-8"


def _print_error(exc: EventStudyError) -> None:
    if isinstance(exc, EventFileError) and len(exc.problems) == 1:
        # One problem: one line that names the file and the line.
        print(f"error: {exc.path}: {exc.problems[0]}", file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the command line; return the exit status (0 done, 2 error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        with warnings.catch_warnings():
            # Each warning of the package is also logged; printing it a second
            # time, with a line of source code, would only add noise.
            warnings.simplefilter("ignore", EventStudyWarning)
            _check_args(args)
            return args.func(args)
    except EventStudyError as exc:
        _print_error(exc)
        return 2
    except UnicodeDecodeError as exc:
        print(f"error: {_decode_message(exc, args)}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Last resort for a file the system refuses; the package's own errors
        # are EventStudyError above. Other exceptions are bugs: let them show.
        name = exc.filename if exc.filename is not None else "a file"
        print(f"error: {name}: {exc.strerror or exc}; check that the path exists and that you "
              "may read (or write) it", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
