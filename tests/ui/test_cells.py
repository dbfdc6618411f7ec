"""What a row says about a job before its full read arrives, and how big counts are written."""

from __future__ import annotations

from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.numbers import short_count
from sfmonitor.ui.cells import progress


def test_a_job_known_only_from_the_listing_shows_no_made_up_progress() -> None:
    # A listing record carries no counts; the row must not claim "0/0" batches or "- rec".
    classic = Job.from_fields({"id": "750x", "jobType": "Classic", "state": "Closed", "object": "Lead"})
    ingest = Job.from_fields({"id": "750y", "state": "JobComplete", "object": "Lead"}, JobKind.INGEST)
    assert progress(classic) == "-" and progress(ingest) == "-"
    read = Job.from_fields({**ingest.fields, "numberRecordsProcessed": 1_384_000}, JobKind.INGEST)
    assert progress(read) == "1.4M rec"


def test_short_counts() -> None:
    assert [short_count(n) for n in (None, 999, 99_999, 100_000, 999_499, 1_000_000, 12_345_678)] == [
        "-", "999", "99,999", "100k", "999k", "1.0M", "12.3M"
    ]  # fmt: skip


def test_the_progress_bar_is_full_only_when_every_batch_is_done() -> None:
    from sfmonitor.ui.cells import bar

    assert bar(37, 40) == "████░" and bar(39, 40) == "████░"  # not "done" before it is
    assert bar(40, 40) == "█████" and bar(0, 40) == "░░░░░"
