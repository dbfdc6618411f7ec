"""benchmarks/history.py, step 4: a day of recording at speed, this process's RSS each simulated hour.

The simulator runs in its own process (its memory is not ours), its clock shared with this one so
each poll is recorded at the simulated moment it read. The real Poller reads it as fast as it answers;
every snapshot (all the org's jobs, as the dashboard hands them) goes to a real Recording, whose own
clock is the simulated one (so it prunes each simulated hour, as it would each real one).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import multiprocessing
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from simulator_process import rss_mb

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.poller import Poller
from sfmonitor.store import recording as recording_module
from sfmonitor.store.recording import Recording
from sfmonitor.store.writer import Writer

HOUR = 3600.0


def sqlite_heap_mb() -> float:
    """What SQLite itself holds (page caches, statements), if this Python's sqlite3 is the system library."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        return float("nan")
    used = ctypes.CDLL(name).sqlite3_memory_used
    used.restype = ctypes.c_int64
    return float(used()) / 2**20


def serve(pipe: Connection, speed: float, start: float, spawn_every: float, retention_hours: float) -> None:
    from sfmonitor.simulator.server import Simulator
    from sfmonitor.simulator.world import Clock

    clock = Clock(speed, start=start)
    sim = Simulator(speed=speed, clock=clock, spawn_every=spawn_every, retention_hours=retention_hours).start()
    pipe.send((sim.base_url, sim.token, clock._mono))
    pipe.recv()  # until told to stop
    sim.stop()


class SeenWriter(Writer):
    """The real writer; the soak reads how many jobs its cache holds."""

    last: Writer | None = None

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        SeenWriter.last = self


async def soak(
    hours: float, speed: float, record: bool = True, spawn_every: float = 60.0, retention_hours: float = 2.0
) -> None:
    """``record``: False polls the same way with no recording (what the poller alone costs, to compare)."""
    recording_module.Writer = SeenWriter  # type: ignore[misc]
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    start = time.time()
    child = context.Process(target=serve, args=(theirs, speed, start, spawn_every, retention_hours), daemon=True)
    child.start()
    base_url, token, mono0 = ours.recv()

    def now() -> float:
        return float(start + (time.monotonic() - mono0) * speed)

    began = now()
    service = BulkService(Transport(StaticToken(base_url, token)))
    await service.connect()
    poller = Poller(service)
    rows: list[tuple[int, float, int, int, int]] = []
    with tempfile.TemporaryDirectory(prefix="sfmonitor-history-soak-") as folder:
        path = Path(folder) / "h.sqlite3"
        recording = Recording(path, clock=now) if record else None
        polls = 0
        try:
            hour = 1
            while hour <= hours:
                snapshot = await poller.cycle()
                if recording is not None:
                    recording.poll("sim", snapshot.jobs.values(), now())
                polls += 1
                await asyncio.sleep(0.1)
                if now() - began >= hour * HOUR:
                    cached = SeenWriter.last.remembered if SeenWriter.last else 0
                    row = (hour, rss_mb(), len(snapshot.jobs), cached, len(gc.get_objects()))
                    rows.append(row)
                    written = "" if recording is None else f"(written {recording.polls_written:5,}, "
                    written += "" if recording is None else f"dropped {recording.dropped})"
                    size = f"file {path.stat().st_size / 1e6:5.1f} MB" if recording else "no recording"
                    print(f"  hour {hour:2d}  RSS {row[1]:6.1f} MB  org jobs {row[2]:5,}  writer cache {cached:6,}  "
                          f"objects {row[4]:9,}  SQLite heap {sqlite_heap_mb():4.1f} MB  polls {polls:5,} {written}  "
                          f"{size}", flush=True)  # fmt: skip
                    hour += 1
            assert recording is None or (recording.flush(60) and recording.fault is None)
        finally:
            if recording is not None:
                recording.close()
            await service.transport.aclose()
            ours.send("stop")
            child.join(10)
    first, last = rows[: min(6, len(rows))], rows[-min(6, len(rows)) :]
    early, late = (sum(r[1] for r in part) / len(part) for part in (first, last))
    how = "recorded" if record else "NOT recorded"
    print(f"SOAK: {hours:g} simulated hours at {speed:g}x, {polls:,} polls {how}; RSS mean of the first 6 hours "
          f"{early:.1f} MB, of the last 6 {late:.1f} MB ({(late - early) / early * 100:+.1f} %); hour 6 "
          f"{rows[min(5, len(rows) - 1)][1]:.1f} MB -> hour {rows[-1][0]} {rows[-1][1]:.1f} MB")  # fmt: skip
