"""Build the HTML report (``make report``)."""

from __future__ import annotations

import argparse
import datetime as dt
import html
from pathlib import Path

from . import __version__


def build_report(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    built = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = out / "index.html"
    page.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>futures-eventstudy report</title>"
        "</head><body><h1>futures-eventstudy report</h1>"
        f"<p>Package version {html.escape(__version__)}, built {built}.</p></body></html>\n",
        encoding="utf-8",
    )
    return page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eventstudy.report")
    parser.add_argument("--out", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    print(f"wrote {build_report(args.out)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
