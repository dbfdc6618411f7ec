"""Exit codes have one home, the ExitCode enum: the README's table is printed from it."""

from pathlib import Path

from sfmonitor.cli.exits import ExitCode, markdown_table


def test_readme_exit_table_matches_the_enum() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert markdown_table() in readme, "regenerate with: python -m sfmonitor.cli.exits"


def test_every_code_is_distinct_and_explained() -> None:
    values = [code.value for code in ExitCode]
    assert len(values) == len(set(values))
    assert all(code.meaning for code in ExitCode)  # a code without a meaning raises KeyError here
