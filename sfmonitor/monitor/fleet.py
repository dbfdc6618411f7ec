"""Every org the dashboard watches, without Textual: their jobs merged into one table's rows, the
org in view ("all orgs" or one), and which org a row belongs to.

Each :class:`Org` keeps polling on its own; the fleet only merges what they read (and shares out
the reading of big orgs' history). A row's key is
the job id when one org is watched; with several it is ``<org key>/<job id>``, so two orgs that
happen to hold the same id (two simulators with one seed) still get a row each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator

from ..bulk.models import Job
from .alert_log import AlertLog
from .board import SortMode
from .index import JobIndex
from .org import Org
from .poller import BACKFILL

BACKFILL_FLOOR = 20  # each org's share of the backfill, however many orgs


def share_backfill(orgs: Collection[Org]) -> None:
    """The orgs watched together share one org's backfill: ten big histories read at once would keep
    the loop busy with HTTP for a minute (and every key would wait behind it), and spend the calls of ten."""
    for org in orgs:
        org.backfill = max(BACKFILL_FLOOR, BACKFILL // len(orgs))


class Fleet:
    def __init__(self, orgs: dict[str, Org], clock: Callable[[], float] = time.time) -> None:
        if not orgs:
            raise ValueError("a fleet needs an org")
        self.orgs = orgs  # by key, in the order they were named
        self.focus: str | None = None  # the one org in view, None: all
        self.jobs: dict[str, Job] = {}  # by row key
        self.index = JobIndex(org=self.label_of if self.several else None, clock=clock)
        self._rows: dict[str, dict[str, Job]] = {}  # each org's jobs (by id) as last merged
        self.left = False  # H: remembered jobs that left the org are shown too
        self._memory: dict[str, set[str]] = {}  # each org's rows of remembered jobs (several orgs)
        self.alerts = AlertLog()  # the session's alerts, every org's
        share_backfill(orgs.values())

    @property
    def several(self) -> bool:
        return len(self.orgs) > 1

    @property
    def first(self) -> Org:
        return next(iter(self.orgs.values()))

    def __iter__(self) -> Iterator[Org]:
        return iter(self.orgs.values())

    # --- rows -----------------------------------------------------------------------------------

    def row(self, org: str, job_id: str) -> str:
        return f"{org}/{job_id}" if self.several else job_id

    def locate(self, row: str) -> tuple[Org, str] | None:
        """The org and job id of a row key (None: no such org)."""
        if not self.several:
            return self.first, row
        key, _, job_id = row.rpartition("/")
        org = self.orgs.get(key)
        return (org, job_id) if org is not None else None

    def label_of(self, row: str) -> str:
        found = self.locate(row)
        return found[0].shown_name if found else ""

    def refresh(self, org: Org | None = None) -> None:
        """Take the orgs' jobs as they are now (after a poll, the first poll's rows so far, an answer): ``org``'s
        alone when only it changed, so one org's poll costs its own size, not the fleet's. The index
        moves only the rows whose job changed."""
        if not self.several:
            state = self.first.state
            rows = state.rows(self.left)
            self.index.remembered = set(rows.keys() - state.jobs.keys()) if rows is not state.jobs else set()
            self.jobs = dict(rows)  # a copy: the index tells changes by the old mapping
            self.index.update(self.jobs)
            return
        changed: list[str] = []
        gone: list[str] = []
        for key in [org.key] if org is not None else list(self.orgs):
            state = self.orgs[key].state
            now = dict(state.rows(self.left)) if self.focus in (None, key) else {}
            last = self._rows.get(key, {})
            self.index.remembered -= self._memory.pop(key, set())
            if len(now) > len(state.jobs):  # remembered rows beside the jobs read
                self._memory[key] = {f"{key}/{job_id}" for job_id in now if job_id not in state.jobs}
                self.index.remembered |= self._memory[key]
            moved = [f"{key}/{job_id}" for job_id, job in now.items() if last.get(job_id) is not job]
            left = [f"{key}/{job_id}" for job_id in last if job_id not in now]
            for row in left:
                del self.jobs[row]
            for row in moved:
                self.jobs[row] = now[row[len(key) + 1 :]]
            self._rows[key] = now
            changed += moved
            gone += left
        self.index.apply(self.jobs, changed, gone)

    # --- what the operator chose ----------------------------------------------------------------

    def sorts(self) -> list[SortMode]:
        """The orders on offer: by org only with several orgs."""
        return [mode for mode in SortMode if self.several or mode is not SortMode.ORG]

    def next_sort(self) -> SortMode:
        modes = self.sorts()
        current = modes.index(self.index.sort) if self.index.sort in modes else -1
        self.index.set_sort(modes[(current + 1) % len(modes)])
        return self.index.sort

    def show_org(self, key: str | None) -> None:
        """Show one org's rows (None: every org's)."""
        if key is not None and key not in self.orgs:
            raise KeyError(key)
        if key != self.focus:
            self.focus = key
            self.refresh()

    def show_left(self, on: bool) -> None:
        """Show (or hide) the remembered jobs that left their org (H)."""
        if on != self.left:
            self.left = on
            self.refresh()

    def remembered(self, row: str) -> bool:
        """Whether the row shows a remembered job (history), not one read from its org."""
        return row in self.index.remembered

    def cycle_focus(self) -> str | None:
        """All orgs, then each org in turn, then all again."""
        keys: list[str | None] = [None, *self.orgs]
        self.show_org(keys[(keys.index(self.focus) + 1) % len(keys)])
        return self.focus
