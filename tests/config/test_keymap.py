"""[keymap]: a key does one thing where it is in force (keys compared as Textual matches them)."""

from __future__ import annotations

import pytest

from sfmonitor.bulk.errors import ConfigError
from sfmonitor.ui.keys import check_keymap


@pytest.mark.parametrize(
    "keymap",
    [
        {},
        {"abort": "A", "close": "C"},
        {"abort": "q", "quit": "ctrl+q"},  # quit moved too: q is free
        {"help": "?"},  # Textual's question_mark, as it already was
        {"filter": "/, F3"},
        {"row.next": "down"},  # the table's own down does the same: no clash
        {"confirm.yes": "a"},  # a modal's keys are its own (as q closes help)
        {"help.close": "x"},
    ],
)
def test_keymaps_that_leave_every_key_one_thing(keymap: dict[str, str]) -> None:
    check_keymap(keymap)


@pytest.mark.parametrize(
    ("keymap", "says"),
    [
        ({"abort": "q"}, "config file: [keymap] abort = 'q': the key 'q' would both abort and quit (in the jobs"),
        ({"abort": "A", "close": "A"}, "the key 'A' would both "),
        ({"close": "enter"}, "would both close and open (in the jobs table)"),
        ({"sort_batches": "f"}, "would both sort_batches and failures (in the job detail)"),
        ({"failures.export": "r"}, "would both failures.export and failures.reread (in the failures)"),
        ({"refresh": "?"}, "the key '?' would both refresh and help"),
        ({"close": "up"}, "would both close and cursor_up (in the jobs table); choose another key"),
        ({"help": "q"}, "would both help and quit"),
    ],
)
def test_a_key_that_would_do_two_things_is_refused(keymap: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_keymap(keymap)
    assert says in str(caught.value)


def test_a_dotted_binding_id_written_bare_as_the_readme_shows_is_taken_as_its_id() -> None:
    """TOML reads ``confirm.yes = "j"`` as a table ``confirm`` holding ``yes``: the same id as quoted."""
    import tomllib

    from sfmonitor.config.settings import parse_keymap

    bare = tomllib.loads('[keymap]\nconfirm.yes = "j"\nrow.next = "j, down"\nabort = "A"\n')["keymap"]
    quoted = tomllib.loads('[keymap]\n"confirm.yes" = "j"\n"row.next" = "j,down"\nabort = "A"\n')["keymap"]
    assert parse_keymap(bare, "f") == parse_keymap(quoted, "f") == {"confirm.yes": "j", "row.next": "j,down",
                                                                      "abort": "A"}  # fmt: skip
