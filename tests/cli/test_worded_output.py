"""What the command line prints lines up and reads right: a table's columns stay put whatever the
width of the characters in a cell (a CJK name or an emoji takes two terminal cells), a count agrees
with its noun ("1 failed row"), and `sfmonitor orgs` never hides why an org cannot sign in."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmonitor.cli.orgs import OrgEntry, SignIn, table
from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.numbers import plural
from sfmonitor.simulator.api import v2_error
from sfmonitor.simulator.server import Simulator
from sfmonitor.text import cells, clip, pad
from tests.cli.runner import TerminalInput
from tests.cli.runner import run_cli as run
from tests.conftest import add_failed_rows_job, find_job, make_sim

WIDE = "日本語のオブジェクト名🔥"  # 12 characters, 24 cells
MISSING = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"


def org_env(sim: Simulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def test_clip_and_pad_count_terminal_cells() -> None:
    assert cells(WIDE) == 24 and cells("e\u0301") == 1  # a combining accent takes no cell of its own
    assert clip(WIDE, 14) == "日本語のオブ…" and cells(clip(WIDE, 14)) == 13  # a wide character is not split
    assert cells(pad(clip(WIDE, 14), 14)) == 14 and pad("ab", 4, ">") == "  ab"
    assert clip("Contact", 14) == "Contact" and clip("abcdef", 4) == "abc…"


def test_a_wide_object_name_leaves_the_status_tables_columns_where_they_are(quiet_sim: Simulator) -> None:
    from sfmonitor.simulator.recipe import ingest_job

    with quiet_sim.world.lock:
        now = quiet_sim.world.clock.now()
        for name in (WIDE, "Contact"):
            ingest_job(quiet_sim.world, now, created=now - 3600, total=10, rate=1000, start=now - 3500,
                       object=name, operation="upsert")  # fmt: skip
    result = run(["status"], org_env(quiet_sim))
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "upsert" in line]
    assert len(rows) == 2 and any("日本語のオブ…" in row for row in rows)
    header = next(line for line in result.stdout.splitlines() if line.startswith("API"))
    column = cells(header[: header.index("OPERATION")])
    # the OPERATION column starts at the same terminal cell in every row (was ~12 cells right for the wide name)
    assert [cells(row[: row.index("upsert")]) for row in rows] == [column, column]
    assert len({cells(row) for row in rows}) == 1


def test_counts_agree_with_their_nouns(sim: Simulator, tmp_path: Path) -> None:
    assert [plural(n, "failed row") for n in (0, 1, 2, 1234)] == [
        "0 failed rows", "1 failed row", "2 failed rows", "1,234 failed rows"]  # fmt: skip
    assert plural(1, "batch", "batches") == "1 batch" and plural(3, "batch", "batches") == "3 batches"
    job = add_failed_rows_job(sim, [({"LastName": "", "Notes": "n"}, MISSING)])
    out = tmp_path / "one.csv"
    result = run(["failures", job, "--out", str(out)], org_env(sim))
    assert result.returncode == 0, result.stderr
    assert f"1 failed row written to {out}" in result.stderr  # was "1 failed rows"
    waited = run(["wait", job], org_env(sim))
    assert waited.stdout.startswith("1 job ended") and "; 1 record processed, 1 failed" in waited.stdout


REASON = "cannot sign in: [orgs.b]: client_secret_file /tmp/rvsec/" + "secrets/" * 8 + "b.secret: no such file"


def _results() -> list[SignIn]:
    entry = OrgEntry("b", "config", "client credentials", ConnectionOptions())
    return [SignIn(entry, False, REASON.removeprefix("cannot sign in: "))]


def test_orgs_off_a_terminal_never_clips_the_reason() -> None:
    text = table(_results(), "", None)  # not a terminal: `sfmonitor orgs | cat`
    assert REASON in text and "…" not in text


def test_orgs_on_a_terminal_fits_the_width_and_wraps_the_reason_under_its_column() -> None:
    lines = table(_results(), "", 100).splitlines()
    assert all(cells(line) <= 100 for line in lines) and len(lines) > 2
    assert all(line.startswith(" " * 60) for line in lines[2:])  # under the STATUS column
    assert lines[1][60:].startswith("cannot sign in: ")
    said = "".join(line[60:] for line in lines[1:])
    assert said.replace(" ", "") == REASON.replace(" ", "")  # all of it, in order: wrapped, not cut


def test_orgs_minus_o_tries_only_the_orgs_named(sim: Simulator, tmp_path: Path) -> None:
    config = tmp_path / "config" / "sfmonitor" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[orgs.prod]\ninstance_url = "{sim.base_url}"\ntoken_env = "PROD_TOKEN"\n\n'
                      f'[orgs.broken]\ninstance_url = "{sim.base_url}"\ntoken_env = "UNSET_TOKEN"\n')  # fmt: skip
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "PROD_TOKEN": sim.token}
    everything = run(["orgs"], env)
    assert everything.returncode == 9 and "broken" in everything.stdout
    result = run(["orgs", "-o", "prod"], env)
    assert result.returncode == 0, result.stdout + result.stderr  # was 9, for the org it was not asked about
    rows = result.stdout.splitlines()[1:]
    assert [row.split()[0] for row in rows if row.strip() and not row.startswith("note:")] == ["prod"]


@pytest.mark.parametrize("yes", [True, False], ids=["--yes", "typed"])
@pytest.mark.parametrize(
    ("production", "table", "sandbox_read", "mark"),
    [
        (True, "", True, "(PRODUCTION)"),  # IsSandbox false
        (False, "production = true\n", True, "(PRODUCTION)"),  # the table says so, whatever the org
        (False, "", False, "(not known to be a sandbox)"),  # IsSandbox could not be read
        (False, "", True, ""),  # a sandbox: no mark
    ],
    ids=["issandbox-false", "table-production", "issandbox-unread", "sandbox"],
)
def test_close_and_abort_mark_the_org_alike_with_yes_and_at_the_prompt(
    tmp_path: Path, yes: bool, production: bool, table: str, sandbox_read: bool, mark: str
) -> None:
    sim = make_sim()
    sim.world.production = production
    if not sandbox_read:
        sim.api.rewrite = lambda method, path, query, reply: (  # type: ignore[assignment]
            v2_error(500, "UNKNOWN_EXCEPTION", "down") if path.endswith("/query") else reply)  # fmt: skip
    try:
        config = tmp_path / "config" / "sfmonitor" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f'[orgs.prod]\ninstance_url = "{sim.base_url}"\ntoken_env = "PROD_TOKEN"\n{table}')
        env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "PROD_TOKEN": sim.token}
        job_id = find_job(sim, "query", "InProgress", running=False)
        answer = TerminalInput((job_id[-4:] if mark else "y") + "\n")
        result = run(["abort", job_id, "-o", "prod", *(["--yes"] if yes else [])], env, stdin=answer)
        assert result.returncode == 0, result.stdout + result.stderr
        said = f"in org prod {mark}." if mark else "in org prod."
        assert said in result.stdout.splitlines()[0], result.stdout
    finally:
        sim.stop()
