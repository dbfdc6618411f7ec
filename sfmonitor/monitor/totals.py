"""An org's totals for the header: records processed and failed by the jobs created in the last hour
and since local midnight, their failure rate, and the jobs running now (their :mod:`phase`), by API.

The work follows the jobs of the last day and the running ones (the index keeps both apart), not a
week of history."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from ..numbers import local, short_count
from .index import JobIndex
from .phase import Phase, phase

WORD = {"2.0 ingest": "ingest", "2.0 query": "query"}  # Bulk 1.0 says itself


def _window(processed: int, failed: int) -> str:
    rate = f" ({failed / processed:.1%})" if failed and processed else ""
    return f"{short_count(processed)} records, {short_count(failed)} failed{rate}"


def totals(index: JobIndex, now: datetime) -> tuple[str, str, str]:
    """``last hour 12,000 records, 30 failed (0.3%)``, ``today …``, ``running 3 ingest, 1 Bulk 1.0``."""
    hour_ago = now - timedelta(hours=1)
    midnight = local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    hour, day = [0, 0], [0, 0]
    for job in index.recent.values():
        created = job.created_date
        if created is None or created < min(midnight, hour_ago):
            continue
        done, failed = job.number_records_processed or 0, job.number_records_failed or 0
        if created >= midnight:
            day[0], day[1] = day[0] + done, day[1] + failed
        if created >= hour_ago:
            hour[0], hour[1] = hour[0] + done, hour[1] + failed
    at = now.timestamp()
    running = Counter(index.jobs[row].kind.label for row in index.running
                      if row in index.jobs and phase(index.jobs[row], at) is Phase.RUNNING)  # fmt: skip
    busy = ", ".join(f"{n} {WORD.get(label, label)}" for label, n in sorted(running.items())) or "none"
    return f"last hour {_window(*hour)}", f"today {_window(*day)}", f"running {busy}"
