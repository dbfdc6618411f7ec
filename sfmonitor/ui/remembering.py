"""The history file in the dashboard (store/): every org's polls recorded off the event loop, and the
instant start: each org's last remembered jobs, read in a thread at start and shown, marked and faded,
until the org answers (the rules: monitor/memory.py). Mixed into the app (ui/app.py).

A history file that cannot be used (damaged, locked, read-only, a full disk, a newer sfmonitor's) is
said once: a toast, a header mark (``history off``), the help (``?``) and the log; the dashboard goes
on polling without history."""

from __future__ import annotations

import logging
from collections.abc import Callable, KeysView
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.message import Message

from ..bulk.models import Job
from ..monitor import memory as memory_rule
from ..monitor import phase as phase_rule
from ..monitor.fleet import Fleet
from ..monitor.org import Org
from ..monitor.poller import Snapshot
from ..monitor.recorder import to_record
from ..store.memory import HistoryReader
from ..store.memory import Memory as StoreMemory
from ..store.recording import Recording, Retention
from ..store.rows import Remembered, ended_at
from ..store.schema import BUSY_MS, StoreError
from .messages import HistoryFault, OrgMessage, Recalled, ShowLeft
from .screens.history import HistoryScreen
from .screens.past_job import PastJobScreen
from .toast import say

log = logging.getLogger(__name__)

OPEN_WAIT_S = 15.0  # the writer's first open (a migration, another process's write) before the memory is read
CLOSE_WAIT_S = 3.0  # at quit: what was handed over is written within this, or left


@dataclass(frozen=True)
class HistoryOptions:
    """Where the history file is, and how long it keeps jobs (None for the app: no history at all)."""

    path: Path
    retention: Retention = field(default_factory=Retention)
    busy_ms: int = BUSY_MS  # another program's lock: waited on this long before history is off


class Remembering(App[None]):
    if TYPE_CHECKING:  # the app's
        fleet: Fleet
        clock: Callable[[], datetime]
        history_memory: StoreMemory | None

        def history_of(self, org: Org) -> HistoryReader | None: ...

        def selected(self) -> tuple[Org, Job] | None: ...

        def render_view(self) -> None: ...
        def _post_for(self, org: Org) -> Callable[[Message], object]: ...
        def _of(self, message: OrgMessage) -> Org | None: ...

    history_options: HistoryOptions | None = None
    recording: Recording | None = None
    history_fault: str | None = None  # why the history file is not used (said once)

    def start_history(self) -> None:
        """Start recording, and read each org's memory in a thread (after the writer has opened the file:
        a new file is created and brought to this schema first)."""
        self._recorded: dict[str, KeysView[str]] = {}  # per org: the jobs of the poll last handed over
        options = self.history_options
        if options is None:
            return
        self.recording = Recording(options.path, options.retention, busy_ms=options.busy_ms,
                                   on_fault=lambda why: self.post_message(HistoryFault(why)))  # fmt: skip
        self.run_worker(self._recall, thread=True, group="history", exit_on_error=False)

    def _recall(self) -> None:
        """On a thread: each org's newest remembered jobs and when it was last polled."""
        recording, memory = self.recording, self.history_memory
        if recording is None or memory is None or not recording.flush(OPEN_WAIT_S) or recording.fault:
            return  # the writer says its own fault
        try:
            for org in [org for org in self.fleet if org.recorder is None]:  # an attached one comes whole at once
                remembered, polled = memory.last_jobs(org.remembered_as, memory_rule.RECALLED)
                if remembered:
                    jobs, seen = {r.job.id: r.job for r in remembered}, {r.job.id: r.seen_last for r in remembered}
                    self._post_for(org)(Recalled(jobs, polled, seen))
        except StoreError as exc:
            log.warning("history not read: %s", exc)
            self.post_message(HistoryFault(str(exc)))

    def on_recalled(self, message: Recalled) -> None:
        org = self._of(message)
        if org is not None and org.state.memory.recall(message.jobs, message.polled_at, message.seen):
            self.fleet.refresh(org)
            self.render_view()

    def on_history_fault(self, message: HistoryFault) -> None:
        if self.history_fault is not None:
            return  # said once
        self.history_fault = message.why
        say(self, f"{message.why}; the dashboard goes on without history (? shows this again)",
            title="History off", severity="warning", timeout=20)  # fmt: skip
        self.render_view()

    def history_poll(self, org: Org, snapshot: Snapshot) -> None:
        """Hand a poll's jobs to the writer: those it read and those new since the last poll handed
        over (any other job is the poller's last read, unchanged: ~0.6 ms at 20,000 jobs, where a check
        of each job would take several), and the moment (the age of the memory next time)."""
        if self.recording is None or self.history_fault is not None:
            return
        jobs = to_record(snapshot, self._recorded.get(org.key))
        self._recorded[org.key] = snapshot.jobs.keys()
        self.recording.poll(org.remembered_as, jobs, self.clock().timestamp())

    def history_failures(self, org: Org, job_id: str) -> None:
        """A failures report read through: its groups (code, message, rows) to the writer."""
        job = org.state.jobs.get(job_id)
        if self.recording is None or self.history_fault is not None or job is None:
            return
        report = org.failure_report(job)
        groups = [(group.code, group.message, group.count) for group in report.ordered()]
        self.recording.failures(org.remembered_as, job, groups, self.clock().timestamp())

    def action_job_history(self) -> None:
        """The selected job's past runs (h): the history screen, read from the file."""
        chosen = self.selected()
        if chosen is None:
            say(self, "No job selected", severity="warning", timeout=3)
            return
        org, job = chosen
        history = self.history_of(org)
        if history is None or (history is self.history_memory and self.history_fault is not None):
            say(self, self.history_note(), severity="warning", timeout=6)
            return
        self.push_screen(HistoryScreen(org.key, org.remembered_as, org.shown_name, job, history))

    def open_remembered(self, org: Org, job_id: str) -> bool:
        """Enter on a remembered row (a job the org has not brought, one that left it too): the
        read-only past-job screen, from the memory's values as the history file has them; never the
        job detail (its clock, throughput and usual are the org's). False: the org has the job."""
        memory = org.state.memory
        job = memory.only(job_id, org.state.jobs)
        history = self.history_of(org)
        if job is None or history is None:
            return False
        seen = memory.seen.get(job_id, memory.polled_at)
        seen = self.clock().timestamp() if seen is None else seen
        ending = phase_rule.outcome(job)
        run = Remembered(org=org.remembered_as, job=job, phase=phase_rule.phase(job, seen).value,
                         outcome=ending.value if ending else None, ended=ended_at(job, seen),
                         seen_first=seen, seen_last=seen)  # fmt: skip
        self.push_screen(PastJobScreen(run, history))
        return True

    def stop_history(self) -> None:
        """At quit: what was handed over is written (bounded), and the read connection let go, so the
        writer's close leaves one whole file (its log checkpointed into it)."""
        if self.history_memory is not None:
            self.history_memory.close()
        if self.recording is not None:
            self.recording.close(CLOSE_WAIT_S)

    def history_note(self) -> str:
        """The help's words on the history file."""
        recorders = sorted({org.recorder for org in self.fleet if org.recorder is not None})
        if self.history_options is None and recorders:
            return f"History: the recorder's ({', '.join(recorders)}): past runs (h) are read from it"
        if self.history_options is None:
            return "History: off (nothing recorded, nothing remembered)"
        if self.history_fault is not None:
            return f"History: off: {self.history_fault}"
        return f"History: recording to {self.history_options.path} (H: remembered jobs that left the org)"

    def on_show_left(self, message: ShowLeft) -> None:
        if self.history_options is None:
            say(self, "no job is remembered here (history off, or kept by the recorder)", severity="warning",
                timeout=4)  # fmt: skip
            return
        self.fleet.show_left(not self.fleet.left)
        left = len(self.fleet.index.remembered) if self.fleet.left else 0
        listed = all(org.state.listed for org in self.fleet)
        if self.fleet.left and not left and listed:
            say(self, none_left(self.fleet), timeout=4)
        else:
            say(self, "showing remembered jobs that left the org (faded, read-only; H hides them)"
                if self.fleet.left else "remembered jobs that left the org hidden", timeout=4)  # fmt: skip
        self.render_view()


def none_left(fleet: Fleet) -> str:
    """H found no remembered job that left the org: said of what was loaded (each org's newest
    :data:`~sfmonitor.monitor.memory.RECALLED` when it has more), never of the whole file."""
    recalled = memory_rule.RECALLED
    if not any(len(org.state.memory.jobs) >= recalled for org in fleet):
        return "no remembered job has left the org"
    each = " (each org's)" if fleet.several else ""
    return f"none of the {recalled:,} newest remembered jobs{each} has left the org"
