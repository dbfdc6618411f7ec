"""The shipped theme files, installed as the package data ``sfmonitor.theme_files`` (see pyproject.toml)."""
