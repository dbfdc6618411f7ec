"""One org's dashboard state without Textual: its jobs, what could not be read, and the close/abort
requests on their way, with the transitions the app applies as events arrive.

The rule that lives here: a close or abort is *pending* from the moment it is sent until a poll
that started after its answer came back has read the job. A poll already in flight when the write
went out carries the state from before it; applied, it would put the old state back on screen (and
make the key legal again), so its read of that job is set aside. So is a read older than the
answer by the org's own clock (its ``systemModstamp`` before the answer's): a recorder's poll, which
a dashboard attached to it did not start, tells its age this way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..bulk.models import Action, Job
from .index import JobIndex
from .memory import Memory
from .poller import Snapshot


@dataclass
class OrgState:
    jobs: dict[str, Job] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # job id -> why its last read failed
    pending: dict[str, Action] = field(default_factory=dict)  # close/abort sent, not yet read back
    cycles_started: int = 0
    polls_done: int = 0
    index: JobIndex = field(default_factory=JobIndex)  # order, filter and running, kept from what changed
    memory: Memory = field(default_factory=Memory)  # what the history file remembers (never counted as current)
    _fences: dict[str, int] = field(default_factory=dict)  # job id -> last cycle that started before its answer
    _answers: dict[str, Job] = field(default_factory=dict)  # job id -> the org's answer to the close/abort

    def poll_started(self) -> int:
        """Number the cycle about to start; its snapshot comes back with this number."""
        self.cycles_started += 1
        return self.cycles_started

    @property
    def listed(self) -> bool:
        """The org has been listed in full once (its first poll is done): what it lacks has left it."""
        return self.polls_done > 0

    def rows(self, left: bool = False) -> dict[str, Job]:
        """The table's rows: the jobs read, and beside them the remembered ones shown
        (:meth:`Memory.shown`; ``left``: those that left the org too). A new mapping when any are."""
        remembered = self.memory.shown(self.jobs, listed=self.listed, left=left)
        return {**self.jobs, **remembered} if remembered else self.jobs

    def job(self, job_id: str) -> Job | None:
        """The job as read, else as remembered."""
        return self.jobs.get(job_id) or self.memory.only(job_id, self.jobs)

    def first_rows(self, jobs: dict[str, Job]) -> bool:
        """The first poll's rows so far (listed, some read), shown until the first poll ends; False
        once a poll has: its jobs are the truth."""
        if self.polls_done:
            return False
        self.jobs = dict(jobs)
        self.index.update(self.jobs)
        return True

    def polled(self, snapshot: Snapshot, cycle: int) -> None:
        """A cycle's snapshot arrived: take it, except for jobs written to after that cycle began."""
        jobs = dict(snapshot.jobs)
        errors = dict(snapshot.errors)
        for job_id, fence in list(self._fences.items()):
            if cycle <= fence or _older(jobs.get(job_id), self._answers.get(job_id)):  # ours is newer
                if job_id in self.jobs:
                    jobs[job_id] = self.jobs[job_id]
                errors.pop(job_id, None)
                continue
            del self._fences[job_id]  # read after the answer: this is the truth, and the action is over
            self._answers.pop(job_id, None)
            self.pending.pop(job_id, None)
        self.jobs, self.errors = jobs, errors
        self.index.update(jobs)
        self.polls_done += 1

    def action_sent(self, job_id: str, action: Action) -> bool:
        """Record a close/abort about to be sent; False if one is already on its way (send nothing)."""
        if job_id in self.pending:
            return False
        self.pending[job_id] = action
        return True

    def action_answered(self, job_id: str, answer: Job | None = None, *, later: int = 0) -> None:
        """The org answered (or the answer was lost). The job stays pending until a later poll reads it:
        one that started after the answer, ``later`` cycles more (a recorder's: see Org.action_answered)."""
        if answer is not None and job_id in self.jobs:
            self.jobs = {**self.jobs, job_id: answer}  # a new mapping: the index tells changes by the old one
            self.index.update(self.jobs)
        if answer is not None:
            self._answers[job_id] = answer
        self._fences[job_id] = self.cycles_started + later

    def action_refused(self, job_id: str) -> None:
        """Refused before or by the org, nothing changed: not pending any more."""
        self.pending.pop(job_id, None)

    @property
    def awaiting_read(self) -> bool:
        """Some action waits for a read made after its answer: poll again soon."""
        return bool(self._fences)


def _older(read: Job | None, answer: Job | None) -> bool:
    """Whether ``read`` was made before the org's ``answer`` to a close/abort, by the org's clock."""
    if read is None or answer is None or read.system_modstamp is None or answer.system_modstamp is None:
        return False
    return read.system_modstamp < answer.system_modstamp
