"""One real dashboard attached to a recorder, headless, for benchmarks/team.py (not run on its own).

Run: ``python benchmarks/team_dashboard.py --recorder URL --out FILE``, the org named by
``SF_INSTANCE_URL``/``SF_ACCESS_TOKEN`` as for ``sfmonitor --recorder URL`` (the benchmark points them
at a counting proxy, so a Salesforce call this dashboard made would be counted).

The app is built as ``sfmonitor watch`` builds it (cli/watch.py: the same parser, orgs_of, settings,
recorders_of; no history, as an attached dashboard keeps none) and run headless at 120x40. A subclass
adds what is measured, product code untouched: for each feed event of a poll (not an org sent whole
on connecting, not a failure) the moment the screen has been refreshed after the event was applied
(``call_after_refresh``, posted while the product's own handler runs next: Textual calls each
class's ``on_recorder_event`` in the MRO, this one first), minus the recorder's poll moment carried in
the event (``last_good``: the recorder's clock, on the same machine). ``FILE.ready`` is made at the
first hello; the dashboard quits once ``FILE.stop`` exists, and writes FILE (JSON): each event's
number, jobs carried, latency to the handler and to the refreshed screen, and its own RSS.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator_process import rss_mb

from sfmonitor.cli.parser import CONNECTION_DEFAULTS, build_parser, with_default_command
from sfmonitor.cli.targets import orgs_of
from sfmonitor.cli.watch import recorders_of
from sfmonitor.config import settings as config
from sfmonitor.ui import app as ui_app
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.messages import RecorderEvent, RecorderHello


class TeamDashboard(SfMonitorApp):
    CSS_PATH = str(Path(ui_app.__file__).with_name(str(SfMonitorApp.CSS_PATH)))  # relative to the product's module

    def __init__(self, *args: Any, out: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.out = out
        self.events: list[dict[str, Any]] = []
        self.hellos = 0
        self.rss = 0.0

    def on_mount(self) -> None:  # the product's on_mount runs too (Textual calls each class's)
        self.set_interval(0.25, self._stop_asked, name="bench-stop")

    def _stop_asked(self) -> None:
        if self.out.with_suffix(".stop").exists():
            self.rss = rss_mb()
            self.exit()

    def on_recorder_hello(self, message: RecorderHello) -> None:
        self.hellos += 1
        self.out.with_suffix(".ready").touch()

    def on_recorder_event(self, message: RecorderEvent) -> None:
        event = message.event
        good = event.get("last_good")
        if event.get("full") or not good or event.get("error") is not None:
            return  # an org whole (what it missed: not a change), or a failure
        polled = datetime.fromisoformat(str(good)).timestamp()
        handled = time.time()
        self.call_after_refresh(self._rendered, event.get("seq"), len(event.get("jobs") or ()), polled, handled)

    def _rendered(self, seq: object, jobs: int, polled: float, handled: float) -> None:
        self.events.append({"seq": seq, "jobs": jobs, "to_handler_s": handled - polled,
                            "latency_s": time.time() - polled})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recorder", required=True)
    parser.add_argument("--out", type=Path, required=True)
    mine = parser.parse_args()
    args = build_parser().parse_args(with_default_command(["--recorder", mine.recorder]))
    for name, default in CONNECTION_DEFAULTS.items():  # as cli/main.py does
        if not hasattr(args, name):
            setattr(args, name, default)
    orgs = orgs_of(args)  # the org of the environment, as the recorder has it
    settings = config.load(interval=args.interval, theme=args.theme, read_only=args.read_only,
                           api_budget=args.api_budget, on_event=args.on_event, no_history=args.no_history)  # fmt: skip
    orgs, recorders = recorders_of(orgs, args)
    assert recorders and all(org.recorder for org in orgs), "every org read through the recorder"
    app = TeamDashboard(orgs, settings, history=None, recorders=recorders, out=mine.out)
    app.run(headless=True, size=(120, 40))
    shown = [(org.remembered_as, len(org.state.jobs)) for org in app.fleet]
    mine.out.write_text(json.dumps({"events": app.events, "hellos": app.hellos, "rss_mb": app.rss, "orgs": shown}))


if __name__ == "__main__":
    main()
