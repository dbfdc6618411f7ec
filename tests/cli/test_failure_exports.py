"""Where the failures CSV goes, and what is in it, against the simulator over real sockets: ``--out``
that cannot be written is one line and exit 2; an existing file is replaced whole or not at all; the
dashboard's generated name never follows a planted symlink; formulas are neutralised (``--raw`` not);
standard output and ``--out`` get the same bytes."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.simulator.api import CSV, Reply
from sfmonitor.simulator.server import Simulator
from tests.cli.runner import run_cli as run
from tests.conftest import add_failed_rows_job, connected

MISSING = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", ""]


def _org(sim: Simulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def _job(sim: Simulator, rows: int = 3) -> str:
    return add_failed_rows_job(sim, [({"LastName": "", "Notes": f"n{i}"}, MISSING) for i in range(rows)])


@pytest.mark.parametrize(
    ("out", "reason"),
    [("/dev/full", "no space left"), ("{tmp}/no/such/folder/f.csv", "no such folder"), ("{tmp}", "it is a folder")],
)
def test_an_out_that_cannot_be_written_is_one_line_and_exit_2(
    sim: Simulator, tmp_path: Path, out: str, reason: str
) -> None:
    if out == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    target = out.format(tmp=tmp_path)
    result = run(["failures", _job(sim), "--out", target], _org(sim))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [f"sfmonitor: the failures CSV was not written to {target}: {reason}"]
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_an_existing_file_is_replaced_whole_with_mode_0600(sim: Simulator, tmp_path: Path) -> None:
    out = tmp_path / "failed.csv"
    out.write_text("old contents\n")
    out.chmod(0o644)
    result = run(["failures", _job(sim), "--out", str(out)], _org(sim))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert [r["Notes"] for r in csv.DictReader(handle)] == ["n0", "n1", "n2"]
    assert out.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["failed.csv"]  # no temporary file left


def test_an_export_cut_off_mid_file_leaves_the_old_file_and_no_part(sim: Simulator, tmp_path: Path) -> None:
    job_id = _job(sim, 50)
    whole = b"sf__Id,sf__Error,LastName,Notes\n" + b",REQUIRED_FIELD_MISSING:x,,n\n" * 50

    def cut_off() -> Iterator[bytes]:
        yield whole[: len(whole) // 2]
        raise ConnectionResetError("the org went away mid-file")  # the connection dies, unterminated

    def rewrite(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.rstrip("/").endswith("/failedResults"):
            return Reply(200, content_type=CSV, stream=cut_off())
        return reply

    sim.api.rewrite = rewrite  # type: ignore[assignment]
    out = tmp_path / "failed.csv"
    out.write_text("the last whole export\n")
    result = run(["failures", job_id, "--out", str(out)], _org(sim))
    assert result.returncode == 3 and len(result.stderr.splitlines()) == 1, result.stderr
    assert out.read_text() == "the last whole export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["failed.csv"]


def _formula_job(sim: Simulator) -> str:
    rows = [({"LastName": value, "Notes": "ok"}, f"FIELD_CUSTOM_VALIDATION_EXCEPTION:{value or 'x'}:LastName --")
            for value in FORMULAS]  # fmt: skip
    return add_failed_rows_job(sim, rows)


def test_formulas_are_neutralised_in_the_csv_and_raw_keeps_them_exact(sim: Simulator, tmp_path: Path) -> None:
    job_id = _formula_job(sim)
    out, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    assert run(["failures", job_id, "--out", str(out)], _org(sim)).returncode == 0
    assert run(["failures", job_id, "--out", str(raw), "--raw"], _org(sim)).returncode == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        safe = list(csv.DictReader(handle))
    with raw.open(encoding="utf-8-sig", newline="") as handle:
        exact = list(csv.DictReader(handle))
    assert sorted(r["LastName"] for r in exact) == sorted(FORMULAS)
    neutral = ["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in FORMULAS]
    assert sorted(r["LastName"] for r in safe) == sorted(neutral)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in safe for cell in r.values())
    assert any(r["error_message"] == '\'=HYPERLINK("http://x","y")' for r in safe)  # the org's text too


def test_stdout_and_out_get_the_same_bytes(sim: Simulator, tmp_path: Path) -> None:
    """A real process: its standard output's bytes (the locale does not pick the encoding) against --out's."""
    rows = [({"LastName": "Zoë ✓", "Notes": "two\nlines"}, MISSING), ({"LastName": "=1+1", "Notes": ""}, MISSING)]
    job_id = add_failed_rows_job(sim, rows)
    out = tmp_path / "out.csv"
    env = {**os.environ, **_org(sim), "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    args = [sys.executable, "-m", "sfmonitor", "failures", job_id]
    printed = subprocess.run([*args, "--format", "csv"], env=env, capture_output=True, timeout=60, check=True)
    subprocess.run([*args, "--format", "csv", "--out", str(out)], env=env, capture_output=True, timeout=60,
                   check=True)  # fmt: skip
    assert printed.stdout == out.read_bytes()
    assert printed.stdout.startswith(b"\xef\xbb\xbferror_code,") and b"\r\n" in printed.stdout
    assert "Zoë ✓" in printed.stdout.decode("utf-8-sig") and "'=1+1" in printed.stdout.decode("utf-8-sig")


async def test_the_dashboards_export_never_follows_a_planted_symlink(sim: Simulator, tmp_path: Path) -> None:
    from sfmonitor.ui import org_workers
    from sfmonitor.ui.messages import FailuresExported

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    planned = tmp_path / "failures-job-20260101-000000.csv"
    planned.symlink_to(victim)
    posted: list[object] = []
    async with connected(sim) as service:
        job = await service.find_job(_job(sim))
        await org_workers.export_failures(service, job, planned, posted.append)
    (done,) = posted
    assert isinstance(done, FailuresExported) and not done.error, done
    written = tmp_path / "failures-job-20260101-000000-2.csv"
    assert str(written) in done.note and victim.read_text() == "precious\n" and planned.is_symlink()
    assert written.stat().st_mode & 0o777 == 0o600
    assert len(list(csv.reader(io.StringIO(written.read_text(encoding="utf-8-sig"))))) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([victim.name, planned.name, written.name])


async def test_the_dashboards_export_with_every_name_taken_writes_nothing_and_says_so(
    sim: Simulator, tmp_path: Path
) -> None:
    from sfmonitor.bulk.failure_export import NEW_NAME_TRIES
    from sfmonitor.ui import org_workers
    from sfmonitor.ui.messages import FailuresExported

    planned = tmp_path / "failures-job.csv"
    for n in range(1, NEW_NAME_TRIES + 1):
        (planned if n == 1 else tmp_path / f"failures-job-{n}.csv").symlink_to(tmp_path / "elsewhere")
    posted: list[object] = []
    async with connected(sim) as service:
        job = await service.find_job(_job(sim))
        await org_workers.export_failures(service, job, planned, posted.append)
    (done,) = posted
    assert isinstance(done, FailuresExported) and not done.note
    assert done.error == f"the failures CSV was not written to {planned}: a file of that name is there"
    assert not (tmp_path / "elsewhere").exists() and len(list(tmp_path.iterdir())) == NEW_NAME_TRIES


def test_csv_on_a_terminal_shows_control_characters_inert_and_piped_keeps_them_exact(sim: Simulator) -> None:
    """A name carrying OSC 0 (retitle) and OSC 52 (clipboard): printed to a real terminal (a pty),
    the CSV shows them as ``\\x1b`` escapes, as the table does; piped, the bytes are the org's."""
    import pty

    hostile = "Acc\x1b]0;PWNED\x07ount\x1b]52;c;cHduZWQ=\x07"
    job_id = add_failed_rows_job(sim, [({"LastName": hostile, "Notes": "n"}, MISSING)])
    env = {**os.environ, **_org(sim)}
    args = [sys.executable, "-m", "sfmonitor", "failures", job_id, "--format", "csv"]
    piped = subprocess.run(args, env=env, capture_output=True, timeout=60, check=True)
    assert hostile.encode() in piped.stdout
    main, child = pty.openpty()
    try:
        done = subprocess.run(args, env=env, stdout=child, stderr=subprocess.DEVNULL, timeout=60, check=True)
        os.close(child)
        drawn = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child side is closed and everything was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(main)
    assert done.returncode == 0
    assert b"\x1b" not in drawn and b"\x07" not in drawn, drawn
    assert b"Acc\\x1b]0;PWNED\\x07ount" in drawn
