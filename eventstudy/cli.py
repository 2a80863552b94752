"""The ``eventstudy`` command line.

    eventstudy data check TICKER [--prices-dir DIR] [--start D] [--end D] [--json]
    eventstudy events [--events FILE] [--prices-dir DIR] [--json]
    eventstudy run STUDY.toml [--prices-dir DIR] [--out DIR]

Errors of the package (:class:`eventstudy.exceptions.EventStudyError`) are
printed as one ``error:`` line (or the list of problems of an events file) and
exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .exceptions import EventStudyError


def _add_prices_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prices-dir",
        type=Path,
        default=None,
        help="folder of <TICKER>.csv price snapshots (default: $EVENTSTUDY_PRICES_DIR, "
        "else Yahoo Finance through the cache)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eventstudy",
        description="Event studies of trade and diplomatic news on commodity futures.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log exclusions and steps")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="price data tools")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    check = data_sub.add_parser("check", help="data-quality report for one ticker")
    check.add_argument("ticker")
    _add_prices_dir(check)
    check.add_argument("--start", default=None, help="first date, YYYY-MM-DD")
    check.add_argument("--end", default=None, help="last date, YYYY-MM-DD")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=_cmd_data_check)

    events = sub.add_parser(
        "events", help="list the event catalogue with each event's trade date"
    )
    events.add_argument(
        "--events", type=Path, default=None,
        help="events CSV (default: the project's data/events.csv)",
    )
    _add_prices_dir(events)
    events.add_argument(
        "--asset", default="ZS=F",
        help="ticker whose last price date bounds the study (default ZS=F)",
    )
    events.add_argument("--json", action="store_true", help="print a JSON list of objects")
    events.set_defaults(func=_cmd_events)

    run = sub.add_parser("run", help="run a study file and write tidy results")
    run.add_argument("study", type=Path, help="study TOML file")
    _add_prices_dir(run)
    run.add_argument(
        "--out", type=Path, default=None, help="output folder (default: out/<study name>)"
    )
    run.set_defaults(func=_cmd_run)
    return parser


def _cmd_data_check(args) -> int:
    from .quality import check_data

    report = check_data(args.ticker, prices_dir=args.prices_dir, start=args.start, end=args.end)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.to_text())
    return 0


def _cmd_events(args) -> int:
    from .events import events_report

    text_or_records = events_report(
        args.events, prices_dir=args.prices_dir, asset=args.asset, as_json=args.json
    )
    if args.json:
        print(json.dumps(text_or_records, indent=2))
    else:
        print(text_or_records)
    return 0


def _cmd_run(args) -> int:
    from .outputs import run_study

    out = run_study(args.study, prices_dir=args.prices_dir, out=args.out)
    print(f"wrote {out}")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except EventStudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
