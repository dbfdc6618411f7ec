"""``--on-event CMD``: an alert handed to the operator's command as JSON on stdin (a Slack webhook
script, say). Run directly, never through a shell; given a time limit; its failure is logged and
never reaches the screen's loop.

Its environment is sfmonitor's own minus every variable that holds a secret sfmonitor knows of:
``SF_ACCESS_TOKEN`` and each variable an ``[orgs.NAME]`` table's ``token_env`` or
``client_secret_env`` names. Everything else (``PATH``, ``HOME``, ``SF_INSTANCE_URL``, a webhook
URL the script needs…) is passed on as it is. The org's token never travels in the event either."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Collection, Mapping, Sequence
from typing import Any

log = logging.getLogger(__name__)


ALWAYS_HIDDEN = frozenset({"SF_ACCESS_TOKEN"})


def event_environment(environ: Mapping[str, str], hidden: Collection[str]) -> dict[str, str]:
    """``environ`` without ``SF_ACCESS_TOKEN`` and the ``hidden`` variables (the orgs' secrets)."""
    drop = ALWAYS_HIDDEN | set(hidden)
    return {name: value for name, value in environ.items() if name not in drop}


async def run_event_command(
    argv: Sequence[str], event: dict[str, Any], timeout: float, hidden: Collection[str] = ()
) -> bool:
    """Run ``argv`` with ``event`` as JSON on stdin, in this process's environment without the
    secrets (:func:`event_environment`); True if it exited 0 within ``timeout``."""
    payload = json.dumps(event, ensure_ascii=False, default=str).encode()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            env=event_environment(os.environ, hidden),
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
