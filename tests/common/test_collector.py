"""Services move their start-up objects out of the cycle collector's sight once per process."""

from __future__ import annotations

import gc

from services.common import app as common_app


def test_start_up_objects_are_frozen_once_and_later_objects_are_not() -> None:
    common_app._start_up_frozen = False
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        alive = [[n] for n in range(1000)]  # containers alive at start-up
        common_app.freeze_start_up_objects()
        frozen = gc.get_freeze_count()
        assert frozen >= 1000
        later = [[n] for n in range(1000)]
        common_app.freeze_start_up_objects()  # a second app in the same process freezes nothing more
        assert gc.get_freeze_count() == frozen
        seen = {id(o) for o in gc.get_objects()}  # the generations the collector walks
        assert not any(id(x) in seen for x in alive)
        assert all(id(x) in seen for x in later)
        assert gc.get_threshold() == (50_000, 10, 10)  # young collections every 50,000 allocations, not 700
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        common_app._start_up_frozen = True
