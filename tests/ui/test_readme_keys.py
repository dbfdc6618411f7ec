"""The README's key table is generated from the bindings; it must not drift from them."""

from pathlib import Path

from sfmonitor.ui.keys import markdown_table


def test_readme_key_table_matches_the_bindings() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert markdown_table() in readme, "regenerate with: python -m sfmonitor.ui.keys"
