"""The recorder over HTTP (``sfmonitor record --listen``): ``/metrics`` for Prometheus, read from the
figures the recorder publishes after each poll (monitor/figures.py), never from the org."""
