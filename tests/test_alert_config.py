"""[alerts] and [alerts.ORG] in the config file; --on-event over them; a mistake is one clear line."""

from __future__ import annotations

import pytest

from sfmonitor.bulk.errors import ConfigError
from sfmonitor.config.alerts import parse_alerts
from sfmonitor.monitor.alerts import AlertRules


def test_the_table_an_org_override_and_the_flag() -> None:
    table = {"events": ["ended", "failures"], "bell": False, "desktop": "osc777", "min_duration": "2m",
             "failures_at": 50, "on_event": "notify-slack --channel 'data loads'",
             "dev": {"events": ["failures"], "bell": True}}  # fmt: skip
    rules, per_org = parse_alerts(table, "config")
    assert rules == AlertRules(events=frozenset({"ended", "failures"}), bell=False, desktop="osc777",
                               min_duration_s=120, failures_at=50,
                               on_event=("notify-slack", "--channel", "data loads"))  # fmt: skip
    assert per_org["dev"].events == frozenset({"failures"}) and per_org["dev"].bell
    assert per_org["dev"].min_duration_s == 120  # the rest from [alerts]
    flagged, _ = parse_alerts({}, "config", on_event_flag="/bin/hook --json")
    assert flagged.on_event == ("/bin/hook", "--json")


@pytest.mark.parametrize(
    ("table", "says"),
    [({"events": ["ended", "coffee"]}, "events is a list of"), ({"bell": "yes"}, "bell is true or false"),
     ({"desktop": "osc8"}, "desktop is one of"), ({"min_duration": "soon"}, "min_duration"),
     ({"failures_at": 0}, "failures_at"), ({"on_event": ""}, "the command is empty"), ({"sound": 1}, "unknown key")],
)  # fmt: skip
def test_a_mistake_is_named(table: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_alerts(table, "config")
