"""``--on-event CMD``: an alert handed to the operator's command as JSON on stdin (a Slack webhook
script, say). Run directly, never through a shell; given a time limit; its failure is logged and
never reaches the screen's loop."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)


async def run_event_command(argv: Sequence[str], event: dict[str, Any], timeout: float) -> bool:
    """Run ``argv`` with ``event`` as JSON on stdin; True if it exited 0 within ``timeout``."""
    payload = json.dumps(event, ensure_ascii=False, default=str).encode()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except OSError as exc:
        log.warning("--on-event %s could not start: %s", argv[0], exc)
        return False
    try:
        _, err = await asyncio.wait_for(proc.communicate(payload), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        log.warning("--on-event %s did not finish within %.0f s: killed", argv[0], timeout)
        return False
    if proc.returncode != 0:
        log.warning("--on-event %s exited %s: %s", argv[0], proc.returncode, err.decode(errors="replace")[-500:])
        return False
    return True
