"""Full garbage collections freeze their survivors, and hand them back every THAW_EVERY_S."""

from __future__ import annotations

import gc

from sfmonitor.ui.gc_pauses import THAW_EVERY_S, CalmCollector


def test_survivors_of_a_full_collection_are_frozen_then_thawed_in_time() -> None:
    now = [0.0]
    collector = CalmCollector(clock=lambda: now[0])
    collector.install()
    try:
        gc.collect()
        assert gc.get_freeze_count() > 0  # the next full collections walk only what is new
        now[0] = THAW_EVERY_S + 1
        gc.collect()
        assert gc.get_freeze_count() == 0  # handed back: garbage cycles among them are collected next
        gc.collect()
        assert gc.get_freeze_count() > 0
    finally:
        collector.uninstall()
    assert gc.get_freeze_count() == 0
    assert not any(getattr(callback, "__self__", None) is collector for callback in gc.callbacks)
    gc.collect()
    assert gc.get_freeze_count() == 0  # uninstalled: the collector is as Python left it


def test_thaw_hands_the_frozen_heap_back_for_the_next_full_collection() -> None:
    import weakref

    from sfmonitor.ui.gc_pauses import thaw

    class Cycle:
        me: object = None

    garbage = Cycle()
    garbage.me = garbage
    gone = weakref.ref(garbage)
    gc.freeze()  # as the app does after a full collection: out of the collector's sight
    try:
        del garbage
        gc.collect()
        assert gone() is not None  # a closed view's cycles, frozen: kept until a thaw
        thaw()
        gc.collect()
        assert gone() is None and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
