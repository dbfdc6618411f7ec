"""``/metrics``: a prometheus_client Collector over the recorder's published figures.

Each scrape takes the latest figures once (monitor/figures.py: an immutable mapping, swapped whole
after each poll) and writes them out: no lock, no Salesforce call. Names follow Prometheus' rules
(base units, ``_total`` counters); every label value taken from the org (job id, object,
operation) is made inert (sfmonitor/text.py) and cut short before prometheus_client escapes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import cast

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

from .. import __version__
from ..monitor.figures import POLL_BUCKETS_S, OrgFigures, Published
from ..text import clip, inert

LABEL_MAX = 200  # characters of a label value from the org (an object's API name is at most ~80)
JOB_LABELS = ("org", "job_id", "api", "object", "operation")
JOB_FAMILIES = (  # a running (or in the last hour ended) job's own series
    ("sfmonitor_job_records_processed", "records the job has processed, as last read (running or ended within 1h)"),
    ("sfmonitor_job_records_failed", "records the job has failed, as last read (running or ended within 1h)"),
)


def label(text: str) -> str:
    """Server text as a label value: control characters as visible escapes, one short line, and text
    that is no Unicode (a lone surrogate from JSON) escaped, so one job cannot break every scrape."""
    return clip(inert(text), LABEL_MAX).encode("utf-8", "backslashreplace").decode("utf-8")


def up(figures: OrgFigures, now: datetime) -> bool:
    """The last poll was good and is not stale (the dashboard's rule: Connection.status)."""
    return figures.connection.last_good is not None and figures.connection.status(now, figures.poll_gap)[0] == "ok"


class RecorderCollector(Collector):
    """The recorder's metrics; ``clock``: now, for whether an org is up (its data stale or not).
    ``orgs``: these figures (one scrape's view), not the latest; ``per_job``: False leaves out the
    jobs' own series (the server writes those itself: :class:`Exposition`)."""

    def __init__(
        self,
        published: Published,
        clock: Callable[[], float] = time.time,
        *,
        orgs: Mapping[str, OrgFigures] | None = None,
        per_job: bool = True,
    ) -> None:
        self.published = published
        self.clock = clock
        self.orgs = orgs
        self.per_job = per_job

    def describe(self) -> list[Metric]:
        return []  # the families depend on what was read: registered without a trial collect()

    def collect(self) -> Iterator[Metric]:
        orgs = self.orgs if self.orgs is not None else self.published.latest()  # once: one view for the scrape
        now = datetime.fromtimestamp(self.clock(), UTC)
        info = InfoMetricFamily("sfmonitor", "sfmonitor's version")
        info.add_metric([], {"version": __version__})
        yield info
        processed, failed = (GaugeMetricFamily(name, words, labels=JOB_LABELS) for name, words in JOB_FAMILIES)
        jobs = GaugeMetricFamily("sfmonitor_jobs", "jobs in the org by phase, as last read",
                                 labels=("org", "api", "phase"))  # fmt: skip
        ended = CounterMetricFamily("sfmonitor_jobs_ended", "jobs this recorder saw end, by outcome",
                                    labels=("org", "api", "outcome"))  # fmt: skip
        processed_total = CounterMetricFamily("sfmonitor_records_processed", "records this recorder saw processed",
                                              labels=("org", "api"))  # fmt: skip
        failed_total = CounterMetricFamily("sfmonitor_records_failed", "records this recorder saw fail",
                                           labels=("org", "api"))  # fmt: skip
        org_up = GaugeMetricFamily("sfmonitor_org_up", "1: the org's last poll was good and is not stale",
                                   labels=("org",))  # fmt: skip
        used = GaugeMetricFamily("sfmonitor_org_api_requests_used", "the org's API requests used in the last 24 "
                                 "hours (Sforce-Limit-Info), as last said", labels=("org",))  # fmt: skip
        most = GaugeMetricFamily("sfmonitor_org_api_requests_max", "the org's daily API request allowance "
                                 "(Sforce-Limit-Info)", labels=("org",))  # fmt: skip
        calls = CounterMetricFamily("sfmonitor_api_calls", "sfmonitor's own requests to the org, by kind",
                                    labels=("org", "kind"))  # fmt: skip
        polls = HistogramMetricFamily("sfmonitor_poll_duration_seconds", "how long a poll of the org took",
                                      labels=("org",))  # fmt: skip
        for name, figures in sorted(orgs.items()):
            org = label(name)
            current = up(figures, now)  # a stale org's jobs, phases and usage are not served as current
            for job in figures.jobs if self.per_job and current else ():
                labels = [org, label(job.id), job.api, label(job.object), label(job.operation)]
                if job.processed is not None:
                    processed.add_metric(labels, job.processed)
                if job.failed is not None:
                    failed.add_metric(labels, job.failed)
            for api, step, n in figures.phases if current else ():
                jobs.add_metric([org, api, step], n)
            for api, end, n in figures.ended:
                ended.add_metric([org, api, end], n)
            for api, n in figures.processed:
                processed_total.add_metric([org, api], n)
            for api, n in figures.failed:
                failed_total.add_metric([org, api], n)
            org_up.add_metric([org], 1 if current else 0)
            if figures.usage is not None and current:  # absent while not said, or stale: never passed off as read
                used.add_metric([org], figures.usage.used)
                most.add_metric([org], figures.usage.max)
            for kind, n in figures.calls:
                calls.add_metric([org, kind], n)
            edges = [*(f"{edge:g}" for edge in POLL_BUCKETS_S), "+Inf"]
            polls.add_metric([org], list(zip(edges, figures.polls.buckets, strict=True)), figures.polls.total_s)
        per_job = (processed, failed) if self.per_job else ()
        yield from (*per_job, jobs, ended, processed_total, failed_total, org_up, used, most, calls, polls)


def registry_of(published: Published, clock: Callable[[], float] = time.time) -> CollectorRegistry:
    """A registry of the recorder's metrics only (not the process-wide default one)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RecorderCollector(published, clock))
    return registry


OPENMETRICS = "application/openmetrics-text"
EOF_LINE = b"# EOF\n"


def _escaped(value: str) -> str:
    """A label value in the exposition (both formats): backslash, double quote and newline escaped."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Exposition:
    """One scrape's answer for an Accept header: (body, content type). The latest figures are taken
    once; every family but the jobs' own is written by prometheus_client (its ``choose_encoder``:
    the text format, or OpenMetrics when asked); the jobs' own series, up to two per running job, are
    written here, in the same lines prometheus_client writes (tests/serve: parsed alike by both
    parsers), each job's label set made once while the job runs: at 20,000 running jobs, the
    library's per-sample label checks took ~70 % of a scrape."""

    def __init__(self, published: Published, clock: Callable[[], float] = time.time) -> None:
        self.published = published
        self.clock = clock
        self._labels: dict[tuple[str, str, str, str, str], str] = {}  # a job's label set, as written

    def render(self, accept: str) -> tuple[bytes, str]:
        orgs = self.published.latest()
        encoder, content_type = choose_encoder(accept)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(RecorderCollector(self.published, self.clock, orgs=orgs, per_job=False))
        rest = encoder(registry)
        jobs = self._jobs(orgs)
        if content_type.startswith(OPENMETRICS) and rest.endswith(EOF_LINE):
            return rest[: -len(EOF_LINE)] + jobs + EOF_LINE, content_type
        return rest + jobs, content_type

    def _jobs(self, orgs: Mapping[str, OrgFigures]) -> bytes:
        before: dict[tuple[str, str, str, str, str], str] = self._labels
        now: dict[tuple[str, str, str, str, str], str] = {}
        processed: list[str] = []
        failed: list[str] = []
        now_s = self.clock()
        for name, figures in sorted(orgs.items()):
            if not up(figures, datetime.fromtimestamp(now_s, UTC)):
                continue  # the org is down or its data stale: its jobs' series are not served as current
            for job in figures.jobs:
                key = (name, job.id, job.api, job.object, job.operation)
                labels = before.get(key) or now.get(key)
                if labels is None:
                    values = (job.api, label(job.id), label(job.object), label(job.operation), label(name))
                    labels = "{" + ",".join(f'{k}="{_escaped(v)}"' for k, v in zip(_SORTED, values, strict=True)) + "}"
                now[key] = labels
                if job.processed is not None:
                    processed.append(f"{labels} {_number(job.processed)}\n")
                if job.failed is not None:
                    failed.append(f"{labels} {_number(job.failed)}\n")
        self._labels = now  # only the jobs still shown: bounded by them
        out: list[str] = []
        for (family, words), lines in zip(JOB_FAMILIES, (processed, failed), strict=True):
            out.append(f"# HELP {family} {words}\n# TYPE {family} gauge\n")
            out.extend(family + line for line in lines)
        return "".join(out).encode()


_number = cast(Callable[[float], str], floatToGoString)  # a value as the library writes it (600 -> 600.0)
_SORTED = ("api", "job_id", "object", "operation", "org")  # the label names in the order the library writes them
