"""``sfmonitor simulate`` and ``sfmonitor demo``: the fake org on loopback, alone or under the dashboard."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import TYPE_CHECKING

from ..bulk.auth import is_loopback
from ..bulk.errors import (
    ConfigError,
)
from ..config.connection import ConnectionOptions
from ..config.orgs import OrgConfig
from ..numbers import plural
from .exits import ExitCode, fail

if TYPE_CHECKING:
    from ..simulator.server import Simulator


def _start_simulator(args: argparse.Namespace) -> Simulator:
    from ..simulator.faults import parse_faults  # only where a simulator runs: not on watch's first screen
    from ..simulator.server import Simulator

    if not is_loopback(args.host):
        raise ConfigError(f"--host {args.host}: the simulator listens on loopback addresses only (127.0.0.1, ::1)")
    from ..simulator.bulk import add_failure_file_job, add_finished_ingest_jobs, add_giant_classic_job

    spec = parse_faults(args.faults)
    certificate = None
    if args.jwt_cert is not None:
        try:
            certificate = args.jwt_cert.read_bytes()
        except OSError as exc:
            raise ConfigError(f"--jwt-cert {args.jwt_cert}: {exc.strerror}") from None
    sim = Simulator(
        args.host,
        args.port,
        seed=args.seed,
        speed=args.speed,
        tls=args.tls,
        faults=spec,
        spawn_every=args.spawn_every,
        retention_hours=args.retention,
    )
    if args.extra_jobs > 0:
        add_finished_ingest_jobs(sim.world, args.extra_jobs)
    if args.giant_batches > 0:
        add_giant_classic_job(sim.world, args.giant_batches)
    if args.failure_rows > 0:
        for _ in range(max(1, args.failure_jobs)):
            add_failure_file_job(sim.world, args.failure_rows)
    sim.world.production = args.production
    if args.api_allowance is not None:
        if args.api_allowance < 1:
            raise ConfigError(f"--api-allowance {args.api_allowance}: the org's daily API calls, at least 1")
        sim.world.api_max = args.api_allowance
        sim.world.api_used = min(sim.world.api_used, args.api_allowance // 5)  # a fifth used, as the default
    if certificate is not None:
        from ..simulator.jwt_grant import ConnectedApp

        sim.api.connected_app = ConnectedApp(args.jwt_client_id, certificate)
    return sim


def cmd_simulate(args: argparse.Namespace) -> int:
    try:
        sim = _start_simulator(args)
    except (ValueError, OSError, ConfigError) as exc:
        return fail(str(exc), ExitCode.USAGE)
    for line in sim.exports():
        print(line)
    print(
        f"# sfmonitor simulator: {plural(len(sim.world.jobs), 'job')} at {sim.base_url} "
        f"(seed {args.seed}, speed {args.speed:g}x{', faults ' + args.faults if args.faults else ''}). "
        "Paste the lines above into another terminal, then run: sfmonitor status. Ctrl+C stops.",
        flush=True,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:  # an event, not KeyboardInterrupt at a random line
        stop.set()
        signal.signal(signum, signal.SIG_DFL)  # a second ctrl+c ends it at once

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sim.start()
    while not stop.wait(0.5):
        pass
    sim.stop()
    print("# simulator stopped", flush=True)
    return ExitCode.OK


def cmd_demo(args: argparse.Namespace) -> int:
    """The simulator on a free loopback port in the background, and the dashboard on it."""
    try:
        sim = _start_simulator(args)
    except (ValueError, OSError, ConfigError) as exc:
        return fail(str(exc), ExitCode.USAGE)
    sim.start()
    options = ConnectionOptions(  # renewable, as a real integration's token: see --faults expire-after
        instance_url=sim.base_url,
        client_id="sfmonitor-demo",
        client_secret="demo",
        ca_bundle=str(sim.cert_path) if sim.cert_path else None,
    )
    try:
        from .watch import run_dashboard

        return run_dashboard([OrgConfig("", "", options, "")], args)
    finally:
        sim.stop()
