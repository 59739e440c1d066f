"""The engine pauses the cycle collector only on the main thread, and only for the block."""

from __future__ import annotations

import gc
import threading

from kaohe.engine.scoring.collector import paused_gc


def test_on_the_main_thread_the_collector_is_paused_for_the_block_only() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_in_a_worker_thread_the_collector_is_left_alone() -> None:
    seen: list[bool] = []

    def work() -> None:
        with paused_gc():
            seen.append(gc.isenabled())

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert seen == [True]
